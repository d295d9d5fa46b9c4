"""Exams satisfy obligations: a graded attempt (online or a paper result entered
by a trainer) writes a training record of the exam's kind and level, and the
obligations that need an assessment are met once hours and a pass are on file."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from exams import services
from lms.accounts.roles import Role
from lms.compliance.models import Obligation, ObligationKind
from tests.compliance.helpers import hire, train
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory

from .engine_helpers import answer_all, at, bank_a, exam, fixed_paper, four_types, single  # noqa: F401

pytestmark = pytest.mark.django_db

HIRED = dt.date(2026, 3, 1)  # the day before the exam window of engine_helpers


@pytest.fixture
def paper(ent_a, four_types):
    return fixed_paper(ent_a, [(q, 25) for q in four_types.values()])


@pytest.fixture
def new_hire(ent_a, tree_a):
    employee = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[0], name="新员工", hire_date=HIRED)
    hire(employee, day=HIRED)
    return employee


def _company_level(employee) -> Obligation:
    return Obligation.objects.get(employee=employee, kind=ObligationKind.INDUCTION, level="company")


def test_a_passed_company_level_exam_meets_the_company_level_induction(ent_a, tree_a, paper, new_hire):
    obligation = _company_level(new_hire)
    assert obligation.exam_required and obligation.status == Obligation.Status.OPEN
    # The classroom hours are on file, without an assessment: still owed.
    train(new_hire, "induction", obligation.min_hours, HIRED, level="company", passed=None)
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.OPEN and not obligation.exam_passed

    level_exam = exam(
        ent_a, paper, title="厂级安全教育考试", audience={"units": [tree_a[0].code]},
        record_kind="induction", record_level="company",
    )
    attempt = services.attempt_start(level_exam, new_hire, now=at(10))
    answer_all(attempt, now=at(10, 5))
    graded = services.attempt_submit(attempt, now=at(10, 10))
    assert graded.passed and graded.record.kind == "induction" and graded.record.level == "company"

    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.MET and obligation.exam_passed
    assert graded.record in obligation.records.all()
    # The workshop and team levels are not touched by a company-level exam.
    others = Obligation.objects.filter(employee=new_hire, kind=ObligationKind.INDUCTION).exclude(level="company")
    assert others.count() == 2 and not others.filter(status=Obligation.Status.MET).exists()


def test_a_failed_exam_leaves_the_obligation_owed(ent_a, tree_a, paper, new_hire):
    obligation = _company_level(new_hire)
    train(new_hire, "induction", obligation.min_hours, HIRED, level="company", passed=None)
    level_exam = exam(
        ent_a, paper, title="厂级安全教育考试", audience={"units": [tree_a[0].code]},
        record_kind="induction", record_level="company",
    )
    attempt = services.attempt_start(level_exam, new_hire, now=at(10))
    answer_all(attempt, correct=False, now=at(10, 5))
    graded = services.attempt_submit(attempt, now=at(10, 10))
    assert graded.passed is False and graded.record.assessment_result == "failed"
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.OPEN and not obligation.exam_passed


def test_a_paper_exam_entered_by_a_trainer_meets_the_principals_initial_training(ent_a, tree_a, paper):
    principal = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[0], name="潘主任", hire_date=HIRED, is_principal=True)
    hire(principal, day=HIRED)
    obligation = Obligation.objects.get(employee=principal, kind=ObligationKind.PRINCIPAL_INITIAL)
    assert obligation.exam_required
    train(principal, "principal", obligation.min_hours, HIRED, passed=None)
    annual = exam(ent_a, paper, record_kind="principal")  # all principals and safety managers
    trainer = UserFactory(full_name="王老师")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    sheet = SimpleUploadedFile("答题卡.pdf", b"%PDF-1.4 sheet", content_type="application/pdf")
    attempt = services.offline_result_enter(
        annual, principal, Decimal("92"), sheet, trainer, taken_at=at(14), now=at(16)
    )
    assert attempt.passed and attempt.record.kind == "principal"
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.MET and attempt.record in obligation.records.all()
