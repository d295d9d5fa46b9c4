"""The front door for writing workforce data. Views, admin, API, imports and
commands call these; nothing else writes these tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user

from .models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment
from .registry import placement_gate
from .selectors import id_number_revealable
from .signals import event_recorded
from .validators import clean_id_number


class WorkforceError(ValidationError):
    """A workforce rule refused the change; the message is for the user."""


class ClearanceRefused(WorkforceError):
    """The clearance gate said no; ``clearance`` holds the reasons."""

    def __init__(self, clearance, message=None):
        self.clearance = clearance
        reasons = "；".join(r.message for r in clearance.reasons)
        super().__init__(message or (_("未取得该岗位的上岗资格：") + reasons), code="not_cleared")


# Mentor eligibility (policy defaults, RULES.md 师带徒).
MENTOR_MIN_YEARS_ON_POST = 3
MENTOR_MAX_APPRENTICES = 2


def _require(actor, capability: str, enterprise_id: int) -> None:
    if actor is not None and not can(actor, capability, enterprise_id):
        raise PermissionDenied(_("您无权修改该企业的数据"))


# --- org units and posts -----------------------------------------------------


@transaction.atomic
def orgunit_save(*, unit: OrgUnit, actor) -> OrgUnit:
    _require(actor, Capability.CHANGE, unit.enterprise_id)
    created = unit.pk is None
    unit.full_clean()
    unit.save()
    log(unit, "wagtail.create" if created else "wagtail.edit", user=log_user(actor))
    return unit


@transaction.atomic
def post_save(*, post: Post, actor) -> Post:
    _require(actor, Capability.CHANGE, post.enterprise_id)
    created = post.pk is None
    post.full_clean()
    post.save()
    log(post, "wagtail.create" if created else "wagtail.edit", user=log_user(actor))
    return post


@transaction.atomic
def enterprise_save(*, enterprise: Enterprise, actor) -> Enterprise:
    """Create (platform superusers only) or change (its enterprise admins) an enterprise."""
    if enterprise.pk is None:
        if actor is not None and not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("只有平台管理员可以新建企业"))
        created = True
    else:
        _require(actor, Capability.ADMINISTER, enterprise.pk)
        created = False
    enterprise.full_clean()
    enterprise.save()
    log(enterprise, "wagtail.create" if created else "wagtail.edit", user=log_user(actor))
    return enterprise


def _delete_unused(obj, *, actor, in_use_message: str) -> None:
    _require(actor, Capability.ADMINISTER, obj.enterprise_id)
    # Log first: the log entry keeps the object's label after the row is gone.
    log(obj, "wagtail.delete", user=log_user(actor))
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError:
        raise WorkforceError(in_use_message) from None


@transaction.atomic
def orgunit_delete(*, unit: OrgUnit, actor) -> None:
    """Delete an org unit nobody uses (no sub-units, posts or employees); else WorkforceError."""
    _delete_unused(unit, actor=actor, in_use_message=_("该单位下仍有下级单位、岗位或员工，不能删除；可改为停用"))


@transaction.atomic
def post_delete(*, post: Post, actor) -> None:
    """Delete a post with no assignments or events; else WorkforceError."""
    _delete_unused(post, actor=actor, in_use_message=_("该岗位已有岗位分配或任职事件，不能删除；可改为停用"))


# --- employees ---------------------------------------------------------------

# Fields that may be changed on an existing employee. Employment history
# (hire, transfer, leave …) changes only through events.
EMPLOYEE_EDITABLE_FIELDS = (
    "name",
    "id_number",
    "phone",
    "employment_type",
    "org_unit",
    "is_principal",
    "is_safety_manager",
    "hire_date",
    "user",
)


@transaction.atomic
def employee_create(*, employee: Employee, actor, source: str = EmploymentEvent.Source.ADMIN, post: Post | None = None) -> Employee:
    """Create an employee and record the hire event (with the intended post)."""
    _require(actor, Capability.CHANGE, employee.enterprise_id)
    if employee.id_number:
        employee.id_number = clean_id_number(employee.id_number)
    employee.full_clean()
    employee.save()
    log(employee, "wagtail.create", user=log_user(actor))
    event_record(
        employee=employee,
        type=EmploymentEvent.Type.HIRE,
        date=employee.hire_date,
        post=post,
        actor=actor,
        source=source,
    )
    return employee


@transaction.atomic
def employee_update(*, employee: Employee, data: dict, actor) -> Employee:
    """Change the editable fields of an employee; returns it saved."""
    _require(actor, Capability.CHANGE, employee.enterprise_id)
    unknown = set(data) - set(EMPLOYEE_EDITABLE_FIELDS)
    if unknown:
        raise WorkforceError({field: _("该字段不可直接修改，请通过任职事件变更") for field in sorted(unknown)})
    locked = Employee.objects.select_for_update().get(pk=employee.pk)
    for field, value in data.items():
        setattr(locked, field, value)
    if locked.id_number:
        locked.id_number = clean_id_number(locked.id_number)
    locked.full_clean()
    locked.save()
    log(locked, "wagtail.edit", user=log_user(actor))
    return locked


# --- the full 身份证号 --------------------------------------------------------------

REVEAL_REASON_MAX = 200


@transaction.atomic
def id_number_reveal(*, employee: Employee, reason: str, actor) -> str:
    """The full 身份证号 of ``employee``, for ``actor`` who gave ``reason``.

    Every read is logged (``anxun.pii_reveal``: who, when, why) in the
    employee's history; refused (PermissionDenied) for anyone but the roles
    above, and (WorkforceError) without a reason."""
    if not id_number_revealable(actor, employee):
        raise PermissionDenied(_("您无权查看该员工的完整身份证号"))
    reason = " ".join((reason or "").split())
    if not reason:
        raise WorkforceError({"reason": _("请填写查看完整身份证号的原因")})
    if len(reason) > REVEAL_REASON_MAX:
        raise WorkforceError({"reason": _("原因不能超过 %(max)s 个字") % {"max": REVEAL_REASON_MAX}})
    log(employee, "anxun.pii_reveal", user=actor, data={"field": "id_number", "reason": reason})
    return employee.id_number


# --- events ------------------------------------------------------------------


@dataclass(frozen=True)
class EventOutcome:
    event: EmploymentEvent
    ended_assignments: int


@transaction.atomic
def event_record(
    *,
    employee: Employee,
    type: str,
    date: dt.date,
    actor,
    post: Post | None = None,
    note: str = "",
    source: str = EmploymentEvent.Source.ADMIN,
) -> EmploymentEvent:
    """Record an employment fact and apply what follows from it.

    - leave (离岗): open post assignments end the day before; status on leave.
    - return (复岗): status active again; the person is *not* put back on a
      post here — that goes through ``assignment_create`` (the gate).
    - transfer (转岗): open assignments on other posts end the day before; the
      new post is recorded on the event and assigned through the gate.
    Events are facts: they are never edited or deleted.
    """
    _require(actor, Capability.CHANGE, employee.enterprise_id)
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    event = EmploymentEvent(
        employee=employee,
        type=type,
        date=date,
        post=post,
        note=note or "",
        source=source,
        recorded_by=log_user(actor),
    )
    errors = {}
    if type in EmploymentEvent.POST_REQUIRED and post is None:
        errors["post"] = _("转岗必须填写目标岗位")
    if post is not None and post.enterprise_id != employee.enterprise_id:
        errors["post"] = _("岗位不属于该员工所在企业")
    if date and date > timezone.localdate() + dt.timedelta(days=366):
        errors["date"] = _("日期不能晚于一年以后")
    if date and employee.hire_date and date < employee.hire_date and type != EmploymentEvent.Type.HIRE:
        errors["date"] = _("日期不能早于入职日期")
    if type == EmploymentEvent.Type.LEAVE and employee.status == Employee.Status.ON_LEAVE:
        errors["type"] = _("该员工已处于离岗状态")
    if type == EmploymentEvent.Type.RETURN and employee.status != Employee.Status.ON_LEAVE:
        errors["type"] = _("该员工未处于离岗状态，无需复岗")
    if type == EmploymentEvent.Type.HIRE and employee.events.filter(type=EmploymentEvent.Type.HIRE).exists():
        errors["type"] = _("该员工已有入职记录")
    if errors:
        raise WorkforceError(errors)
    event.full_clean()
    event.save()

    if type == EmploymentEvent.Type.LEAVE:
        _end_open_assignments(employee, before=date, actor=actor)
        employee.status = Employee.Status.ON_LEAVE
        employee.save(update_fields=["status", "updated_at"])
    elif type == EmploymentEvent.Type.RETURN:
        employee.status = Employee.Status.ACTIVE
        employee.save(update_fields=["status", "updated_at"])
    elif type == EmploymentEvent.Type.TRANSFER:
        _end_open_assignments(employee, before=date, actor=actor, keep_post=post)
    log(event, "anxun.event_record", user=log_user(actor), data={"type": type, "date": date.isoformat()})
    event_recorded.send(sender=EmploymentEvent, event=event)
    return event


def _end_open_assignments(employee: Employee, *, before: dt.date, actor, keep_post: Post | None = None) -> int:
    qs = employee.assignments.filter(end_date__isnull=True)
    if keep_post is not None:
        qs = qs.exclude(post=keep_post)
    ended = 0
    for assignment in qs:
        assignment_end(assignment=assignment, end_date=max(assignment.start_date, before - dt.timedelta(days=1)), actor=actor)
        ended += 1
    return ended


# --- post assignments --------------------------------------------------------


def assignment_create(**kwargs) -> PostAssignment:
    """Put an employee on a post. The only way a PostAssignment is made; the
    clearance gate decides. A refusal is kept in the person's clearance
    history even though nothing else is written."""
    try:
        return _assignment_create(**kwargs)
    except ClearanceRefused as refused:
        gate = placement_gate()
        # What the post requires stands although the placement was refused
        # (its transaction rolled back): HR sees what is owed for it.
        gate.prepare(kwargs["employee"], kwargs["post"], kwargs["start_date"])
        gate.record(refused.clearance, purpose="assignment", actor=kwargs.get("actor"))
        raise


@transaction.atomic
def _assignment_create(
    *,
    employee: Employee,
    post: Post,
    start_date: dt.date,
    actor,
    kind: str = PostAssignment.Kind.REGULAR,
    mentor: Employee | None = None,
) -> PostAssignment:
    _require(actor, Capability.CHANGE, employee.enterprise_id)
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    errors = {}
    if post.enterprise_id != employee.enterprise_id:
        errors["post"] = _("岗位不属于该员工所在企业")
    elif not post.is_active:
        errors["post"] = _("岗位已停用")
    if employee.status != Employee.Status.ACTIVE:
        errors["employee"] = _("员工处于离岗状态，须先记录复岗")
    if start_date < employee.hire_date:
        errors["start_date"] = _("上岗日期不能早于入职日期")
    elif start_date > timezone.localdate() + dt.timedelta(days=366):
        errors["start_date"] = _("上岗日期不能晚于一年以后")
    if kind == PostAssignment.Kind.APPRENTICE:
        if mentor is None:
            errors["mentor"] = _("师带徒上岗必须指定师傅")
        elif mentor.pk == employee.pk or mentor.enterprise_id != employee.enterprise_id:
            errors["mentor"] = _("师傅必须是同一企业的其他员工")
    elif mentor is not None:
        errors["mentor"] = _("只有师带徒上岗才指定师傅")
    if employee.assignments.filter(post=post, end_date__isnull=True).exists():
        errors["post"] = _("该员工已在此岗位上")
    if errors:
        raise WorkforceError(errors)
    _gate(employee=employee, post=post, start_date=start_date, kind=kind, mentor=mentor, actor=actor)
    assignment = PostAssignment(
        employee=employee,
        post=post,
        start_date=start_date,
        kind=kind,
        mentor=mentor,
        created_by=log_user(actor),
    )
    assignment.full_clean()
    assignment.save()
    log(assignment, "anxun.assignment_create", user=log_user(actor))
    return assignment


@transaction.atomic
def assignment_end(*, assignment: PostAssignment, end_date: dt.date, actor) -> PostAssignment:
    _require(actor, Capability.CHANGE, assignment.post.enterprise_id)
    if end_date < assignment.start_date:
        raise WorkforceError({"end_date": _("离岗日期不能早于上岗日期")})
    # Claim the open row: a double submit ends it once and reports the second.
    updated = PostAssignment.objects.filter(pk=assignment.pk, end_date__isnull=True).update(end_date=end_date)
    if updated != 1:
        raise WorkforceError(_("该岗位分配已结束"))
    assignment.end_date = end_date
    log(assignment, "anxun.assignment_end", user=log_user(actor), data={"end_date": end_date.isoformat()})
    return assignment


def _gate(*, employee: Employee, post: Post, start_date: dt.date, kind: str, mentor: Employee | None, actor) -> None:
    """The clearance gate (法 §28: no one works a post untrained). Every path
    onto a post — admin, import, API, views — arrives here through
    ``assignment_create``. The one exception is an apprentice placement under
    a named, cleared mentor while only the apprenticeship itself is owed.
    The gate itself is registered (lms.compliance: clearance)."""
    gate = placement_gate()
    # What this placement requires (transfer, return, apprenticeship …) is
    # written first: the answer never depends on an event posted before.
    gate.prepare(employee, post, start_date)
    result = gate.check(employee, post, start_date)
    if result.cleared or kind == PostAssignment.Kind.APPRENTICE:
        gate.record(result, purpose="assignment", actor=actor)
    if kind != PostAssignment.Kind.APPRENTICE:
        if not result.cleared:
            raise ClearanceRefused(result)
        return
    if result.cleared:
        raise WorkforceError({"kind": _("该员工已具备上岗资格，应按正式上岗分配")})
    if not result.apprentice_only:
        raise ClearanceRefused(result, _("师带徒上岗前须完成三级安全教育等其他要求：") + "；".join(
            r.message for r in result.reasons if r.code != "APPRENTICESHIP_INCOMPLETE"))
    mentor_check = gate.check(mentor, post, start_date)
    if not mentor_check.cleared:
        raise WorkforceError({"mentor": _("师傅本人未取得该岗位的上岗资格")})
    mentor_since = (
        mentor.assignments.filter(post=post, kind=PostAssignment.Kind.REGULAR, start_date__lte=start_date)
        .filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=start_date))
        .order_by("start_date")
        .values_list("start_date", flat=True)
        .first()
    )
    if mentor_since is None:
        raise WorkforceError({"mentor": _("师傅必须正在该岗位上工作")})
    if mentor_since > _years_before(start_date, MENTOR_MIN_YEARS_ON_POST):
        raise WorkforceError({"mentor": _("师傅在该岗位工作不满 %(n)s 年") % {"n": MENTOR_MIN_YEARS_ON_POST}})
    current = PostAssignment.objects.filter(mentor=mentor, kind=PostAssignment.Kind.APPRENTICE, end_date__isnull=True).count()
    if current >= MENTOR_MAX_APPRENTICES:
        raise WorkforceError({"mentor": _("该师傅已带 %(n)s 名徒弟，不能再增加") % {"n": current}})


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
