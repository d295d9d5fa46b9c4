"""The front door of warning education (警示教育): the quarter's campaigns,
the cases each worker studies, online completion with a reflection, on-site
meetings with rotating QR check-in (the attendance flow of offline
sessions, :mod:`courses.offline.attendance`), and the archive records they write.

Who may do what:

- **study**: an active employee of the campaign's enterprise (their own study);
- **manage** (add cases, plan and close meetings): people who may change the
  enterprise's records (``Capability.CHANGE``); a meeting's host runs its
  screen and closes it too;
- **see coverage**: the enterprise's back-office roles (``Capability.VIEW``).

Each completion writes one archive record (kind ``warning``) through
:func:`lms.archive.services.record_append`, which meets the person's
quarterly warning-education obligation. "Once" is a conditional UPDATE on
the study (or the meeting) inside the transaction that writes the records:
a second submit, a double click or two tabs find nothing left to claim.
Every function that depends on the clock takes ``now``."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from content.models import AccidentCasePage
from courses.offline.attendance import AttendanceFlow, ScanResult, hm
from lms.accounts.scoping import log_user
from courses import timing
from courses.models import StudySession, credit_hour_seconds, study_minute_seconds
from courses.offline.attendance import credited_window
from courses.services import SessionGone
from lms.archive.models import AssessmentResult, RecordSource, TrainingKind
from lms.archive.services import record_append
from lms.kernel import checkin
from lms.workforce.models import Employee, Enterprise

from .models import MeetingAttendance, WarningCampaign, WarningMeeting, WarningStudy, quarter_of
from .selectors import cases_for_employee, may_manage, may_run_meeting




def reflection_min_chars() -> int:
    """Shortest reflection accepted (characters), a setting (policy default 20)."""
    return int(getattr(settings, "ANXUN_WARNING_REFLECTION_MIN_CHARS", 20))


def min_study_seconds() -> int:
    """Least time on the study clock before the reflection may be submitted:
    ``ANXUN_WARNING_MIN_MINUTES`` study minutes (policy default 10; no
    national text fixes one, and the warning-education rule has no hours)."""
    return int(getattr(settings, "ANXUN_WARNING_MIN_MINUTES", 10)) * study_minute_seconds()


def hours_studied(seconds: int) -> Decimal:
    """Seconds on the study clock as 学时 (``ANXUN_MINUTES_PER_CREDIT_HOUR``),
    rounded down to 0.1 — as online courses credit them."""
    return (Decimal(seconds) / Decimal(credit_hour_seconds())).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


class WarningError(ValidationError):
    """A rule of warning education refused the action; the message is for the
    user, ``code`` says which rule (``not_employee``, ``closed``, ``too_short`` …)."""


def _now(now):
    return now or timezone.now()


def _require_manager(actor, enterprise_id: int) -> None:
    if actor is not None and not may_manage(actor, enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的警示教育"))


# --- campaigns ------------------------------------------------------------------------------


def campaign_title(year: int, quarter: int) -> str:
    return _("%(y)s 年第 %(q)s 季度警示教育") % {"y": year, "q": quarter}


def campaigns_ensure(*, today: dt.date | None = None) -> int:
    """Make the quarter's campaign of every enterprise that has none yet for
    the quarter (RULES.md: at least one per quarter). Idempotent; two runs at
    once make one (a unique constraint on the scan's campaigns). Returns how
    many were made. A constant number of queries."""
    today = today or timezone.localdate()
    year, quarter = quarter_of(today)
    have = set(WarningCampaign.objects.filter(year=year, quarter=quarter).values_list("enterprise_id", flat=True))
    missing = [pk for pk in Enterprise.objects.values_list("pk", flat=True) if pk not in have]
    if not missing:
        return 0
    before = WarningCampaign.objects.filter(year=year, quarter=quarter).count()
    WarningCampaign.objects.bulk_create(
        [WarningCampaign(enterprise_id=pk, year=year, quarter=quarter, title=campaign_title(year, quarter),
                         auto_created=True) for pk in missing],
        ignore_conflicts=True,
    )
    return WarningCampaign.objects.filter(year=year, quarter=quarter).count() - before


def campaigns_scan_step(*, today: dt.date, result) -> int:
    """The daily scan's step (lms.compliance.registry.scan_steps): the
    quarter's campaigns; returns how many were made."""
    return campaigns_ensure(today=today)


@transaction.atomic
def campaign_set_extra_cases(*, campaign: WarningCampaign, actor, cases) -> WarningCampaign:
    """The enterprise's own choice of cases everyone in the campaign studies."""
    _require_manager(actor, campaign.enterprise_id)
    cases = list(cases)
    live = set(AccidentCasePage.objects.live().filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
    if any(c.pk not in live for c in cases):
        raise WarningError({"extra_cases": _("只能选择已发布的事故案例")}, code="case")
    campaign.extra_cases.set(cases)
    log(campaign, "anxun.warning_cases", user=log_user(actor), data={"cases": [c.pk for c in cases]})
    return campaign


# --- online study -------------------------------------------------------------------------------


def employee_for(campaign: WarningCampaign, user) -> Employee:
    """The user's active employee record in the campaign's enterprise, else
    :class:`WarningError` (``not_employee``)."""
    employee = None
    if getattr(user, "is_authenticated", False):
        employee = Employee.objects.filter(enterprise_id=campaign.enterprise_id, user=user,
                                           status=Employee.Status.ACTIVE).first()
    if employee is None:
        raise WarningError(_("您不是该企业的在岗员工，不能参加本次警示教育。"), code="not_employee")
    return employee


def study_open(*, campaign: WarningCampaign, user, now: dt.datetime | None = None) -> WarningStudy:
    """Start (or resume) the user's study of the campaign. Opening the page
    credits nothing: only the study clock (:func:`study_clock_start`,
    :func:`study_heartbeat`) does."""
    now = _now(now)
    employee = employee_for(campaign, user)
    study, _created = WarningStudy.objects.get_or_create(campaign=campaign, employee=employee,
                                                         defaults={"started_at": now})
    study.campaign, study.employee = campaign, employee
    return study


# The study clock: the online courses' rules (courses.timing — heartbeats,
# gaps, idle, presence checks, the daily cap shared with course study), its
# state kept on the study. One page runs it: starting it again (another tab)
# gives a new token and the old page's beats are refused.

_CLOCK_TIMES = ("last_beat_at", "last_activity_at", "presence_due_at", "presence_deadline")


def _clock_dump(state: timing.State, token: str) -> dict:
    data = state.as_dict()
    for name in _CLOCK_TIMES:
        data[name] = data[name].isoformat() if data[name] else None
    data["day"] = data["day"].isoformat() if data["day"] else None
    data["token"] = token
    return data


def _clock_load(data: dict) -> timing.State:
    values = {name: data[name] for name in timing.State.FIELDS if name in data}
    for name in _CLOCK_TIMES:
        if values.get(name):
            values[name] = dt.datetime.fromisoformat(values[name])
    if values.get("day"):
        values["day"] = dt.date.fromisoformat(values["day"])
    return timing.State(**values)


def _own_open_study(study: WarningStudy, user) -> WarningStudy:
    """The study locked for update, if it is the user's and still open."""
    study = WarningStudy.objects.select_for_update().select_related("campaign", "employee").get(pk=study.pk)
    if not getattr(user, "is_authenticated", False) or study.employee.user_id != user.pk:
        raise PermissionDenied(_("只能提交本人的警示教育学习"))
    if study.completed_at is not None:
        raise SessionGone(_("本次警示教育已完成"), code="completed")
    return study


def _clock_reply(study: WarningStudy, outcome: timing.Outcome, *, accepted: bool) -> dict:
    """What the player (courses/static/courses/player.js) shows: the course heartbeat's reply."""
    prompt = None
    if outcome.prompt:
        nonce, deadline = outcome.prompt
        prompt = {"nonce": nonce, "deadline": deadline.isoformat()}
    return {
        "accepted": accepted, "credited": outcome.credit, "reason": outcome.reason, "message": outcome.message,
        "seq": outcome.state.seq, "seconds": study.seconds, "required_seconds": min_study_seconds(),
        "max_position": 0, "seek_back_to": None, "presence": prompt, "completed": False,
    }


@transaction.atomic
def study_clock_start(*, study: WarningStudy, user, now: dt.datetime | None = None,
                      rng: random.Random | None = None) -> dict:
    """Start the study clock on this page (a new token; another page's clock
    stops). Today's seconds of course study count toward the daily cap."""
    now = _now(now)
    study = _own_open_study(study, user)
    today = timezone.localtime(now).date()
    day_base = StudySession.objects.filter(user=user, day=today).aggregate(s=Sum("day_credit"))["s"] or 0
    rules = timing.Rules.from_settings()
    state = timing.start(now=now, day_base=day_base, max_position=0.0, media_seconds=0.0, rules=rules,
                         rng=rng or timing.system_rng())
    token = uuid.uuid4().hex
    WarningStudy.objects.filter(pk=study.pk).update(clock=_clock_dump(state, token))
    return {"token": token, "seq": 0, "interval": rules.interval, "max_position": 0, "seconds": study.seconds,
            "required_seconds": min_study_seconds()}


@transaction.atomic
def study_heartbeat(*, study: WarningStudy, user, token, beat: timing.Beat, now: dt.datetime | None = None,
                    rng: random.Random | None = None) -> dict:
    """Apply one heartbeat of the study page under :mod:`courses.timing`;
    the seconds earned are added to the study. A beat of a page whose clock
    was started again elsewhere is refused (:class:`SessionGone`)."""
    now = _now(now)
    study = _own_open_study(study, user)
    clock = study.clock or {}
    if not clock.get("token") or clock["token"] != uuid.UUID(str(token)).hex:
        raise SessionGone(_("已在其他页面学习"), code="superseded")
    state = _clock_load(clock)
    outcome = timing.beat(state, beat, now=now, rules=timing.Rules.from_settings(), has_media=False,
                          rng=rng or timing.system_rng())
    if not outcome.accepted:
        return _clock_reply(study, outcome, accepted=False)
    WarningStudy.objects.filter(pk=study.pk).update(
        clock=_clock_dump(outcome.state, clock["token"]), seconds=F("seconds") + outcome.credit
    )
    study.seconds += outcome.credit
    return _clock_reply(study, outcome, accepted=True)


@dataclass
class StudyResult:
    study: WarningStudy
    completed_now: bool
    message: str


def _load_study(pk: int) -> WarningStudy:
    return WarningStudy.objects.select_related("campaign__enterprise", "employee__enterprise").get(pk=pk)


def study_complete(*, study: WarningStudy, user, reflection: str, now: dt.datetime | None = None) -> StudyResult:
    """Finish the study with the reflection and write the archive record —
    exactly once (a second submit only says it is done). Refused: someone
    else's study, a reflection shorter than :func:`reflection_min_chars`, a
    campaign whose quarter is over, less than :func:`min_study_seconds` on
    the study clock. The record credits the time on the clock
    (:func:`hours_studied`), at most the campaign's ``study_hours``."""
    now = _now(now)
    reflection = (reflection or "").strip()
    study = _load_study(study.pk)
    campaign, employee = study.campaign, study.employee
    if not getattr(user, "is_authenticated", False) or employee.user_id != user.pk:
        raise PermissionDenied(_("只能提交本人的警示教育学习"))
    if study.completed_at is not None:
        return StudyResult(study, False, _("您已于 %(t)s 完成本次警示教育，无需重复提交。")
                           % {"t": timezone.localtime(study.completed_at).strftime("%Y-%m-%d %H:%M")})
    minimum = reflection_min_chars()
    if len(reflection) < minimum:
        raise WarningError({"reflection": _("学习心得至少 %(n)s 个字，当前 %(m)s 个字。") % {"n": minimum, "m": len(reflection)}},
                           code="too_short")
    if not campaign.is_running_on(timezone.localtime(now).date()):
        raise WarningError(_("本次警示教育（%(c)s）已结束，不能再提交。") % {"c": campaign.cycle}, code="closed")
    least = min_study_seconds()
    if study.seconds < least or hours_studied(study.seconds) <= 0:
        # Credit only for time spent (法 §97: truthful records): the clock,
        # not the time the page was open, and never 0 学时 recorded as done.
        raise WarningError(
            _("学习时间不足：已计时 %(m)s 分钟，至少需要学习 %(n)s 分钟，请继续在本页面学习事故案例后再提交。")
            % {"m": study.seconds // study_minute_seconds(), "n": max(1, -(-least // study_minute_seconds()))},
            code="too_little_time",
        )
    cases = cases_for_employee(campaign, employee, on_date=timezone.localtime(now).date())
    case_titles = "、".join(c.title for c in cases)[:500]
    with transaction.atomic():
        claimed = WarningStudy.objects.filter(pk=study.pk, completed_at__isnull=True).update(
            completed_at=now, reflection=reflection, cases=case_titles, clock={}
        )
        if claimed != 1:
            study.refresh_from_db()
            return StudyResult(study, False, _("您已完成本次警示教育，无需重复提交。"))
        hours = min(campaign.study_hours, hours_studied(study.seconds))
        record = record_append(
            employee=employee,
            actor=None,  # the worker's own completion; the study row names them
            kind=TrainingKind.WARNING,
            title=campaign.title,
            content=_("在线学习事故案例：%(cases)s\n思考题：%(q)s\n学习心得：%(r)s")
            % {"cases": case_titles or _("无"), "q": campaign.reflection_question, "r": reflection},
            start_at=study.started_at,
            end_at=now,
            place=_("线上学习"),
            hours=hours,
            trainer=employee.enterprise.name[:100],
            participants=employee.name,
            assessment_method=_("学习心得"),
            assessment_result=AssessmentResult.NOT_ASSESSED,
            source=RecordSource.ONLINE,
            source_ref=f"warning_campaign:{campaign.pk}/study:{study.pk}",
        )
        WarningStudy.objects.filter(pk=study.pk).update(record=record)
        study.refresh_from_db()
        log(campaign, "anxun.warning_study", user=log_user(user), data={"employee": employee.pk, "record": record.pk})
    return StudyResult(study, True, _("已完成本次警示教育，已写入培训档案。"))


# --- on-site meetings ----------------------------------------------------------------------------


@transaction.atomic
def meeting_create(*, campaign: WarningCampaign, actor, title: str, start_at, end_at, place: str, host=None) -> WarningMeeting:
    _require_manager(actor, campaign.enterprise_id)
    meeting = WarningMeeting(campaign=campaign, title=title, start_at=start_at, end_at=end_at, place=place,
                             host=host or actor)
    meeting.full_clean(validate_constraints=False)
    if meeting.end_at <= meeting.start_at:
        raise WarningError({"end_at": _("结束时间必须晚于开始时间")}, code="times")
    start, end = campaign.period
    if not start <= timezone.localtime(meeting.start_at).date() <= end:
        raise WarningError({"start_at": _("会议日期须在本季度（%(s)s 至 %(e)s）内") % {"s": start, "e": end}}, code="times")
    meeting.save()
    log(meeting, "wagtail.create", user=log_user(actor))
    return meeting


class MeetingAttendanceFlow(AttendanceFlow):
    """Meetings in the attendance flow: any active employee of the
    enterprise checks in (no check-out, no list); closing credits from the
    later of check-in and the start to the earlier of the close and the
    planned end as warning education."""

    target_model = WarningMeeting
    error = WarningError
    purposes = (checkin.CHECK_IN,)
    url_namespace = "warning"
    pending_scan_key = "warning_pending_scan"
    scan_template = "warning/scan_result.html"
    log_prefix = "anxun.warning"
    close_action = "anxun.warning_meeting_close"
    target_related = ("campaign__enterprise", "host")
    attendance_order = ("check_in_at",)

    scans_closed_text = gettext_lazy("本次警示教育会议已结束，不能再签到。")
    too_early_text = gettext_lazy("签到尚未开始：会议开始前 %(m)s 分钟开放签到。")
    not_runner_text = gettext_lazy("只有会议主持人或企业培训管理人员可以结束会议")
    already_closed_text = gettext_lazy("本次会议已结束，培训档案已经写入，不会重复写入。")
    not_started_text = gettext_lazy("会议尚未开始，不能结束。")

    screen_counts = (("checked_in", gettext_lazy("已签到")),)
    screen_lead_text = gettext_lazy("主持人：%(t)s")
    screen_manage_text = gettext_lazy("警示教育")
    screen_closed_text = gettext_lazy("会议已结束")

    def may_run(self, user, target):
        return may_run_meeting(user, target)

    def screen_host(self, target):
        return target.host.get_full_name() or str(target.host) if target.host_id else ""

    def screen_manage_url(self, target):
        return reverse("warning:manage", args=[target.campaign_id])

    def accepts_scans(self, target, now):
        return target.is_open and now <= target.end_at

    def attendance_for_scan(self, target, user):
        employee = employee_for(target.campaign, user)
        attendance = MeetingAttendance.objects.select_for_update().filter(meeting=target, employee=employee).first()
        return attendance or MeetingAttendance(meeting=target, employee=employee)

    def credited_span(self, target, attendance, closed_at):
        # No check-out at meetings: the later of check-in and the start to
        # the earlier of the close and the planned end (credited_window).
        span = credited_window(check_in=attendance.check_in_at, check_out=None, planned_start=target.start_at,
                               planned_end=target.end_at, closed_at=closed_at)
        return span and (span[0], span[1], False)

    def participants(self, attended):
        return _("共 %(n)s 人") % {"n": len(attended)}

    def record_fields(self, target, attendance, start, end, without_checkout):
        return {
            "kind": TrainingKind.WARNING,
            "title": target.title,
            "content": _("警示教育会议（%(c)s），签到 %(t)s（扫码）") % {"c": target.campaign.title, "t": hm(attendance.check_in_at)},
            "place": target.place,
            "trainer": target.host.get_full_name()[:100] or str(target.host),
            "assessment_result": AssessmentResult.NOT_ASSESSED,
            "source_ref": f"warning_meeting:{target.pk}/attendance:{attendance.pk}",
        }


MEETINGS = MeetingAttendanceFlow()


def meeting_scan(*, meeting: WarningMeeting, user, token: str, now: dt.datetime | None = None) -> ScanResult:
    """Check ``user`` in to the meeting with a code scanned at ``now`` (see
    :meth:`AttendanceFlow.scan`). Any active employee of the enterprise may attend."""
    return MEETINGS.scan(target=meeting, user=user, token=token, now=now)


def meeting_close(*, meeting: WarningMeeting, actor, now: dt.datetime | None = None) -> list:
    """End the meeting and write one record per attendee (the later of
    check-in and the start to the earlier of ``now`` and the planned end),
    exactly once; the records written."""
    return MEETINGS.close(target=meeting, actor=actor, now=now).records
