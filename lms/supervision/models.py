"""监管抽查: samples drawn by regulators (双随机) and the findings they record.

A sample keeps its rules and its random seed, so anyone can recompute it
(``services.sample_reproduce``) and see the same enterprises and people.
A finding is a thread: the regulator opens it, the enterprise answers with
evidence, the regulator closes or reopens it. Every change is also written to
Wagtail's log.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import region_code_validator
from lms.compliance.penalties import penalty_for_finding
from lms.kernel.jobs import BackgroundJob
from lms.workforce.models import Industry, RiskClass

MAX_ENTERPRISES = 200
MAX_EMPLOYEES = 100


class Sample(models.Model):
    """One draw: N enterprises of a region (optionally one industry / risk
    class), then M people in each (optionally weighted to high-hazard posts)."""

    regulator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervision_samples", verbose_name=_("抽查人")
    )
    region_code = models.CharField(_("行政区划代码"), max_length=6, validators=[region_code_validator])
    created_at = models.DateTimeField(_("抽取时间"), default=timezone.now)
    n_enterprises = models.PositiveSmallIntegerField(
        _("抽取企业数"), validators=[MinValueValidator(1), MaxValueValidator(MAX_ENTERPRISES)]
    )
    m_employees = models.PositiveSmallIntegerField(
        _("每企业抽取人数"), validators=[MinValueValidator(1), MaxValueValidator(MAX_EMPLOYEES)]
    )
    industry = models.CharField(_("行业"), max_length=32, choices=Industry.choices, blank=True)
    risk_class = models.CharField(_("风险类别"), max_length=16, choices=RiskClass.choices, blank=True)
    weight_high_hazard = models.BooleanField(
        _("侧重高风险岗位"), default=False, help_text=_("重大/较大风险岗位及特种作业岗位人员被抽中的机会为其他人员的 3 倍")
    )
    seed = models.PositiveBigIntegerField(_("随机种子"))
    # What the pool held when drawn: a reproduction on changed data says so.
    enterprise_pool = models.PositiveIntegerField(_("符合条件的企业数"), default=0)

    class Meta:
        verbose_name = _("抽查样本")
        verbose_name_plural = _("抽查样本")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return _("抽查 %(region)s · %(date)s") % {
            "region": self.region_code,
            "date": timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M"),
        }

    def rules(self) -> dict:
        return {
            "region_code": self.region_code,
            "n": self.n_enterprises,
            "m": self.m_employees,
            "industry": self.industry,
            "risk_class": self.risk_class,
            "weight_high_hazard": self.weight_high_hazard,
        }


class SampleItem(models.Model):
    """One drawn person (or an enterprise drawn with nobody to draw: employee empty)."""

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="items", verbose_name=_("样本"))
    position = models.PositiveIntegerField(_("序号"))
    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("企业")
    )
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("人员")
    )

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("抽查对象")
        verbose_name_plural = _("抽查对象")
        ordering = ["sample", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "position"], name="sample_item_position_unique"),
            models.UniqueConstraint(
                fields=["sample", "employee"], condition=Q(employee__isnull=False), name="sample_item_employee_once"
            ),
        ]


def evidence_upload_to(instance, filename):
    return f"supervision/{instance.finding.enterprise_id}/{timezone.now():%Y/%m}/{filename}"


class Finding(models.Model):
    """A problem a regulator found, with a deadline for the enterprise to answer."""

    class Kind(models.TextChoices):
        MISSING_HOURS = "missing_hours", _("培训学时不足")
        RECORD_GAPS = "record_gaps", _("档案记录缺失")
        UNQUALIFIED = "unqualified", _("未经培训合格上岗")
        OTHER = "other", _("其他问题")

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        ANSWERED = "answered", _("已答复")
        CLOSED = "closed", _("已销号")
        REOPENED = "reopened", _("退回重改")

    AWAITING_ANSWER = (Status.OPEN, Status.REOPENED)

    @property
    def penalty(self):
        """The item of 法 §97 this kind of finding falls under (None for 其他问题)."""
        return penalty_for_finding(self.kind)

    sample = models.ForeignKey(
        Sample, on_delete=models.PROTECT, null=True, blank=True, related_name="findings", verbose_name=_("抽查样本")
    )
    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.PROTECT, related_name="supervision_findings", verbose_name=_("企业")
    )
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("人员")
    )
    kind = models.CharField(_("问题类型"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("问题描述"), max_length=4000)
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("检查问题")
        verbose_name_plural = _("检查问题")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="finding_closed_at_iff_closed",
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} · {self.get_kind_display()}"

    def is_awaiting_answer(self) -> bool:
        return self.status in self.AWAITING_ANSWER

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_awaiting_answer() and self.deadline < today


class FindingEntry(models.Model):
    """One step in a finding's thread: the enterprise's answer (with evidence),
    or the regulator's closing or reopening note."""

    class Kind(models.TextChoices):
        ANSWER = "answer", _("企业答复")
        CLOSE = "close", _("监管销号")
        REOPEN = "reopen", _("监管退回")

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="entries", verbose_name=_("问题"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("说明"), max_length=4000, blank=True)
    evidence = models.FileField(_("佐证材料"), upload_to=evidence_upload_to, blank=True)
    evidence_name = models.CharField(_("材料文件名"), max_length=200, blank=True)
    # SHA-256 of the evidence taken when it was attached: verify_archive
    # checks the stored file against it.
    evidence_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("填写人"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    tenant_path = "finding__enterprise"

    class Meta:
        verbose_name = _("问题处理记录")
        verbose_name_plural = _("问题处理记录")
        ordering = ["created_at", "id"]


def bundle_upload_to(instance, filename):
    return f"supervision/bundles/{timezone.now():%Y/%m}/{filename}"


class SampleBundle(BackgroundJob):
    """One download of a sample: a zip of one archive PDF per sampled person
    plus an Excel summary, built by a Celery task with progress."""

    STATUS_LABELS = {BackgroundJob.Status.RUNNING: _("生成中"), BackgroundJob.Status.SUCCEEDED: _("已生成")}

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="bundles", verbose_name=_("抽查样本"))
    total = models.PositiveIntegerField(_("档案数"), default=0)
    processed = models.PositiveIntegerField(_("已生成"), default=0)
    archive = models.FileField(_("压缩包"), upload_to=bundle_upload_to, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        verbose_name = _("抽查样本打包")
        verbose_name_plural = _("抽查样本打包")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample"], condition=Q(status__in=["pending", "running"]), name="sample_bundle_one_in_progress"
            ),
        ]
