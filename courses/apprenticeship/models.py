"""师带徒 (apprenticeship): a new worker on a post that requires it works
only beside a named mentor until the mentor and the workshop head sign the
apprenticeship off (令3 §19; 办法 §23: ≥ 2 months under an experienced
worker for hazardous processes).

The obligation itself (ObligationKind.APPRENTICESHIP) is made by
lms.compliance on hire or transfer; the supervised placement is a
PostAssignment of kind APPRENTICE made through the workforce gate. This app
keeps what happens in between: the pairing, the weekly log, the monthly
evaluations, the practical assessment and the two signatures, and then
writes the one training record that meets the obligation.

Nothing here is deleted: an apprenticeship that ends early keeps its rows,
with the date, the reason and who recorded it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.workforce.models import OrgUnit


def gate_min_years() -> int:
    from lms.workforce.services import MENTOR_MIN_YEARS_ON_POST

    return MENTOR_MIN_YEARS_ON_POST


def gate_max_apprentices() -> int:
    from lms.workforce.services import MENTOR_MAX_APPRENTICES

    return MENTOR_MAX_APPRENTICES


def default_min_years() -> int:
    return settings.ANXUN_MENTOR_MIN_YEARS


def default_max_apprentices() -> int:
    return settings.ANXUN_MENTOR_MAX_APPRENTICES


def default_pass_score() -> int:
    return settings.ANXUN_APPRENTICE_PASS_SCORE


class ApprenticeshipPolicy(models.Model):
    """An enterprise's own mentor rules (RULES.md policy defaults: cleared for
    the post, ≥ 3 years on it, ≤ 2 apprentices at once). Only stricter than
    the platform's gate: the gate in lms.workforce enforces the defaults on
    every placement whatever is set here."""

    enterprise = models.OneToOneField(
        "workforce.Enterprise", on_delete=models.CASCADE, related_name="apprenticeship_policy", verbose_name=_("企业")
    )
    mentor_min_years = models.PositiveSmallIntegerField(
        _("师傅在岗最少年数"), default=default_min_years, validators=[MaxValueValidator(40)]
    )
    mentor_max_apprentices = models.PositiveSmallIntegerField(
        _("师傅同时带徒最多人数"), default=default_max_apprentices, validators=[MinValueValidator(1)]
    )
    pass_score = models.PositiveSmallIntegerField(
        _("出师考核合格分"), default=default_pass_score, validators=[MaxValueValidator(100)]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("师带徒规则")
        verbose_name_plural = _("师带徒规则")

    def __str__(self):
        return f"{self.enterprise} · {self._meta.verbose_name}"

    def clean(self):
        super().clean()
        errors = {}
        if self.mentor_min_years is not None and self.mentor_min_years < gate_min_years():
            errors["mentor_min_years"] = _("不得少于平台规定的 %(n)s 年（师带徒政策默认值）") % {"n": gate_min_years()}
        if self.mentor_max_apprentices is not None and self.mentor_max_apprentices > gate_max_apprentices():
            errors["mentor_max_apprentices"] = _("不得多于平台规定的 %(n)s 人（师带徒政策默认值）") % {
                "n": gate_max_apprentices()
            }
        if self.pass_score is not None and self.pass_score < settings.ANXUN_APPRENTICE_PASS_SCORE:
            errors["pass_score"] = _("不得低于平台默认的 %(n)s 分") % {"n": settings.ANXUN_APPRENTICE_PASS_SCORE}
        if errors:
            raise ValidationError(errors)


class WorkshopHeadQuerySet(models.QuerySet):
    def current(self, on_date: dt.date | None = None):
        on_date = on_date or timezone.localdate()
        return self.filter(since__lte=on_date).filter(Q(until__isnull=True) | Q(until__gte=on_date))


class WorkshopHead(models.Model):
    """Who heads a workshop (车间负责人) and so co-signs its apprentices off
    (令3 §15: the workshop level is taught and signed by the workshop head)."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="heads", verbose_name=_("车间"),
        limit_choices_to={"kind": OrgUnit.Kind.WORKSHOP},
    )
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="headed_units", verbose_name=_("负责人")
    )
    since = models.DateField(_("任职日期"), default=timezone.localdate)
    until = models.DateField(_("卸任日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    objects = WorkshopHeadQuerySet.as_manager()

    tenant_path = "org_unit__enterprise"

    class Meta:
        verbose_name = _("车间负责人")
        verbose_name_plural = _("车间负责人")
        ordering = ["org_unit", "-since"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "employee"], condition=Q(until__isnull=True), name="workshophead_one_open"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="workshophead_until_after_since"
            ),
        ]

    def __str__(self):
        return f"{self.org_unit.name} · {self.employee.name}"

    def clean(self):
        super().clean()
        errors = {}
        if self.org_unit_id and self.org_unit.kind != OrgUnit.Kind.WORKSHOP:
            errors["org_unit"] = _("只能为车间（部门）指定负责人")
        if self.org_unit_id and self.employee_id and self.employee.enterprise_id != self.org_unit.enterprise_id:
            errors["employee"] = _("负责人必须是该企业的员工")
        if errors:
            raise ValidationError(errors)


