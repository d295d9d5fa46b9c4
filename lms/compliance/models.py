"""Requirement rules, obligations and the clearance history.

Rules are rows (versioned, with effective dates, a jurisdiction and a
source), seeded with the national defaults of shared/RULES.md. An enterprise
or a province may make a rule stricter, never looser than the national floor.
Obligations are what a person owes because of an event or a cycle; they are
met by training records (and certificates), never ticked by hand."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from lms.accounts.models import region_code_validator, region_prefix
from lms.archive.models import TrainingLevel
from lms.workforce.models import RiskClass


class RuleCode(models.TextChoices):
    INDUCTION = "induction", _("三级安全教育（岗前）")
    ANNUAL_REFRESHER = "annual_refresher", _("从业人员年度再培训")
    PRINCIPAL_INITIAL = "principal_initial", _("主要负责人/安全管理人员初次培训")
    PRINCIPAL_ANNUAL = "principal_annual", _("主要负责人/安全管理人员年度再培训")
    TRANSFER_RETRAINING = "transfer_retraining", _("转岗再培训")
    RETURN_RETRAINING = "return_retraining", _("离岗复岗再培训")
    NEW_PROCESS = "new_process", _("四新专项培训")
    VIOLATION_OFF_POST = "violation_off_post", _("违规违章离岗再培训")
    WARNING_EDUCATION = "warning_education", _("警示教育")
    SPECIAL_OP_REVIEW = "special_op_review", _("特种作业操作证复审")
    APPRENTICESHIP = "apprenticeship", _("师带徒")
    PRINCIPAL_CERT = "principal_cert", _("主要负责人/安全管理人员考核合格证")
    # Enterprise policy, no national row: principals and safety managers owe
    # the staff refresher as well as their own annual hours (decision 013).
    PRINCIPAL_STAFF_REFRESHER = "principal_staff_refresher", _("主要负责人/安全管理人员另须参加从业人员年度再培训")
    FATAL_ACCIDENT_RETRAINING = "fatal_accident_retraining", _("发生死亡事故后负责人重新培训")


class Jurisdiction(models.TextChoices):
    NATIONAL = "national", _("国家")
    POLICY = "policy", _("平台默认（政策默认值）")
    PROVINCE = "province", _("地方")
    ENTERPRISE = "enterprise", _("企业")


# Which way is stricter, per parameter. A local rule may only move a value
# this way from the national floor.
STRICTER = {
    "min_hours": "higher",
    "pass_score": "higher",
    "count": "lower",
}
# "months" means different things per rule: a threshold that triggers
# retraining (lower = stricter) or a duration that must be served (higher =
# stricter).
MONTHS_STRICTER = {
    RuleCode.RETURN_RETRAINING: "lower",
    RuleCode.VIOLATION_OFF_POST: "higher",  # look-back window: longer catches more
    RuleCode.APPRENTICESHIP: "higher",
    RuleCode.SPECIAL_OP_REVIEW: "lower",  # review interval
    RuleCode.PRINCIPAL_CERT: "lower",  # months allowed to pass after taking the post
}

SPECIFICITY = {Jurisdiction.NATIONAL: 1, Jurisdiction.POLICY: 2, Jurisdiction.PROVINCE: 3, Jurisdiction.ENTERPRISE: 4}


class TrainingRule(models.Model):
    code = models.CharField(_("规则"), max_length=32, choices=RuleCode.choices)
    jurisdiction = models.CharField(_("制定层级"), max_length=16, choices=Jurisdiction.choices)
    region_code = models.CharField(
        _("适用地区"), max_length=6, blank=True, validators=[region_code_validator], help_text=_("地方规则填写行政区划代码")
    )
    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.CASCADE, null=True, blank=True, related_name="training_rules",
        verbose_name=_("适用企业"),
    )
    risk_class = models.CharField(
        _("适用行业类别"), max_length=16, choices=RiskClass.choices, blank=True, help_text=_("留空表示适用所有行业")
    )
    min_hours = models.DecimalField(
        _("最低学时"), max_digits=5, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    months = models.PositiveSmallIntegerField(_("月数"), null=True, blank=True)
    count = models.PositiveSmallIntegerField(_("次数"), null=True, blank=True)
    days = models.PositiveSmallIntegerField(_("天数"), null=True, blank=True)
    exam_required = models.BooleanField(_("须考核合格"), default=False)
    pass_score = models.PositiveSmallIntegerField(
        _("合格分"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    source = models.CharField(_("依据"), max_length=200)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("培训规则")
        verbose_name_plural = _("培训规则")
        ordering = ["code", "jurisdiction", "risk_class", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "jurisdiction", "region_code", "enterprise", "risk_class", "version"],
                name="rule_version_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gt=models.F("effective_from")),
                name="rule_effective_range",
            ),
        ]

    def __str__(self):
        scope = self.enterprise or self.region_code or self.get_jurisdiction_display()
        return f"{self.get_code_display()} · {scope} · v{self.version}"

    def applies(self, enterprise, on_date) -> bool:
        if self.effective_from > on_date or (self.effective_to and self.effective_to <= on_date):
            return False
        if self.risk_class and self.risk_class != enterprise.risk_class:
            return False
        if self.jurisdiction == Jurisdiction.ENTERPRISE:
            return self.enterprise_id == enterprise.pk
        if self.jurisdiction == Jurisdiction.PROVINCE:
            return enterprise.region_code.startswith(region_prefix(self.region_code))
        return True

    def specificity(self) -> tuple:
        return (SPECIFICITY[self.jurisdiction], bool(self.risk_class), self.effective_from, self.version)

    def clean(self):
        super().clean()
        errors = {}
        if self.jurisdiction == Jurisdiction.ENTERPRISE and not self.enterprise_id:
            errors["enterprise"] = _("企业规则必须指定企业")
        if self.jurisdiction == Jurisdiction.PROVINCE and not self.region_code:
            errors["region_code"] = _("地方规则必须指定行政区划代码")
        if self.jurisdiction in (Jurisdiction.NATIONAL, Jurisdiction.POLICY) and (self.enterprise_id or self.region_code):
            errors["jurisdiction"] = _("国家规则和平台默认值不能指定企业或地区")
        if errors:
            raise ValidationError(errors)
        if self.jurisdiction != Jurisdiction.NATIONAL:
            self._check_not_looser_than_national()

    def _check_not_looser_than_national(self):
        national = (
            TrainingRule.objects.filter(
                code=self.code, jurisdiction=Jurisdiction.NATIONAL, effective_from__lte=self.effective_from
            )
            .filter(models.Q(risk_class=self.risk_class) | models.Q(risk_class=""))
            .order_by("-risk_class", "-effective_from", "-version")
            .first()
        )
        if national is None and self.risk_class == "" and self.enterprise_id:
            national = (
                TrainingRule.objects.filter(
                    code=self.code, jurisdiction=Jurisdiction.NATIONAL, risk_class=self.enterprise.risk_class,
                    effective_from__lte=self.effective_from,
                )
                .order_by("-effective_from", "-version")
                .first()
            )
        if national is None:
            return
        errors = {}
        for field, direction in {**STRICTER, "months": MONTHS_STRICTER.get(self.code)}.items():
            if direction is None:
                continue
            mine, floor = getattr(self, field), getattr(national, field)
            if floor is None:
                continue
            if mine is None:
                errors[field] = _("国家规定为 %(floor)s，不能留空") % {"floor": floor}
            elif direction == "higher" and mine < floor:
                errors[field] = _("不得低于国家规定的 %(floor)s（%(source)s）") % {"floor": floor, "source": national.source}
            elif direction == "lower" and mine > floor:
                errors[field] = _("不得高于国家规定的 %(floor)s（%(source)s）") % {"floor": floor, "source": national.source}
        if national.exam_required and not self.exam_required:
            errors["exam_required"] = _("国家规定须考核合格，不能取消")
        if errors:
            raise ValidationError(errors)


class ObligationKind(models.TextChoices):
    INDUCTION = "induction", _("三级安全教育")
    RETRAINING = "retraining", _("转岗/复岗再培训")
    REFRESHER = "refresher", _("年度再培训")
    PRINCIPAL_INITIAL = "principal_initial", _("负责人初次培训")
    PRINCIPAL_ANNUAL = "principal_annual", _("负责人年度再培训")
    NEW_PROCESS = "new_process", _("四新专项培训")
    OFF_POST = "off_post", _("违规违章离岗再培训")
    WARNING = "warning", _("季度警示教育")
    APPRENTICESHIP = "apprenticeship", _("师带徒")
    SPECIAL_OP_REFRESHER = "special_op_refresher", _("特种作业复审前培训")
    FATAL_ACCIDENT_RETRAINING = "fatal_accident_retraining", _("死亡事故后负责人重新培训")


class ObligationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Obligation.Status.OPEN)

    def unmet_on(self, day):
        """Owed on ``day``: started by then and not met by then (an obligation
        met later was still unmet on an earlier date)."""
        return self.filter(start_date__lte=day).filter(
            models.Q(status=Obligation.Status.OPEN) | models.Q(status=Obligation.Status.MET, met_on__gt=day)
        )


class Obligation(models.Model):
    """What one person owes: kind, level, hours, exam, for which post, why,
    under which rule version, by when."""

    class Status(models.TextChoices):
        OPEN = "open", _("未完成")
        MET = "met", _("已完成")
        VOID = "void", _("已失效")

    class Stage(models.TextChoices):
        NONE = "", _("—")
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("已逾期")

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="obligations", verbose_name=_("员工")
    )
    kind = models.CharField(_("类别"), max_length=32, choices=ObligationKind.choices)
    level = models.CharField(_("层级"), max_length=16, choices=TrainingLevel.choices, blank=True, default="")
    post = models.ForeignKey(
        "workforce.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="obligations", verbose_name=_("岗位")
    )
    min_hours = models.DecimalField(_("最低学时"), max_digits=5, decimal_places=1, default=Decimal("0"))
    exam_required = models.BooleanField(_("须考核合格"), default=False)
    blocks_post = models.BooleanField(_("未完成不得上岗"), default=True)
    rule = models.ForeignKey(TrainingRule, on_delete=models.PROTECT, related_name="obligations", verbose_name=_("规则版本"))
    event = models.ForeignKey(
        "workforce.EmploymentEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="obligations",
        verbose_name=_("触发事件"),
    )
    cycle = models.CharField(_("周期"), max_length=16, blank=True, help_text=_("如 2026、2026Q4"))
    key = models.CharField(max_length=120, editable=False)
    start_date = models.DateField(_("起算日期"), help_text=_("此日期起完成的培训才计入"))
    end_date = models.DateField(_("截止计入日期"), null=True, blank=True)
    due_date = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    completed_hours = models.DecimalField(_("已完成学时"), max_digits=6, decimal_places=1, default=Decimal("0"))
    exam_passed = models.BooleanField(_("已考核合格"), default=False)
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    met_on = models.DateField(
        _("达标日期"), null=True, blank=True, help_text=_("计入的培训中最后完成的那一天；此前的日期仍按未完成计")
    )
    records = models.ManyToManyField(
        "archive.TrainingRecord", blank=True, related_name="obligations", verbose_name=_("计入的培训记录")
    )
    notified_stage = models.CharField(_("已通知阶段"), max_length=16, choices=Stage.choices, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    objects = ObligationQuerySet.as_manager()

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("培训义务")
        verbose_name_plural = _("培训义务")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "key"], name="obligation_natural_key"),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["employee", "status"]),
        ]

    def __str__(self):
        level = f"{self.get_level_display()}" if self.level else ""
        return f"{self.employee} · {level}{self.get_kind_display()}"

    @property
    def missing_hours(self) -> Decimal:
        return max(Decimal("0"), self.min_hours - self.completed_hours)

    def is_met(self) -> bool:
        return self.status == self.Status.MET

    def unmet_on(self, day) -> bool:
        if self.start_date > day or self.status == self.Status.VOID:
            return False
        return self.status == self.Status.OPEN or (self.met_on is not None and self.met_on > day)

    @property
    def label(self) -> str:
        if self.level:
            # One format string, so each language joins the parts its own way.
            return gettext("%(level)s%(kind)s") % {"level": self.get_level_display(), "kind": self.get_kind_display()}
        return self.get_kind_display()


class ClearanceCheck(models.Model):
    """A clearance answer that was given, for the person's history."""

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="clearance_checks", verbose_name=_("员工")
    )
    post = models.ForeignKey("workforce.Post", on_delete=models.CASCADE, related_name="+", verbose_name=_("岗位"))
    on_date = models.DateField(_("日期"))
    cleared = models.BooleanField(_("准予上岗"))
    reasons = models.JSONField(_("原因"), default=list)
    purpose = models.CharField(_("用途"), max_length=32)
    checked_at = models.DateTimeField(_("检查时间"), default=timezone.now)
    checked_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("上岗资格检查")
        verbose_name_plural = _("上岗资格检查")
        ordering = ["-checked_at"]


