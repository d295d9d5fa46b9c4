"""Reads of the exam engine: a paper's size and full marks, who is in an
exam's audience (as a queryset, or from facts loaded once per employee),
who may read answer keys, and when an examinee may review a graded attempt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import Membership
from lms.accounts.roles import Capability, Role
from lms.accounts.scoping import enterprise_ids
from lms.archive.registry import EvidenceFile
from lms.workforce.models import Employee, OrgUnit, PostAssignment

from .models import Attempt, Exam, Paper


def paper_total(paper: Paper) -> Decimal:
    """The paper's full marks: fixed questions' points, or count × points per rule."""
    if paper.kind == Paper.Kind.FIXED:
        return sum((Decimal(pq.points) for pq in paper.fixed_questions.all()), Decimal(0))
    return sum((Decimal(r.points) * r.count for r in paper.rules.all()), Decimal(0))


def paper_question_count(paper: Paper) -> int:
    if paper.kind == Paper.Kind.FIXED:
        return len(paper.fixed_questions.all())
    return sum(r.count for r in paper.rules.all())


def exam_audience(exam: Exam) -> QuerySet:
    """The active employees of the exam's enterprise who are to sit it: people
    holding one of the audience roles there (Membership), working one of the
    posts today (current assignments), in one of the units or below them
    (company → workshop → team), and — with ``principals_and_safety_managers`` —
    everyone flagged or holding the role of principal or safety manager."""
    audience = exam.audience or {}
    ent = exam.enterprise_id
    condition = Q(pk__in=[])
    roles = list(audience.get("roles") or [])
    if audience.get("principals_and_safety_managers"):
        condition |= Q(is_principal=True) | Q(is_safety_manager=True)
        roles += [Role.PRINCIPAL, Role.SAFETY_MANAGER]
    if roles:
        members = Membership.objects.filter(enterprise_id=ent, role__in=roles, is_active=True).values("user_id")
        condition |= Q(user_id__in=members)
    posts = audience.get("posts") or []
    if posts:
        today = timezone.localdate()
        working = (
            PostAssignment.objects.filter(post__enterprise_id=ent, post__code__in=posts, start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values("employee_id")
        )
        condition |= Q(pk__in=working)
    units = audience.get("units") or []
    if units:
        condition |= Q(org_unit__code__in=units) | Q(org_unit__parent__code__in=units)
        condition |= Q(org_unit__parent__parent__code__in=units)
    return Employee.objects.filter(enterprise_id=ent, status=Employee.Status.ACTIVE).filter(condition)


@dataclass(frozen=True)
class AudienceFacts:
    """What decides whether one employee is in an exam's audience, loaded once
    (so a list of exams needs no query per exam)."""

    enterprise_id: int
    active: bool
    flagged: bool
    roles: frozenset = field(default_factory=frozenset)
    posts: frozenset = field(default_factory=frozenset)
    units: frozenset = field(default_factory=frozenset)


def audience_facts(employee: Employee) -> AudienceFacts:
    """The facts :func:`audience_includes` needs about ``employee`` (3 queries)."""
    roles = (
        frozenset(
            Membership.objects.filter(
                user_id=employee.user_id, enterprise_id=employee.enterprise_id, is_active=True
            ).values_list("role", flat=True)
        )
        if employee.user_id
        else frozenset()
    )
    posts = frozenset(employee.current_assignments().values_list("post__code", flat=True))
    units = set()
    if employee.org_unit_id:
        unit = OrgUnit.objects.select_related("parent__parent").get(pk=employee.org_unit_id)
        units = {u.code for u in unit.ancestors()}
    return AudienceFacts(
        enterprise_id=employee.enterprise_id,
        active=employee.status == Employee.Status.ACTIVE,
        flagged=employee.is_principal or employee.is_safety_manager,
        roles=roles,
        posts=posts,
        units=frozenset(units),
    )


def audience_includes(exam: Exam, facts: AudienceFacts) -> bool:
    """The same answer as ``exam_audience(exam).filter(pk=…).exists()``, from facts."""
    if exam.enterprise_id != facts.enterprise_id or not facts.active:
        return False
    audience = exam.audience or {}
    roles = set(audience.get("roles") or [])
    if audience.get("principals_and_safety_managers"):
        if facts.flagged:
            return True
        roles |= {Role.PRINCIPAL, Role.SAFETY_MANAGER}
    return bool(
        roles & facts.roles
        or set(audience.get("posts") or []) & facts.posts
        or set(audience.get("units") or []) & facts.units
    )


def sitting_an_exam(user, *, now: dt.datetime | None = None) -> bool:
    """``user`` has an attempt in progress (before its deadline) in any enterprise."""
    if getattr(user, "pk", None) is None:
        return False
    now = now or timezone.now()
    return Attempt.objects.filter(
        employee__user_id=user.pk, status=Attempt.Status.IN_PROGRESS, deadline__gt=now
    ).exists()


def keys_visible(user, enterprise_id: int | None, *, now: dt.datetime | None = None) -> bool:
    """May the back office show ``user`` answer keys, explanations and per-question
    marks of a bank or exam of ``enterprise_id`` (None: a platform bank)?

    Only the people who build exams — exam managers of that enterprise (for a
    platform bank: of any enterprise) and platform superusers — and never while
    they are sitting an exam themselves. Principals and safety managers are
    back-office users *and* the audience of the annual exam: without this rule
    an examinee could read the key of their own paper in another tab."""
    if getattr(user, "pk", None) is None:
        return False
    ents = enterprise_ids(user, Capability.MANAGE_EXAMS)
    if ents is not None and not (ents if enterprise_id is None else enterprise_id in ents):
        return False
    return not sitting_an_exam(user, now=now)


def review_available(attempt: Attempt, *, now: dt.datetime | None = None) -> bool:
    """Answers and explanations may be shown to the examinee: only for a graded
    online attempt of an exam whose policy shows answers, after the window closed."""
    now = now or timezone.now()
    return (
        attempt.status == Attempt.Status.GRADED
        and not attempt.offline
        and attempt.exam.review_policy == Exam.ReviewPolicy.ANSWERS_AFTER_CLOSE
        and now >= attempt.exam.closes_at
    )


def evidence_files(enterprises=None):
    """Every offline attempt's answer-sheet scan with the SHA-256 taken when
    it was attached (the archive's ``evidence_files`` registry);
    ``enterprises``: ids to limit it to, None for all."""
    qs = Attempt.objects.exclude(evidence="").order_by("pk")
    if enterprises is not None:
        qs = qs.filter(exam__enterprise_id__in=enterprises)
    rows = qs.values_list("pk", "exam_id", "exam__enterprise_id", "evidence", "evidence_sha256")
    for pk, exam_id, enterprise_id, name, digest in rows.iterator(chunk_size=2000):
        yield EvidenceFile(name, digest, _("考试 #%(x)s 答卷 #%(a)s 的答题卡扫描件") % {"x": exam_id, "a": pk},
                           enterprise_id)