def workshop_of(unit: OrgUnit | None) -> OrgUnit | None:
    """The workshop (车间) a unit belongs to: itself, or its workshop ancestor."""
    while unit is not None:
        if unit.kind == OrgUnit.Kind.WORKSHOP:
            return unit
        unit = unit.parent
    return None


class Apprenticeship(models.Model):
    """One pairing of an apprentice with a mentor on a post. A mentor who
    leaves ends the pairing (with its reason) and a new pairing continues
    the same apprenticeship (``previous``): time served counts."""

    class Status(models.TextChoices):
        RUNNING = "running", _("带徒中")
        COMPLETED = "completed", _("已出师")
        ENDED = "ended", _("已终止")

    class EndReason(models.TextChoices):
        MENTOR_LEFT = "mentor_left", _("师傅离岗/离职，需重新指定师傅")
        MENTOR_UNFIT = "mentor_unfit", _("师傅不再符合带徒条件")
        APPRENTICE_QUIT = "apprentice_quit", _("徒弟离职")
        APPRENTICE_TRANSFERRED = "apprentice_transferred", _("徒弟调岗")
        OTHER = "other", _("其他原因")

    # Reasons after which the apprenticeship goes on under a new mentor.
    REPAIR_REASONS = frozenset({EndReason.MENTOR_LEFT, EndReason.MENTOR_UNFIT})

    apprentice = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="apprenticeships", verbose_name=_("徒弟")
    )
    mentor = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="mentorships", verbose_name=_("师傅")
    )
    post = models.ForeignKey("workforce.Post", on_delete=models.PROTECT, related_name="+", verbose_name=_("岗位"))
    workshop = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("车间")
    )
    obligation = models.ForeignKey(
        "compliance.Obligation", on_delete=models.PROTECT, related_name="+", verbose_name=_("师带徒义务")
    )
    assignment = models.ForeignKey(
        "workforce.PostAssignment", on_delete=models.PROTECT, related_name="+", verbose_name=_("跟岗分配")
    )
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next", verbose_name=_("接续的师带徒")
    )
    first_start = models.DateField(_("师带徒起始日期"), help_text=_("重新指定师傅时沿用最初的起始日期"))
    start_date = models.DateField(_("本次带徒开始日期"))
    months = models.PositiveSmallIntegerField(_("带徒期限（月）"))
    planned_end = models.DateField(_("期满日期"))
    plan = models.TextField(_("带徒计划"), blank=True, help_text=_("教什么、练什么：操作规程、危险点、应急处置"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=32, choices=EndReason.choices, blank=True)
    end_note = models.CharField(_("终止说明"), max_length=300, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("终止办理人"),
    )
    completed_on = models.DateField(_("出师日期"), null=True, blank=True)
    record = models.ForeignKey(
        "archive.TrainingRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("培训记录"),
    )
    regular_assignment = models.ForeignKey(
        "workforce.PostAssignment", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("出师后正式上岗"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("办理人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "apprentice__enterprise"
    owner_path = "apprentice__user"

    class Meta:
        verbose_name = _("师带徒")
        verbose_name_plural = _("师带徒")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["apprentice", "post"], condition=Q(status="running"), name="apprenticeship_one_running_per_post"
            ),
            models.CheckConstraint(condition=~Q(apprentice=models.F("mentor")), name="apprenticeship_mentor_not_self"),
            models.CheckConstraint(
                condition=Q(status="ended", ended_on__isnull=False) | ~Q(status="ended"), name="apprenticeship_ended_has_date"
            ),
            models.CheckConstraint(
                condition=Q(status="completed", record__isnull=False) | ~Q(status="completed"),
                name="apprenticeship_completed_has_record",
            ),
        ]
        indexes = [models.Index(fields=["mentor", "status"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.apprentice.name} ← {self.mentor.name} · {self.post.name}"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    def chain_ids(self) -> list[int]:
        """This pairing and the ones it continues, oldest first."""
        ids, node = [], self
        while node is not None:
            ids.append(node.pk)
            node = node.previous
        return list(reversed(ids))


def week_start_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


class WeeklyLog(models.Model):
    """周记: what the apprentice learned and practised in one week (Monday to
    Sunday), written by the apprentice and confirmed by the mentor."""

    apprenticeship = models.ForeignKey(Apprenticeship, on_delete=models.PROTECT, related_name="weekly_logs",
                                       verbose_name=_("师带徒"))
    week_start = models.DateField(_("周（周一）"))
    content = models.TextField(_("本周所学内容"))
    practice = models.TextField(_("实际操作"), blank=True)
    problems = models.TextField(_("问题与体会"), blank=True)
    hours = models.DecimalField(
        _("带教学时"), max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("84"))]
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    confirmed_at = models.DateTimeField(_("师傅确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("确认人"),
    )
    mentor_comment = models.CharField(_("师傅意见"), max_length=500, blank=True)

    tenant_path = "apprenticeship__apprentice__enterprise"
    owner_path = "apprenticeship__apprentice__user"

    class Meta:
        verbose_name = _("师带徒周记")
        verbose_name_plural = _("师带徒周记")
        ordering = ["apprenticeship", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["apprenticeship", "week_start"], name="weeklylog_one_per_week"),
        ]

    def __str__(self):
        return f"{self.apprenticeship} · {self.week_start}"

    @property
    def week_end(self) -> dt.date:
        return self.week_start + dt.timedelta(days=6)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def clean(self):
        super().clean()
        if self.week_start and self.week_start.weekday() != 0:
            raise ValidationError({"week_start": _("周记按周填写，日期须为周一")})


class Rating(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class MonthlyEvaluation(models.Model):
    """The mentor's evaluation of one month (月度评价)."""

    apprenticeship = models.ForeignKey(Apprenticeship, on_delete=models.PROTECT, related_name="evaluations",
                                       verbose_name=_("师带徒"))
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    safety_awareness = models.CharField(_("安全意识"), max_length=16, choices=Rating.choices)
    skill = models.CharField(_("操作技能"), max_length=16, choices=Rating.choices)
    discipline = models.CharField(_("劳动纪律"), max_length=16, choices=Rating.choices)
    comment = models.TextField(_("评语"))
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("评价人"),
    )
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    tenant_path = "apprenticeship__apprentice__enterprise"
    owner_path = "apprenticeship__apprentice__user"

    class Meta:
        verbose_name = _("师带徒月度评价")
        verbose_name_plural = _("师带徒月度评价")
        ordering = ["apprenticeship", "month"]
        constraints = [
            models.UniqueConstraint(fields=["apprenticeship", "month"], name="evaluation_one_per_month"),
        ]

    def __str__(self):
        return f"{self.apprenticeship} · {self.month:%Y-%m}"

    def clean(self):
        super().clean()
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("月份须为该月 1 日")})


class PracticalAssessment(models.Model):
    """出师考核: the practical assessment before working alone (the 三级安全
    教育卡's 独立上岗前考核成绩). A failed one may be followed by another."""

    apprenticeship = models.ForeignKey(Apprenticeship, on_delete=models.PROTECT, related_name="assessments",
                                       verbose_name=_("师带徒"))
    assessed_on = models.DateField(_("考核日期"))
    items = models.TextField(_("考核项目"))
    score = models.DecimalField(
        _("成绩"), max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
    )
    pass_score = models.PositiveSmallIntegerField(_("合格分"))
    passed = models.BooleanField(_("合格"))
    assessors = models.CharField(_("考评人"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    tenant_path = "apprenticeship__apprentice__enterprise"
    owner_path = "apprenticeship__apprentice__user"

    class Meta:
        verbose_name = _("出师考核")
        verbose_name_plural = _("出师考核")
        ordering = ["apprenticeship", "assessed_on", "id"]

    def __str__(self):
        return f"{self.apprenticeship} · {self.assessed_on} · {self.score}"


class SignOff(models.Model):
    """One of the two signatures under an apprenticeship (出师签字): the
    mentor's and the workshop head's, by two different people."""

    class Role(models.TextChoices):
        MENTOR = "mentor", _("师傅")
        WORKSHOP_HEAD = "workshop_head", _("车间负责人")

    apprenticeship = models.ForeignKey(Apprenticeship, on_delete=models.PROTECT, related_name="signoffs",
                                       verbose_name=_("师带徒"))
    role = models.CharField(_("签字身份"), max_length=16, choices=Role.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("签字人")
    )
    signer_name = models.CharField(_("签字人姓名"), max_length=100)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    signed_at = models.DateTimeField(_("签字时间"), default=timezone.now)

    tenant_path = "apprenticeship__apprentice__enterprise"
    owner_path = "apprenticeship__apprentice__user"

    class Meta:
        verbose_name = _("出师签字")
        verbose_name_plural = _("出师签字")
        ordering = ["apprenticeship", "signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["apprenticeship", "role"], name="signoff_one_per_role"),
            models.UniqueConstraint(fields=["apprenticeship", "signed_by"], name="signoff_two_people"),
        ]

    def __str__(self):
        return f"{self.apprenticeship} · {self.get_role_display()} · {self.signer_name}"


class Reminder(models.Model):
    """Which missing week or broken pairing of an apprenticeship has been
    reminded. Inserting the unique key claims the reminder, in the same
    transaction as its notices (courses/apprenticeship/reminders.py)."""

    apprenticeship = models.ForeignKey(Apprenticeship, on_delete=models.CASCADE, related_name="reminders")
    key = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    tenant_path = "apprenticeship__apprentice__enterprise"

    class Meta:
        verbose_name = _("师带徒提醒")
        verbose_name_plural = _("师带徒提醒")
        constraints = [models.UniqueConstraint(fields=["apprenticeship", "key"], name="reminder_once")]