class Notice(models.Model):
    """An in-app notice (站内通知) to one user; its e-mail (same subject and
    text) goes out from a Celery task. ``key`` makes each notice unique per
    user, so a scan run twice sends once; ``email_status`` is the e-mail's
    outbox state, claimed by one task at a time (see lms/compliance/notices.py).

    A notice with a ``template`` (the daily scan's) keeps its facts in
    ``context`` and leaves ``body`` empty: the text is rendered from the
    template when it is e-mailed or shown (``texts()``), not in the scan."""

    class EmailStatus(models.TextChoices):
        NONE = "", _("不发邮件")
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notices", verbose_name=_("收件人"))
    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("企业")
    )
    key = models.CharField(max_length=160)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    email_status = models.CharField(
        _("邮件状态"), max_length=8, choices=EmailStatus.choices, blank=True, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(_("邮件发送次数"), default=0)
    email_at = models.DateTimeField(
        _("邮件状态时间"), null=True, blank=True, help_text=_("进入当前邮件状态的时间：排队、开始发送、发出或放弃")
    )
    email_error = models.CharField(_("邮件错误"), max_length=300, blank=True)
    template = models.CharField(
        _("正文模板"), max_length=40, blank=True, default="", help_text=_("有模板时正文在发送或查看时按内容数据生成")
    )
    context = models.JSONField(_("内容数据"), default=dict, blank=True)

    tenant_path = "enterprise"
    owner_path = "user"

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notice_once_per_user")]
        indexes = [
            # The outbox sweep reads only e-mails still to go out (a small share of all notices).
            models.Index(
                fields=["email_status", "email_at"], name="notice_email_outbox",
                condition=models.Q(email_status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        return self.title

    def texts(self) -> tuple[str, str]:
        """Subject and text as e-mailed and shown: the stored body, or the
        one rendered from ``template`` and ``context``."""
        from .notices import notice_texts

        return notice_texts(self)
