"""Warning education (警示教育): quarterly campaigns per enterprise, the
workers' online study of accident cases with a short reflection, and on-site
warning meetings with the rotating QR check-in of offline sessions.

RULES.md (policy default): at least one warning education activity per
quarter per employee; the daily scan makes each enterprise's campaign for the
quarter if it has none, and each employee's quarterly obligation
(``lms.compliance``, kind ``warning``). A study or an attended meeting writes
one archive record (kind ``warning``), which meets that obligation.

Rows are written only through :mod:`courses.warning.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.kernel.checkin import CheckinTarget

DEFAULT_REFLECTION_QUESTION = "结合本岗位的危险因素，谈谈这些事故对你的警示，以及今后作业中你会注意什么？"


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_span(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * (quarter - 1) + 1, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return start, end - dt.timedelta(days=1)


class WarningCampaign(models.Model):
    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.PROTECT, related_name="warning_campaigns", verbose_name=_("企业")
    )
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("季度"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    title = models.CharField(_("活动名称"), max_length=200)
    reflection_question = models.CharField(_("思考题"), max_length=300, default=DEFAULT_REFLECTION_QUESTION)
    study_hours = models.DecimalField(
        _("在线学习计入学时"), max_digits=4, decimal_places=1, default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("8"))],
        help_text=_("最多计入的学时；实际计入不超过打开学习页面到提交心得的时间"),
    )
    extra_cases = models.ManyToManyField(
        "content.AccidentCasePage", blank=True, related_name="+", verbose_name=_("企业补充案例"),
        help_text=_("除按岗位危险因素自动选取的案例外，全体人员都要学习的案例"),
    )
    auto_created = models.BooleanField(_("每日检查自动创建"), default=False, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("警示教育活动")
        verbose_name_plural = _("警示教育活动")
        ordering = ["-year", "-quarter", "pk"]
        constraints = [
            # The scan's campaign: one per enterprise and quarter, so two runs make one.
            models.UniqueConstraint(
                fields=["enterprise", "year", "quarter"], condition=Q(auto_created=True),
                name="warning_campaign_one_auto_per_quarter",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def cycle(self) -> str:
        """The obligation cycle it serves (``2026Q4``)."""
        return f"{self.year}Q{self.quarter}"

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return quarter_span(self.year, self.quarter)

    def is_running_on(self, day: dt.date) -> bool:
        start, end = self.period
        return start <= day <= end


class WarningStudy(models.Model):
    """One worker's online study of a campaign's cases: opened, then
    completed with a reflection; completion writes the archive record once."""

    campaign = models.ForeignKey(WarningCampaign, on_delete=models.PROTECT, related_name="studies", verbose_name=_("活动"))
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="warning_studies", verbose_name=_("员工")
    )
    started_at = models.DateTimeField(_("开始学习时间"), default=timezone.now)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cases = models.CharField(_("学习的案例"), max_length=500, blank=True)
    reflection = models.TextField(_("学习心得"), blank=True)
    # Time studied, as the server's study clock counts it (courses.timing:
    # heartbeats, idle, presence checks, daily cap) — what the record credits.
    seconds = models.PositiveIntegerField(_("计时学习秒数"), default=0)
    # The clock's state between heartbeats (courses.timing.State) and the
    # token of the page that runs it; empty until the page first starts it.
    clock = models.JSONField(default=dict, blank=True, editable=False)
    record = models.OneToOneField(
        "archive.TrainingRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="warning_study",
        verbose_name=_("档案记录"),
    )

    tenant_path = "campaign__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("警示教育在线学习")
        verbose_name_plural = _("警示教育在线学习")
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["campaign", "employee"], name="warning_study_once_per_campaign")]

    def __str__(self):
        return f"{self.employee} · {self.campaign}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class WarningMeeting(CheckinTarget):
    """An on-site warning meeting (警示教育大会): attendance by the rotating QR
    code of :mod:`lms.kernel.checkin`; closing writes one record per attendee."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("已计划")
        CLOSED = "closed", _("已结束")

    campaign = models.ForeignKey(WarningCampaign, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("活动"))
    title = models.CharField(_("会议主题"), max_length=200)
    start_at = models.DateTimeField(_("开始时间"))
    end_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("主持人")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    closed_at = models.DateTimeField(_("结束于"), null=True, blank=True)

    checkin_namespace = "warning.meeting"
    tenant_path = "campaign__enterprise"

    class Meta:
        verbose_name = _("警示教育会议")
        verbose_name_plural = _("警示教育会议")
        ordering = ["-start_at"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=models.F("start_at")), name="warning_meeting_end_after_start"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PLANNED


class MeetingAttendance(models.Model):
    meeting = models.ForeignKey(WarningMeeting, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("会议"))
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="warning_meeting_attendances", verbose_name=_("员工")
    )
    check_in_at = models.DateTimeField(_("签到时间"))
    record = models.OneToOneField(
        "archive.TrainingRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="warning_attendance",
        verbose_name=_("档案记录"),
    )

    tenant_path = "meeting__campaign__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("警示教育会议签到")
        verbose_name_plural = _("警示教育会议签到")
        ordering = ["meeting", "check_in_at"]
        constraints = [models.UniqueConstraint(fields=["meeting", "employee"], name="warning_attendance_once")]

    def __str__(self):
        return f"{self.employee} · {self.meeting}"
