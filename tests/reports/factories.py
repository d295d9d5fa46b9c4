"""Factories for report fixtures: obligations, exams and attempts written
directly, so every figure in the tests can be computed by hand."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from exams.models import Attempt, Exam, Paper
from lms.compliance.models import Obligation, ObligationKind, RuleCode, TrainingRule

RULE_FOR_KIND = {
    ObligationKind.INDUCTION: RuleCode.INDUCTION,
    ObligationKind.REFRESHER: RuleCode.ANNUAL_REFRESHER,
    ObligationKind.WARNING: RuleCode.WARNING_EDUCATION,
    ObligationKind.PRINCIPAL_ANNUAL: RuleCode.PRINCIPAL_ANNUAL,
    ObligationKind.PRINCIPAL_INITIAL: RuleCode.PRINCIPAL_INITIAL,
}


def _rule(kind):
    return TrainingRule.objects.filter(code=RULE_FOR_KIND[kind], enterprise__isnull=True).order_by("pk").first()


class ObligationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obligation

    kind = ObligationKind.REFRESHER
    rule = factory.LazyAttribute(lambda o: _rule(o.kind))
    key = factory.Sequence(lambda n: f"test:{n}")
    min_hours = Decimal("8")
    start_date = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 12, 31)
    status = Obligation.Status.OPEN
    completed_hours = Decimal("0")
    met_on = factory.LazyAttribute(lambda o: o.due_date if o.status == Obligation.Status.MET else None)
    met_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(dt.datetime.combine(o.met_on, dt.time(12))) if o.met_on else None)


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    name = factory.Sequence(lambda n: f"试卷{n}")


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    paper = factory.LazyAttribute(lambda o: PaperFactory(enterprise=o.enterprise))
    title = factory.Sequence(lambda n: f"年度安全考试{n}")
    opens_at = factory.LazyFunction(lambda: timezone.make_aware(dt.datetime(2026, 3, 1, 9)))
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + dt.timedelta(days=7))
    duration_minutes = 60


class GradedAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attempt

    number = 1
    started_at = factory.LazyAttribute(lambda o: o.exam.opens_at)
    deadline = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(hours=1))
    submitted_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(minutes=40))
    graded_at = factory.LazyAttribute(lambda o: o.submitted_at)
    status = Attempt.Status.GRADED
    score = Decimal("85")
    max_score = Decimal("100")
    passed = factory.LazyAttribute(lambda o: o.score >= o.exam.pass_score)
