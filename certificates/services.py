"""The certificates app's front door for writes: register an external
certificate, suspend, revoke, reinstate it, record a review (复审).

Each function checks that ``actor`` may change the holder's enterprise
(``actor=None`` is the system: demo data, commands), validates, saves inside a
transaction and writes an audit entry with Wagtail's ``log()``. The clearance
gate reads certificates live, so a suspension or revocation takes effect on
the very next clearance answer.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.workforce.models import Employee

from .models import Certificate, CertificateKind


class CertificateError(ValidationError):
    """A certificate rule refused the change; the message is for the user."""


def _require(actor, enterprise_id: int) -> None:
    if actor is not None and not can(actor, Capability.CHANGE, enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的证书"))


def _log_user(actor):
    # API tokens are not users; Wagtail's log wants a user or None.
    return actor if getattr(actor, "pk", None) else None


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError({"reason": _("请填写原因")})
    if len(reason) > 300:
        raise CertificateError({"reason": _("原因不能超过 300 个字")})
    return reason


@transaction.atomic
def certificate_register(
    *,
    employee: Employee,
    kind: str,
    number: str,
    authority: str,
    issued_on: dt.date,
    valid_until: dt.date,
    category: str = "",
    next_review_due: dt.date | None = None,
    scan=None,
    replaces: Certificate | None = None,
    actor,
) -> Certificate:
    """Register a certificate an authority issued to ``employee`` (特种作业操作证,
    负责人/安全管理人员考核合格证, 特种设备作业人员证 …) and return it.

    Refused (field errors, in Chinese) when a special-operation certificate
    has no category, a category is given for another kind, the dates are
    out of order, the same number from the same authority is already on
    file, or ``replaces`` belongs to someone else or is of another kind."""
    _require(actor, employee.enterprise_id)
    number, authority = (number or "").strip(), (authority or "").strip()
    errors = {}
    if kind == CertificateKind.SPECIAL_OPERATION and not category:
        errors["category"] = _("特种作业操作证必须填写作业类别")
    elif kind != CertificateKind.SPECIAL_OPERATION and category:
        errors["category"] = _("只有特种作业操作证填写作业类别")
    if issued_on and valid_until and valid_until < issued_on:
        errors["valid_until"] = _("有效期不能早于发证日期")
    if next_review_due and issued_on and next_review_due <= issued_on:
        errors["next_review_due"] = _("复审日期应晚于发证日期")
    if replaces is not None and (replaces.employee_id != employee.pk or replaces.kind != kind):
        errors["replaces"] = _("只能替代同一持证人的同类证书")
    if number and authority and Certificate.objects.filter(kind=kind, number=number, authority=authority).exists():
        errors["number"] = _("该发证机关的同类证书编号已登记")
    if errors:
        raise CertificateError(errors)
    certificate = Certificate(
        employee=employee,
        kind=kind,
        category=category or "",
        number=number,
        authority=authority,
        issued_on=issued_on,
        valid_until=valid_until,
        next_review_due=next_review_due,
        replaces=replaces,
        registered_by=_log_user(actor),
    )
    if scan:
        certificate.scan = scan
    certificate.full_clean()
    certificate.save()
    log(
        certificate,
        "anxun.certificate_register",
        user=_log_user(actor),
        data={"employee": employee.pk, "kind": kind, "number": number, "valid_until": valid_until.isoformat()},
    )
    return certificate


def _change_status(certificate: Certificate, *, allowed_from: set, to: str, reason: str, action: str, actor,
                   refused: str) -> Certificate:
    _require(actor, certificate.employee.enterprise_id)
    reason = _clean_reason(reason)
    locked = Certificate.objects.select_for_update().select_related("employee").get(pk=certificate.pk)
    if locked.status not in allowed_from:
        raise CertificateError(refused % {"status": locked.get_status_display()})
    previous = locked.status
    locked.status = to
    locked.status_changed_at = timezone.now()
    locked.status_reason = reason
    locked.full_clean()
    locked.save(update_fields=["status", "status_changed_at", "status_reason"])
    log(locked, action, user=_log_user(actor), data={"from": previous, "to": to, "reason": reason})
    return locked


@transaction.atomic
def certificate_suspend(*, certificate: Certificate, reason: str, actor) -> Certificate:
    """Suspend a valid certificate (暂停); the holder loses clearance for posts
    that need it until it is reinstated."""
    return _change_status(
        certificate, allowed_from={Certificate.Status.VALID}, to=Certificate.Status.SUSPENDED, reason=reason,
        action="anxun.certificate_suspend", actor=actor, refused=_("只有有效的证书可以暂停（当前状态：%(status)s）"),
    )


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, actor) -> Certificate:
    """Revoke a valid or suspended certificate (吊销/注销). Final: a revoked
    certificate is never reinstated; a new one is registered instead."""
    return _change_status(
        certificate, allowed_from={Certificate.Status.VALID, Certificate.Status.SUSPENDED},
        to=Certificate.Status.REVOKED, reason=reason, action="anxun.certificate_revoke", actor=actor,
        refused=_("该证书不能吊销（当前状态：%(status)s）"),
    )


@transaction.atomic
def certificate_reinstate(*, certificate: Certificate, reason: str, actor) -> Certificate:
    """Restore a suspended certificate's validity (恢复)."""
    return _change_status(
        certificate, allowed_from={Certificate.Status.SUSPENDED}, to=Certificate.Status.VALID, reason=reason,
        action="anxun.certificate_reinstate", actor=actor,
        refused=_("只有暂停中的证书可以恢复（当前状态：%(status)s）"),
    )


@transaction.atomic
def certificate_review(*, certificate: Certificate, reviewed_on: dt.date, next_review_due: dt.date | None,
                       actor) -> Certificate:
    """Record a passed review (复审, 令30 §21): the next review falls due on
    ``next_review_due`` (None when no further review is due before expiry)."""
    _require(actor, certificate.employee.enterprise_id)
    locked = Certificate.objects.select_for_update().select_related("employee").get(pk=certificate.pk)
    errors = {}
    if locked.status != Certificate.Status.VALID:
        raise CertificateError(_("只有有效的证书可以登记复审（当前状态：%(status)s）") % {
            "status": locked.get_status_display()})
    if reviewed_on < locked.issued_on or reviewed_on > timezone.localdate():
        errors["reviewed_on"] = _("复审日期应在发证日期之后、今天或以前")
    if next_review_due is not None and next_review_due <= reviewed_on:
        errors["next_review_due"] = _("下次复审日期应晚于本次复审日期")
    if next_review_due is not None and next_review_due > locked.valid_until:
        errors["next_review_due"] = _("下次复审日期不能晚于有效期 %(d)s") % {"d": locked.valid_until}
    if errors:
        raise CertificateError(errors)
    previous = locked.next_review_due
    locked.next_review_due = next_review_due
    locked.full_clean()
    locked.save(update_fields=["next_review_due"])
    log(
        locked,
        "anxun.certificate_review",
        user=_log_user(actor),
        data={
            "reviewed_on": reviewed_on.isoformat(),
            "previous_due": previous.isoformat() if previous else None,
            "next_review_due": next_review_due.isoformat() if next_review_due else None,
        },
    )
    return locked
