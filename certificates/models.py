"""Certificates a person holds. External ones (特种作业操作证, 安全生产知识和
管理能力考核合格证, 特种设备作业人员证) are registered with their dates; the
clearance gate reads them. Issuance, PDFs and verification build on this."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.workforce.models import SpecialOperation


class CertificateKind(models.TextChoices):
    SPECIAL_OPERATION = "special_operation", _("特种作业操作证")
    PRINCIPAL_COMPETENCE = "principal_competence", _("主要负责人安全生产知识和管理能力考核合格证")
    SAFETY_MANAGER_COMPETENCE = "safety_manager_competence", _("安全生产管理人员安全生产知识和管理能力考核合格证")
    SPECIAL_EQUIPMENT = "special_equipment", _("特种设备作业人员证")
    OTHER = "other", _("其他证书")


def scan_upload_to(instance, filename):
    return f"certificates/{instance.employee.enterprise_id}/{instance.employee_id}/{filename}"


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        SUSPENDED = "suspended", _("暂停")
        REVOKED = "revoked", _("吊销/注销")

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="certificates", verbose_name=_("持证人")
    )
    kind = models.CharField(_("证书类别"), max_length=32, choices=CertificateKind.choices)
    category = models.CharField(
        _("作业类别"), max_length=32, choices=SpecialOperation.choices, blank=True, default=""
    )
    number = models.CharField(_("证书编号"), max_length=64)
    authority = models.CharField(_("发证机关"), max_length=100)
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"))
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

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        ordering = ["employee", "kind", "-valid_until"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number", "authority"], name="certificate_number_unique"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("issued_on")), name="certificate_valid_after_issue"),
            models.CheckConstraint(
                condition=Q(kind="special_operation", category__gt="") | ~Q(kind="special_operation"),
                name="certificate_special_operation_has_category",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.status == self.Status.VALID and self.issued_on <= day <= self.valid_until

    def review_overdue_on(self, day: dt.date) -> bool:
        return self.next_review_due is not None and self.next_review_due < day
