"""Offline training sessions (线下培训): a classroom or practical session
planned for an enterprise, the people invited to it, their on-site check-in
and check-out, the trainer's practical assessment, and — once the session is
closed — one archive record per attendee.

Rows are written only through :mod:`courses.offline.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.archive.models import AssessmentResult, TrainingKind, TrainingLevel

from lms.kernel.checkin import CheckinTarget


def time_text(start_at: dt.datetime, end_at: dt.datetime) -> str:
    """``2026-05-12 08:30 – 11:30`` (the end's date too when it is another day):
    how a session's or a meeting's time is shown."""
    start, end = timezone.localtime(start_at), timezone.localtime(end_at)
    tail = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {tail}"


class OfflineSession(CheckinTarget):
    class Status(models.TextChoices):
        PLANNED = "planned", _("已计划")
        CLOSED = "closed", _("已结束")
        CANCELLED = "cancelled", _("已取消")

    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.PROTECT, related_name="offline_sessions", verbose_name=_("企业")
    )
    title = models.CharField(_("培训主题"), max_length=200)
    # The course page this session teaches, if any (h4's CoursePage; any page
    # is accepted by the model, the form offers course pages only).
    course = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("对应课程")
    )
    content = models.TextField(_("培训内容"), help_text=_("写入培训档案，如：本岗位安全操作规程、应急处置、事故案例"))
    kind = models.CharField(_("培训类别"), max_length=32, choices=TrainingKind.choices)
    level = models.CharField(_("教育层级"), max_length=16, choices=TrainingLevel.choices, blank=True, default="")
    post = models.ForeignKey(
        "workforce.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("针对岗位"),
        help_text=_("车间级、班组级教育和四新培训通常针对某一岗位；留空则适用于所有岗位"),
    )
    start_at = models.DateTimeField(_("计划开始时间"))
    end_at = models.DateTimeField(_("计划结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offline_sessions_trained", verbose_name=_("授课人")
    )
    capacity = models.PositiveSmallIntegerField(
        _("容纳人数"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    audience_units = models.ManyToManyField(
        "workforce.OrgUnit", blank=True, related_name="+", verbose_name=_("参训单位"),
        help_text=_("只邀请这些单位（含下级单位）的人员；留空为全企业"),
    )
    audience_note = models.CharField(_("参训对象说明"), max_length=200, blank=True)
    assessment_required = models.BooleanField(
        _("须实操考核"), default=True, help_text=_("结束培训前须为每位签到人员录入考核结果")
    )
    assessment_method = models.CharField(_("考核方式"), max_length=50, default="实操考核")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("结束人"),
    )

    checkin_namespace = "offline.session"
    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("线下培训")
        verbose_name_plural = _("线下培训")
        ordering = ["-start_at"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=models.F("start_at")), name="offline_session_end_after_start"),
        ]
        indexes = [models.Index(fields=["enterprise", "status", "start_at"])]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PLANNED

    @property
    def planned_minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)

    def time_text(self) -> str:
        return time_text(self.start_at, self.end_at)


class Attendance(models.Model):
    """One invited person of a session: invitation, check-in and check-out,
    the practical assessment, and the archive record written at closing."""

    class Method(models.TextChoices):
        NONE = "", _("—")
        QR = "qr", _("扫码")
        MANUAL = "manual", _("培训师补录")

    session = models.ForeignKey(OfflineSession, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("培训"))
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="offline_attendances", verbose_name=_("员工")
    )
    invited_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    check_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    check_in_method = models.CharField(_("签到方式"), max_length=8, choices=Method.choices, blank=True, default="")
    check_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    check_out_method = models.CharField(_("签退方式"), max_length=8, choices=Method.choices, blank=True, default="")
    manual_note = models.CharField(_("补录说明"), max_length=200, blank=True)
    assessment_result = models.CharField(
        _("考核结果"), max_length=8, choices=AssessmentResult.choices, default=AssessmentResult.NOT_ASSESSED
    )
    assessment_notes = models.CharField(_("考核记录"), max_length=500, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    assessed_at = models.DateTimeField(_("考核时间"), null=True, blank=True)
    hours = models.DecimalField(_("计入学时"), max_digits=5, decimal_places=1, null=True, blank=True)
    record = models.OneToOneField(
        "archive.TrainingRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="offline_attendance",
        verbose_name=_("档案记录"),
    )

    tenant_path = "session__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("签到记录")
        verbose_name_plural = _("签到记录")
        ordering = ["session", "employee__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["session", "employee"], name="attendance_once_per_session"),
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True) | Q(check_in_at__isnull=False), name="attendance_out_after_in_set"
            ),
        ]

    def __str__(self):
        return f"{self.employee} · {self.session}"

    @property
    def attended(self) -> bool:
        return self.check_in_at is not None

    def credited_span(self, *, closed_at: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime, bool] | None:
        """(start, end, without_checkout) of the time that counts when the
        session is closed at ``closed_at`` (default: its planned end): from
        the later of check-in and planned start to the earliest of check-out,
        the close and the planned end (:func:`credited_window`).
        None if the person never checked in or the span is empty."""
        session = self.session
        return credited_window(check_in=self.check_in_at, check_out=self.check_out_at, planned_start=session.start_at,
                               planned_end=session.end_at, closed_at=closed_at or session.end_at)


def credited_window(*, check_in: dt.datetime | None, check_out: dt.datetime | None, planned_start: dt.datetime,
                    planned_end: dt.datetime, closed_at: dt.datetime) -> tuple[dt.datetime, dt.datetime, bool] | None:
    """The time an attendee's record credits (credit only for time spent):

    - it starts at the later of the check-in and the planned start (people
      arrive early; the training had not begun);
    - it ends at the earliest of the check-out (none: the close), the actual
      close (``closed_at``, the moment it is closed — a session closed 1 h
      into a planned 3 h credits 1 h) and the planned end (staying on is not
      training);
    - ``without_checkout``: no check-out, the end was taken from the close or
      the plan (the record says which time).

    None: never checked in, or nothing left between start and end."""
    if check_in is None:
        return None
    start = max(check_in, planned_start)
    end = min(check_out or closed_at, closed_at, planned_end)
    if end <= start:
        return None
    return start, end, check_out is None


def class_hour_minutes() -> int:
    """Minutes per 学时 (每学时不少于 45 分钟): the project's one setting,
    shared with online study time."""
    return int(getattr(settings, "ANXUN_MINUTES_PER_CREDIT_HOUR", 45))


def hours_for(start: dt.datetime, end: dt.datetime) -> Decimal:
    """学时 for a span, rounded down to 0.1 (never credit time not spent)."""
    minutes = Decimal(int((end - start).total_seconds() // 60))
    return (minutes / class_hour_minutes()).quantize(Decimal("0.1"), rounding="ROUND_DOWN")
