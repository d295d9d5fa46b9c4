"""The front door of offline sessions (线下培训): plan, invite, check in and
out on site, assess, close. Views, the back office and tests call these;
nothing else writes sessions or attendance.

Who may do what:

- **plan, edit, invite, cancel**: people who may change the enterprise's
  records (HR, enterprise admins — ``Capability.CHANGE``);
- **run** (the trainer's screen, manual check-in, assessment, closing): the
  session's trainer, and the planners;
- **see**: the enterprise's back-office roles; a trainer sees the sessions
  they teach.

Time: every function that depends on the clock takes ``now`` (tests pass it).
Scanning and closing are the attendance flow of :mod:`courses.offline.attendance`
(shared with warning meetings); closing writes one archive record per
attendee through :func:`lms.archive.services.record_append`, which satisfies
obligations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from lms.accounts.scoping import log_user
from lms.archive.models import AssessmentResult, TrainingKind
from lms.kernel import checkin
from lms.workforce.models import Employee, Enterprise

from .attendance import CHECKIN_OPENS_BEFORE, AttendanceFlow, CloseResult, ScanResult, hm
from .models import Attendance, OfflineSession
from .selectors import course_pages_for, may_plan, may_run, session_candidates, trainers_for

# Levels only mean something for the three-level induction and its repeats.
LEVELLED_KINDS = {TrainingKind.INDUCTION, TrainingKind.RETRAINING}
PARTICIPANTS_MAX = 500

SESSION_FIELDS = (
    "title", "course", "content", "kind", "level", "post", "start_at", "end_at", "place", "trainer", "capacity",
    "audience_note", "assessment_required", "assessment_method",
)


class OfflineError(ValidationError):
    """A rule of offline sessions refused the action; the message is for the
    user, ``code`` says which rule (``closed``, ``not_invited``, ``capacity`` …)."""


def _now(now):
    return now or timezone.now()


# --- who may do what --------------------------------------------------------------------


def _require_planner(actor, enterprise_id: int) -> None:
    if actor is not None and not may_plan(actor, enterprise_id):
        raise PermissionDenied(_("您无权安排该企业的线下培训"))


def _require_runner(actor, session: OfflineSession) -> None:
    if not may_run(actor, session):
        raise PermissionDenied(SESSIONS.not_runner_text)


# --- planning ---------------------------------------------------------------------------


def _check_session(session: OfflineSession, audience_units) -> None:
    errors = {}
    ent = session.enterprise_id
    if session.course_id:
        pages = course_pages_for([ent])
        if pages is None or not pages.filter(pk=session.course_id).exists():
            errors["course"] = _("请选择本企业或平台共享的、已发布的课程")
    if session.trainer_id and not trainers_for([ent]).filter(pk=session.trainer_id).exists():
        errors["trainer"] = _("授课人必须是本企业的培训师（在“企业角色”中授予培训师角色）")
    if session.post_id and session.post.enterprise_id != ent:
        errors["post"] = _("岗位必须属于本企业")
    if any(u.enterprise_id != ent for u in audience_units):
        errors["audience_units"] = _("参训单位必须属于本企业")
    if session.level and session.kind not in LEVELLED_KINDS:
        errors["level"] = _("只有三级安全教育和转岗/复岗再培训区分教育层级")
    if session.kind == TrainingKind.INDUCTION and not session.level:
        errors["level"] = _("三级安全教育须选择厂级、车间级或班组级")
    if session.start_at and session.end_at and session.end_at <= session.start_at:
        errors["end_at"] = _("结束时间必须晚于开始时间")
    if session.pk:
        invited = session.attendances.count()
        if session.capacity is not None and session.capacity < invited:
            errors["capacity"] = _("已邀请 %(n)s 人，容纳人数不能少于已邀请人数") % {"n": invited}
    if errors:
        raise OfflineError(errors)


@transaction.atomic
def session_create(*, enterprise: Enterprise, actor, audience_units=(), **fields) -> OfflineSession:
    """Plan a session for ``enterprise`` (fields: see :data:`SESSION_FIELDS`)."""
    _require_planner(actor, enterprise.pk)
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown session fields: {sorted(unknown)}")
    session = OfflineSession(enterprise=enterprise, created_by=log_user(actor), **fields)
    session.full_clean(exclude=["audience_units"], validate_constraints=False)  # end_at is checked below with a field message
    audience_units = list(audience_units)
    _check_session(session, audience_units)
    session.save()
    session.audience_units.set(audience_units)
    log(session, "wagtail.create", user=log_user(actor))
    return session


@transaction.atomic
def session_update(*, session: OfflineSession, actor, audience_units=None, **fields) -> OfflineSession:
    """Change a planned session (a closed or cancelled one is history)."""
    _require_planner(actor, session.enterprise_id)
    session = OfflineSession.objects.select_for_update().get(pk=session.pk)
    if session.status != OfflineSession.Status.PLANNED:
        raise OfflineError(_("已结束或已取消的培训不能修改"), code="closed")
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown session fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(session, name, value)
    session.full_clean(exclude=["audience_units"], validate_constraints=False)  # end_at is checked below with a field message
    units = list(session.audience_units.all()) if audience_units is None else list(audience_units)
    _check_session(session, units)
    session.save()
    if audience_units is not None:
        session.audience_units.set(units)
    log(session, "wagtail.edit", user=log_user(actor))
    return session


@transaction.atomic
def session_cancel(*, session: OfflineSession, actor) -> OfflineSession:
    """Call off a planned session; nothing goes into the archive."""
    _require_planner(actor, session.enterprise_id)
    session = OfflineSession.objects.select_for_update().get(pk=session.pk)
    if session.status != OfflineSession.Status.PLANNED:
        raise OfflineError(_("该培训已结束或已取消"), code="closed")
    session.status = OfflineSession.Status.CANCELLED
    session.save(update_fields=["status"])
    log(session, "anxun.offline_session_cancel", user=log_user(actor))
    return session


# --- invitations ------------------------------------------------------------------------------


@dataclass
class InviteResult:
    invited: list[Attendance]
    already: list[Employee]


@transaction.atomic
def session_invite(*, session: OfflineSession, actor, employees, now: dt.datetime | None = None) -> InviteResult:
    """Invite ``employees`` (of the session's enterprise, active). Refused as a
    whole if they would not fit the capacity; people already invited are
    skipped."""
    _require_planner(actor, session.enterprise_id)
    session = OfflineSession.objects.select_for_update().get(pk=session.pk)
    if session.status != OfflineSession.Status.PLANNED:
        raise OfflineError(_("已结束或已取消的培训不能再邀请人员"), code="closed")
    employees = list(dict.fromkeys(employees))
    wrong = [e for e in employees if e.enterprise_id != session.enterprise_id or e.status != Employee.Status.ACTIVE]
    if wrong:
        raise OfflineError(
            _("只能邀请本企业在岗人员：%(names)s") % {"names": "、".join(e.name for e in wrong)}, code="wrong_employee"
        )
    existing = set(session.attendances.values_list("employee_id", flat=True))
    new = [e for e in employees if e.pk not in existing]
    room = session.capacity - len(existing)
    if len(new) > room:
        raise OfflineError(
            _("超出容纳人数：本次培训可容纳 %(cap)s 人，已邀请 %(n)s 人，最多还能邀请 %(room)s 人。")
            % {"cap": session.capacity, "n": len(existing), "room": max(room, 0)},
            code="capacity",
        )
    at = _now(now)
    rows = [Attendance(session=session, employee=e, invited_at=at, invited_by=log_user(actor)) for e in new]
    Attendance.objects.bulk_create(rows)
    if rows:
        log(session, "anxun.offline_invite", user=log_user(actor), data={"invited": [e.pk for e in new]})
    return InviteResult(invited=rows, already=[e for e in employees if e.pk in existing])


def session_invite_owing(*, session: OfflineSession, actor, now: dt.datetime | None = None) -> InviteResult:
    """Invite the people who owe this training, most urgent first, until the
    session is full."""
    _require_planner(actor, session.enterprise_id)
    room = session.capacity - session.attendances.count()
    candidates = session_candidates(session)[: max(room, 0)]
    return session_invite(session=session, actor=actor, employees=[c.employee for c in candidates], now=now)


@transaction.atomic
def attendance_uninvite(*, attendance: Attendance, actor) -> None:
    """Take someone off the list (only before they have checked in)."""
    session = attendance.session
    _require_planner(actor, session.enterprise_id)
    attendance = Attendance.objects.select_for_update().select_related("session").get(pk=attendance.pk)
    if attendance.session.status != OfflineSession.Status.PLANNED:
        raise OfflineError(_("已结束或已取消的培训不能修改名单"), code="closed")
    if attendance.check_in_at is not None:
        raise OfflineError(_("已签到的人员不能移出名单"), code="checked_in")
    log(attendance.session, "anxun.offline_uninvite", user=log_user(actor), data={"employee": attendance.employee_id})
    attendance.delete()


# --- on site -------------------------------------------------------------------------------------


@transaction.atomic
def attendance_mark(*, attendance: Attendance, actor, purpose: str, at: dt.datetime, note: str,
                    now: dt.datetime | None = None) -> Attendance:
    """The trainer records a check-in or check-out by hand (phone flat, no
    network), with the reason; the row says it was entered by the trainer."""
    now = _now(now)
    attendance = Attendance.objects.select_for_update().select_related("session", "employee").get(pk=attendance.pk)
    session = attendance.session
    _require_runner(actor, session)
    if session.status != OfflineSession.Status.PLANNED:
        raise OfflineError(_("本次培训已结束，不能再补录。"), code="closed")
    note = (note or "").strip()
    if not note:
        raise OfflineError({"note": _("请填写补录原因")}, code="note_required")
    if at > now:
        raise OfflineError({"at": _("不能补录尚未到来的时间")}, code="future")
    if at < session.start_at - CHECKIN_OPENS_BEFORE:
        raise OfflineError({"at": _("补录时间早于签到开放时间")}, code="too_early")
    if purpose == checkin.CHECK_IN:
        if attendance.check_in_at is not None:
            raise OfflineError(_("%(n)s 已签到") % {"n": attendance.employee.name}, code="already")
        attendance.check_in_at, attendance.check_in_method = at, Attendance.Method.MANUAL
    elif purpose == checkin.CHECK_OUT:
        if attendance.check_in_at is None:
            raise OfflineError(_("%(n)s 尚未签到，请先补录签到") % {"n": attendance.employee.name}, code="not_checked_in")
        if attendance.check_out_at is not None:
            raise OfflineError(_("%(n)s 已签退") % {"n": attendance.employee.name}, code="already")
        if at < attendance.check_in_at:
            raise OfflineError({"at": _("签退时间不能早于签到时间")}, code="order")
        attendance.check_out_at, attendance.check_out_method = at, Attendance.Method.MANUAL
    else:
        raise OfflineError(_("未知的操作"), code="purpose")
    attendance.manual_note = "；".join(p for p in (attendance.manual_note, note) if p)[:200]
    attendance.save(update_fields=["check_in_at", "check_in_method", "check_out_at", "check_out_method", "manual_note"])
    log(session, f"anxun.offline_check_{purpose}", user=log_user(actor),
        data={"employee": attendance.employee_id, "at": at.isoformat(), "manual": True, "note": note})
    return attendance


@transaction.atomic
def attendance_assess(*, attendance: Attendance, actor, result: str, notes: str = "",
                      now: dt.datetime | None = None) -> Attendance:
    """The trainer's practical assessment of one attendee (合格/不合格, notes)."""
    attendance = Attendance.objects.select_for_update().select_related("session", "employee").get(pk=attendance.pk)
    session = attendance.session
    _require_runner(actor, session)
    if session.status != OfflineSession.Status.PLANNED:
        raise OfflineError(_("本次培训已结束，考核结果不能再修改。"), code="closed")
    if result not in (AssessmentResult.PASSED, AssessmentResult.FAILED):
        raise OfflineError({"result": _("请选择合格或不合格")}, code="result")
    if attendance.check_in_at is None:
        raise OfflineError(_("%(n)s 未签到，不能录入考核结果") % {"n": attendance.employee.name}, code="not_checked_in")
    attendance.assessment_result = result
    attendance.assessment_notes = (notes or "").strip()[:500]
    attendance.assessed_by = log_user(actor)
    attendance.assessed_at = _now(now)
    attendance.save(update_fields=["assessment_result", "assessment_notes", "assessed_by", "assessed_at"])
    return attendance


# --- the attendance flow of a session: scanning and closing ---------------------------------------


def _source_ref(session: OfflineSession, attendance: Attendance) -> str:
    ref = f"offline_session:{session.pk}/attendance:{attendance.pk}"
    if session.course_id:
        # Names the course page version taught, so the archive proves which text it was.
        ref += f"/page:{session.course_id}"
        revision = getattr(session.course, "latest_revision_id", None)
        if revision:
            ref += f"@rev{revision}"
    return ref[:200]


def _record_content(session: OfflineSession, attendance: Attendance, start, end, no_checkout: bool) -> str:
    parts = [session.content.strip()]
    times = _("签到 %(i)s（%(im)s），") % {"i": hm(attendance.check_in_at), "im": attendance.get_check_in_method_display()}
    if no_checkout and end >= session.end_at:
        times += _("未签退，按培训计划结束时间 %(e)s 计") % {"e": hm(session.end_at)}
    elif no_checkout:
        times += _("未签退，按培训实际结束时间 %(e)s 计") % {"e": hm(end)}
    else:
        times += _("签退 %(o)s（%(om)s）") % {"o": hm(attendance.check_out_at), "om": attendance.get_check_out_method_display()}
    parts.append(times + _("；计入 %(s)s–%(e)s") % {"s": hm(start), "e": hm(end)})
    if attendance.manual_note:
        parts.append(_("补录说明：%(n)s") % {"n": attendance.manual_note})
    if attendance.assessment_notes:
        parts.append(_("考核记录：%(n)s") % {"n": attendance.assessment_notes})
    return "\n".join(parts)


class SessionAttendanceFlow(AttendanceFlow):
    """Sessions in the attendance flow: invited people of the enterprise check
    in and out; closing credits check-in to check-out inside the planned time
    and needs each attendee's assessment when the session asks for one."""

    target_model = OfflineSession
    error = OfflineError
    url_namespace = "offline"
    pending_scan_key = "offline_pending_scan"
    scan_template = "offline/scan_result.html"
    log_prefix = "anxun.offline"
    close_action = "anxun.offline_session_close"
    target_related = ("enterprise", "trainer", "course", "post")
    attendance_order = ("employee__employee_no",)

    scans_closed_text = gettext_lazy("本次培训已结束，不能再签到或签退。")
    too_early_text = gettext_lazy("签到尚未开始：培训开始前 %(m)s 分钟开放签到。")
    not_runner_text = gettext_lazy("只有本次培训的授课人或企业培训管理人员可以操作")
    already_closed_text = gettext_lazy("本次培训已于 %(t)s 结束，培训档案已经写入，不会重复写入。")
    cancelled_text = gettext_lazy("该培训已取消")
    not_started_text = gettext_lazy("培训尚未开始，不能结束。")

    screen_counts = (("invited", gettext_lazy("应到")), ("checked_in", gettext_lazy("已签到")),
                     ("checked_out", gettext_lazy("已签退")))
    screen_lead_text = gettext_lazy("授课人：%(t)s")
    screen_manage_text = gettext_lazy("签到管理")
    screen_closed_text = gettext_lazy("本次培训已结束，签到已关闭。")

    def may_run(self, user, target):
        return may_run(user, target)

    def screen_host(self, target):
        return target.trainer.get_full_name() if target.trainer_id else ""

    def screen_manage_url(self, target):
        return reverse("offline:attendance", args=[target.pk])

    def attendance_for_scan(self, target, user):
        not_listed = _("您不在本次培训的签到名单中，请联系培训师。")
        employee = Employee.objects.filter(enterprise_id=target.enterprise_id, user=user).first() if user else None
        if employee is None:
            raise OfflineError(not_listed, code="not_employee")
        attendance = Attendance.objects.select_for_update().filter(session=target, employee=employee).first()
        if attendance is None:
            raise OfflineError(not_listed, code="not_invited")
        attendance.session, attendance.employee = target, employee
        return attendance

    def save_scan(self, attendance, purpose, at):
        setattr(attendance, f"check_{purpose}_at", at)
        setattr(attendance, f"check_{purpose}_method", Attendance.Method.QR)
        attendance.save(update_fields=[f"check_{purpose}_at", f"check_{purpose}_method"])

    def credited_span(self, target, attendance, closed_at):
        attendance.session = target
        return attendance.credited_span(closed_at=closed_at)

    def check_before_close(self, target, attended):
        if target.assessment_required:
            missing = [a for a in attended if a.assessment_result == AssessmentResult.NOT_ASSESSED]
            if missing:
                raise OfflineError(
                    _("以下人员还没有考核结果，请录入后再结束培训：%(names)s") % {"names": "、".join(a.employee.name for a in missing)},
                    code="assessment_missing",
                )

    def participants(self, attended):
        names = "、".join(a.employee.name for a in attended)
        text = _("共 %(n)s 人：%(names)s") % {"n": len(attended), "names": names}
        return text if len(text) <= PARTICIPANTS_MAX else text[: PARTICIPANTS_MAX - 1] + "…"

    def record_fields(self, target, attendance, start, end, without_checkout):
        assessed = attendance.assessment_result != AssessmentResult.NOT_ASSESSED
        return {
            "kind": target.kind,
            "level": target.level,
            "post": target.post,
            "title": target.title,
            "content": _record_content(target, attendance, start, end, without_checkout),
            "place": target.place,
            "trainer": target.trainer.get_full_name(),
            "assessment_method": target.assessment_method if assessed else "",
            "assessment_result": attendance.assessment_result,
            "source_ref": _source_ref(target, attendance),
        }

    def attach_record(self, attendance, record):
        attendance.record, attendance.hours = record, record.hours
        attendance.save(update_fields=["record", "hours"])

    def close_fields(self, actor):
        return {"closed_by": log_user(actor)}


SESSIONS = SessionAttendanceFlow()


def attendance_scan(*, session: OfflineSession, user, token: str, now: dt.datetime | None = None) -> ScanResult:
    """Check ``user`` in or out of ``session`` with a scanned code (see :meth:`AttendanceFlow.scan`);
    only invited people of the session's enterprise."""
    return SESSIONS.scan(target=session, user=user, token=token, now=now)


def session_close(*, session: OfflineSession, actor, now: dt.datetime | None = None) -> CloseResult:
    """End the session and write one archive record per attendee (the real
    time between check-in and check-out, inside the planned time; without a
    check-out, up to the planned end, and the record says so), exactly once."""
    return SESSIONS.close(target=session, actor=actor, now=now)


__all__ = [
    "CHECKIN_OPENS_BEFORE",
    "OfflineError",
    "attendance_assess",
    "attendance_mark",
    "attendance_scan",
    "attendance_uninvite",
    "session_cancel",
    "session_close",
    "session_create",
    "session_invite",
    "session_invite_owing",
    "session_update",
]
