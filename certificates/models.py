"""Certificates a person holds.

External ones (特种作业操作证, 安全生产知识和管理能力考核合格证, 特种设备作业人员证)
are registered with their dates; internal ones (三级安全教育合格证, 上岗合格证,
师带徒出师证, 年度再培训合格证) are issued by Anxun when the obligations behind
them are met, or by HR with the basis recorded, and carry a long random
verification code printed as a QR code. Every issued certificate has a
:class:`CertificateType` (validity, review interval, issuer, PDF template,
whether clearance for a post depends on it). The clearance gate reads both."""

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.kernel.jobs import BackgroundJob
from lms.workforce.models import SpecialOperation


class CertificateKind(models.TextChoices):
    SPECIAL_OPERATION = "special_operation", _("特种作业操作证")
    PRINCIPAL_COMPETENCE = "principal_competence", _("主要负责人安全生产知识和管理能力考核合格证")
    SAFETY_MANAGER_COMPETENCE = "safety_manager_competence", _("安全生产管理人员安全生产知识和管理能力考核合格证")
    SPECIAL_EQUIPMENT = "special_equipment", _("特种设备作业人员证")
    OTHER = "other", _("其他证书")
    # Internal certificates, issued by the enterprise through Anxun.
    INDUCTION_COMPLETION = "induction_completion", _("三级安全教育合格证")
    POST = "post", _("上岗合格证")
    APPRENTICESHIP_COMPLETION = "apprenticeship_completion", _("师带徒出师证")
    REFRESHER_COMPLETION = "refresher_completion", _("年度再培训合格证")


INTERNAL_KINDS = frozenset({
    CertificateKind.INDUCTION_COMPLETION,
    CertificateKind.POST,
    CertificateKind.APPRENTICESHIP_COMPLETION,
    CertificateKind.REFRESHER_COMPLETION,
})
# Kinds with rules of their own in the clearance gate (certificates/gate.py; 令30: the
# post's special-operation category; 令3 §24: high-risk principals).
GATE_OWN_KINDS = frozenset({
    CertificateKind.SPECIAL_OPERATION,
    CertificateKind.PRINCIPAL_COMPETENCE,
    CertificateKind.SAFETY_MANAGER_COMPETENCE,
})

DEFAULT_NUMBER_PATTERN = "{enterprise}-{type}-{year}-{seq:05d}"


class CertificateType(models.Model):
    """What a kind of certificate means: how long it is valid (empty: no
    expiry — no rule gives internal certificates one), how often it is
    reviewed, who issues it, what its PDF looks like, whether clearance for a
    post depends on it. Platform defaults have no enterprise; an enterprise's
    own active type of the same kind takes their place for that enterprise."""

    class Layout(models.TextChoices):
        A4 = "a4", _("A4 证书")
        CARD = "card", _("卡片（证件卡）")

    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.CASCADE, null=True, blank=True, related_name="certificate_types",
        verbose_name=_("企业"), help_text=_("留空为平台默认类型，适用于所有企业"),
    )
    code = models.CharField(_("类型编码"), max_length=32, help_text=_("印在证书编号中，如 SG（上岗）"))
    name = models.CharField(_("类型名称"), max_length=100)
    kind = models.CharField(_("证书类别"), max_length=32, choices=CertificateKind.choices)
    validity_months = models.PositiveSmallIntegerField(
        _("有效期（月）"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("留空表示长期有效；特种作业操作证 72 个月（令30），考核合格证 36 个月（办法 §25）"),
    )
    review_interval_months = models.PositiveSmallIntegerField(
        _("复审周期（月）"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("留空表示有效期内不复审；特种作业操作证每 36 个月复审（令30 §21）"),
    )
    issuer = models.CharField(
        _("发证单位"), max_length=100, blank=True, help_text=_("内部证书留空时为本企业（或其发证单位设置）的名称")
    )
    layout = models.CharField(_("版式"), max_length=8, choices=Layout.choices, default=Layout.A4)
    template_html = models.TextField(
        _("证书模板（HTML）"), blank=True,
        help_text=_("留空使用系统默认模板。可用变量：{{ holder_name }}、{{ id_number_masked }}、{{ type_name }}、"
                    "{{ number }}、{{ category }}、{{ level }}、{{ post }}、{{ issued_on }}、{{ valid_until }}、"
                    "{{ next_review_due }}、{{ issuer }}、{{ enterprise_name }}、{{ verify_url }}、{{ qr }}、"
                    "{{ seal }}、{{ photo }}、{{ basis }}"),
    )
    clearance_required = models.BooleanField(
        _("上岗资格依赖此证"), default=False,
        help_text=_("勾选后，持证人的此类证书被暂停、吊销或过期时，立即失去相应岗位的上岗资格"),
    )
    auto_issue = models.BooleanField(
        _("自动发证"), default=False, help_text=_("内部证书：相应培训义务全部完成时自动发证")
    )
    number_pattern = models.CharField(
        _("编号规则"), max_length=80, default=DEFAULT_NUMBER_PATTERN,
        help_text=_("可用 {enterprise}（企业编码）、{type}（类型编码）、{year}、{yy}、{seq} 或 {seq:05d}（当年流水号，"
                    "企业内每年从 1 起）；必须含年份和流水号"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    tenant_path = "enterprise"
    shared_when_null = True

    class Meta:
        verbose_name = _("证书类型")
        verbose_name_plural = _("证书类型")
        ordering = ["enterprise_id", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "code"], name="certificate_type_code_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(enterprise__isnull=True), name="certificate_type_platform_code_unique"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_internal(self) -> bool:
        return self.kind in INTERNAL_KINDS


def seal_upload_to(instance, filename):
    return f"certificates/seals/{instance.enterprise_id}/{filename}"


class IssuerProfile(models.Model):
    """How an enterprise signs the certificates it issues: the name printed
    as issuer and the seal image (印章)."""

    enterprise = models.OneToOneField(
        "workforce.Enterprise", on_delete=models.CASCADE, related_name="certificate_issuer", verbose_name=_("企业")
    )
    issuer_name = models.CharField(_("发证单位名称"), max_length=100, blank=True, help_text=_("留空为企业名称"))
    seal = models.FileField(_("印章图片"), upload_to=seal_upload_to, blank=True, help_text=_("PNG（透明背景）"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("发证单位")
        verbose_name_plural = _("发证单位")

    def __str__(self):
        return self.issuer_name or self.enterprise.name


class NumberCounter(models.Model):
    """The last serial used for an enterprise's certificates in a year;
    locked while a number is drawn."""

    enterprise = models.ForeignKey("workforce.Enterprise", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    tenant_path = "enterprise"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="certificate_counter_unique")]


def batch_upload_to(instance, filename):
    return f"certificates/batches/{instance.enterprise_id}/{filename}"


class IssuanceBatch(BackgroundJob):
    """Certificates issued together for an exam (its passed attempts) or an
    offline session (its passed attendance records), run as a Celery task
    with progress; the PDFs are kept as one zip."""

    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.CASCADE, related_name="certificate_batches", verbose_name=_("企业")
    )
    type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="batches", verbose_name=_("证书类型"))
    exam = models.ForeignKey(
        "exams.Exam", on_delete=models.PROTECT, null=True, blank=True, related_name="certificate_batches",
        verbose_name=_("考试"),
    )
    session_ref = models.CharField(
        _("培训场次"), max_length=100, blank=True, help_text=_("线下培训场次（培训记录来源引用的前缀）")
    )
    post = models.ForeignKey(
        "workforce.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("岗位")
    )
    total = models.PositiveIntegerField(_("人数"), default=0)
    issued_count = models.PositiveIntegerField(_("新发证"), default=0)
    skipped = models.JSONField(_("未发证"), default=list, blank=True)
    archive = models.FileField(_("证书压缩包"), upload_to=batch_upload_to, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("批量发证")
        verbose_name_plural = _("批量发证")
        ordering = ["-created_at"]

    def __str__(self):
        source = self.exam.title if self.exam_id else self.session_ref
        return f"{self.type} · {source}"


def new_verification_code() -> str:
    """32 URL-safe characters from the OS's random source (192 bits): not
    guessable, not sequential."""
    return secrets.token_urlsafe(24)


def photo_upload_to(instance, filename):
    return f"certificates/photos/{instance.employee.enterprise_id}/{instance.employee_id}/{filename}"


def scan_upload_to(instance, filename):
    return f"certificates/{instance.employee.enterprise_id}/{instance.employee_id}/{filename}"


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        SUSPENDED = "suspended", _("暂停")
        REVOKED = "revoked", _("吊销/注销")
        SUPERSEDED = "superseded", _("已换发")

    class Via(models.TextChoices):
        REGISTERED = "registered", _("登记外部证书")
        AUTOMATIC = "automatic", _("自动发证")
        MANUAL = "manual", _("人工发证")
        BATCH = "batch", _("批量发证")
        REISSUE = "reissue", _("换发")

    # The statuses a holder's current certificate can be in (one per scope).
    CURRENT = ("valid", "suspended")

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="certificates", verbose_name=_("持证人")
    )
    kind = models.CharField(_("证书类别"), max_length=32, choices=CertificateKind.choices)
    category = models.CharField(
        _("作业类别"), max_length=32, choices=SpecialOperation.choices, blank=True, default=""
    )
    number = models.CharField(_("证书编号"), max_length=64)
    # 个保法 §51: a number that carried a 身份证号 (特种作业操作证 numbers often
    # are the holder's ID number) is stored with the ID number masked; the
    # keyed hash of the number as entered still finds a second registration.
    number_masked = models.BooleanField(
        _("编号中的身份证号已隐藏"), default=False, editable=False,
        help_text=_("登记时证书编号含身份证号，已按脱敏规则保存"),
    )
    number_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    authority = models.CharField(_("发证机关"), max_length=100)
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("留空表示长期有效"))
    next_review_due = models.DateField(_("下次复审日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.VALID)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    status_reason = models.CharField(_("状态变更原因"), max_length=300, blank=True)
    scan = models.FileField(_("证书扫描件"), upload_to=scan_upload_to, blank=True)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by", verbose_name=_("替代的证书")
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)
    # --- types, issuance and verification -------------------------------------
    type = models.ForeignKey(
        CertificateType, on_delete=models.PROTECT, null=True, blank=True, related_name="certificates",
        verbose_name=_("证书类型"),
    )
    post = models.ForeignKey(
        "workforce.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="certificates",
        verbose_name=_("岗位"),
    )
    level = models.CharField(_("等级/项目"), max_length=100, blank=True)
    issued_via = models.CharField(_("来源"), max_length=16, choices=Via.choices, default=Via.REGISTERED)
    verification_code = models.CharField(
        _("验证码"), max_length=48, unique=True, null=True, blank=True, editable=False
    )
    issuing_enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("发证企业"),
    )
    number_year = models.PositiveSmallIntegerField(_("编号年度"), null=True, blank=True)
    scope_key = models.CharField(max_length=40, blank=True, default="", editable=False)
    basis_key = models.CharField(max_length=80, blank=True, default="", editable=False)
    basis_records = models.ManyToManyField(
        "archive.TrainingRecord", blank=True, related_name="certificates", verbose_name=_("发证依据（培训记录）")
    )
    basis_attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, null=True, blank=True, related_name="certificates",
        verbose_name=_("发证依据（考试答卷）"),
    )
    basis_note = models.CharField(_("发证依据说明"), max_length=300, blank=True)
    batch = models.ForeignKey(
        IssuanceBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="certificates",
        verbose_name=_("批次"),
    )
    photo = models.ImageField(_("持证人照片"), upload_to=photo_upload_to, blank=True)
    gates_clearance = models.BooleanField(_("上岗资格依赖此证"), default=False, editable=False)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("状态变更人"),
    )
    # Reminder stages already sent (the daily scan claims each once): "90", "30", "7", "lapsed".
    notified_review_stage = models.CharField(max_length=8, blank=True, default="", editable=False)
    notified_expiry_stage = models.CharField(max_length=8, blank=True, default="", editable=False)

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        ordering = ["employee", "kind", "-valid_until"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "number", "authority"], condition=Q(number_masked=False), name="certificate_number_unique"
            ),
            # Masked numbers of two holders may look alike; the number as entered may not repeat.
            models.UniqueConstraint(
                fields=["kind", "number_digest", "authority"], condition=Q(number_masked=True),
                name="certificate_masked_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("issued_on")),
                name="certificate_valid_after_issue_or_open",
            ),
            # External certificates always carry the authority's expiry date.
            models.CheckConstraint(
                condition=Q(valid_until__isnull=False) | Q(verification_code__isnull=False),
                name="certificate_external_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(kind="special_operation", category__gt="") | ~Q(kind="special_operation"),
                name="certificate_special_operation_has_category",
            ),
            # Issued once per basis (the set of met obligations, an exam attempt, a re-issue).
            models.UniqueConstraint(
                fields=["employee", "type", "basis_key"], condition=~Q(basis_key=""), name="certificate_once_per_basis"
            ),
            # One current internal certificate per person, type and post/cycle.
            models.UniqueConstraint(
                fields=["employee", "type", "scope_key"],
                condition=Q(status__in=["valid", "suspended"]) & Q(verification_code__isnull=False),
                name="certificate_one_current_per_scope",
            ),
            models.UniqueConstraint(
                fields=["issuing_enterprise", "number_year", "number"],
                condition=Q(issuing_enterprise__isnull=False),
                name="certificate_number_unique_per_enterprise_year",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="certificate_status_valid")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.status == self.Status.VALID and self.issued_on <= day
                and (self.valid_until is None or day <= self.valid_until))

    def review_overdue_on(self, day: dt.date) -> bool:
        return self.next_review_due is not None and self.next_review_due < day

    @property
    def is_internal(self) -> bool:
        return self.kind in INTERNAL_KINDS

    STATE_LABELS = {
        "valid": _("有效"),
        "expired": _("已过期"),
        "suspended": _("暂停"),
        "revoked": _("已吊销/注销"),
        "superseded": _("已换发新证"),
        "not_yet": _("尚未生效"),
    }

    def state_on(self, day: dt.date) -> str:
        """valid / expired / suspended / revoked / superseded / not_yet on ``day``."""
        if self.status != self.Status.VALID:
            return self.status
        if day < self.issued_on:
            return "not_yet"
        if self.valid_until is not None and day > self.valid_until:
            return "expired"
        return "valid"

    def state_label(self, day: dt.date) -> str:
        return str(self.STATE_LABELS[self.state_on(day)])

    def state_date(self, day: dt.date) -> dt.date | None:
        """The day the state of ``day`` began, when it is not plain validity."""
        state = self.state_on(day)
        if state == "expired":
            return self.valid_until + dt.timedelta(days=1)
        if state in ("suspended", "revoked", "superseded") and self.status_changed_at:
            return timezone.localdate(self.status_changed_at)
        return None


class CertificateReview(models.Model):
    """A passed review (复审) of a special-operation certificate as recorded
    (令30 §21–§24): when it was reviewed, the due date it answered, the
    refresher hours the archive showed, and the next review it set (every 3
    years; every 6 when extended after ≥ 10 years in the trade with a clean
    record). A refused review is not recorded: the due date stays and
    clearance refuses once it passes."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("证书")
    )
    reviewed_on = models.DateField(_("复审日期"))
    due_on = models.DateField(_("本次复审期限"))
    next_review_due = models.DateField(_("下次复审日期"), null=True, blank=True)
    extended = models.BooleanField(_("延长至每 6 年复审"), default=False)
    refresher_hours = models.DecimalField(_("复审培训学时"), max_digits=5, decimal_places=1, default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    tenant_path = "certificate__employee__enterprise"
    owner_path = "certificate__employee__user"

    class Meta:
        verbose_name = _("证书复审")
        verbose_name_plural = _("证书复审")
        ordering = ["certificate", "-reviewed_on"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "due_on"], name="certificate_review_once_per_due"),
        ]

    def __str__(self):
        return f"{self.certificate} · {self.reviewed_on}"
