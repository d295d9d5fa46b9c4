"""The certificates app's front door for writes: register an external
certificate, issue an internal one (automatically when its obligations are
met, or by HR with the basis recorded), re-issue, suspend, revoke,
reinstate, record a review (复审), configure types and issuers.

Each function checks that ``actor`` may change the holder's enterprise
(``actor=None`` is the system: demo data, commands), validates, saves inside a
transaction and writes an audit entry with Wagtail's ``log()``. The clearance
gate reads certificates live, so a suspension or revocation takes effect on
the very next clearance answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user
from lms.archive.models import TrainingKind, TrainingRecord
from lms.compliance.models import RuleCode
from lms.compliance.rules import RuleBook, add_months, months_between
from lms.pii import blind_index
from lms.workforce.models import Employee, EmploymentEvent, Enterprise, Post
from lms.workforce.validators import mask_id_numbers_in

from .models import (
    INTERNAL_KINDS,
    Certificate,
    CertificateReview,
    CertificateKind,
    CertificateType,
    IssuerProfile,
    NumberCounter,
    new_verification_code,
)
from .selectors import auto_issue_types_for, batch_bases, certificate_type_for, issuer_name_for
from lms.compliance.models import Obligation, ObligationKind
from lms.compliance.selectors import clearance

logger = logging.getLogger(__name__)


class CertificateError(ValidationError):
    """A certificate rule refused the change; the message is for the user."""


def _require(actor, enterprise_id: int) -> None:
    if actor is not None and not can(actor, Capability.CHANGE, enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的证书"))


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError({"reason": _("请填写原因")})
    if len(reason) > 300:
        raise CertificateError({"reason": _("原因不能超过 300 个字")})
    return reason


# --- validity and review rules (令30 §19–§25; 办法 §25) ------------------------------------

# Fallbacks when no certificate type of the kind is on file.
DEFAULT_VALIDITY_MONTHS = {
    CertificateKind.SPECIAL_OPERATION: 72,
    CertificateKind.PRINCIPAL_COMPETENCE: 36,
    CertificateKind.SAFETY_MANAGER_COMPETENCE: 36,
    CertificateKind.SPECIAL_EQUIPMENT: 48,
}
# 令30 §21: the review may be extended to every 6 years after ≥ 10 years in
# the trade (continuous holding of the category) with a clean record.
EXTENSION_YEARS_IN_TRADE = 10
# RULES.md "Certificates": the review is refused after a penalty or this
# many verified violations in the review period (令30; its text reads
# "2次以上违章行为" — to be checked against RULES.md's ≥ 3).
REVIEW_REFUSAL_VIOLATIONS = 3
# What counts as a penalty on the certificate (暂扣 / 吊销, 令30 §38–§40).
PENALTY_ACTIONS = ("anxun.certificate_suspend", "anxun.certificate_revoke")


def _review_rule(enterprise: Enterprise, on_date: dt.date):
    return RuleBook.load().get(RuleCode.SPECIAL_OP_REVIEW, enterprise, on_date)


def review_interval_months(kind: str, type: CertificateType | None, enterprise: Enterprise,
                           on_date: dt.date) -> int | None:
    """How often a certificate of ``kind`` is reviewed: its type's interval,
    for special operation never longer than the review rule (令30 §21: 36)."""
    months = type.review_interval_months if type is not None else None
    if kind == CertificateKind.SPECIAL_OPERATION:
        rule = _review_rule(enterprise, on_date)
        floor = (rule.months if rule is not None else None) or 36
        months = min(months or floor, floor)
    return months


def derived_dates(*, kind: str, type: CertificateType | None, enterprise: Enterprise, issued_on: dt.date,
                  ) -> tuple[dt.date | None, dt.date | None]:
    """``(valid_until, next_review_due)`` the rules give a certificate of
    ``kind`` issued on ``issued_on``: validity from its type (special
    operation 6 years, competence 3), the first review one interval after
    issue, none when that falls after expiry."""
    validity = (type.validity_months if type is not None else None) or DEFAULT_VALIDITY_MONTHS.get(kind)
    valid_until = add_months(issued_on, validity) - dt.timedelta(days=1) if validity else None
    interval = review_interval_months(kind, type, enterprise, issued_on)
    review = add_months(issued_on, interval) if interval else None
    if review and valid_until and review > valid_until:
        review = None
    return valid_until, review


def _category_chain(employee: Employee, category: str, on_date: dt.date,
                    extra: Certificate | None = None) -> list[Certificate]:
    """The special-operation certificates of ``category`` the person held
    without a break up to ``on_date`` (oldest first)."""
    certs = list(Certificate.objects.filter(employee=employee, kind=CertificateKind.SPECIAL_OPERATION,
                                            category=category, issued_on__lte=on_date).order_by("issued_on", "pk"))
    if extra is not None and extra.pk is None and extra.issued_on <= on_date:
        certs.append(extra)
        certs.sort(key=lambda c: c.issued_on)
    chain: list[Certificate] = []
    for c in certs:
        if chain and chain[-1].valid_until and c.issued_on > chain[-1].valid_until + dt.timedelta(days=1):
            chain = []  # a break: the years in the trade start again
        chain.append(c)
    return chain


def _penalties(certs, start: dt.date, end: dt.date) -> int:
    """Suspensions and revocations of ``certs`` between ``start`` and ``end``
    (the audit log keeps them; a reinstated certificate still had one)."""
    from wagtail.models import ModelLogEntry

    ids = [str(c.pk) for c in certs if c.pk is not None]
    if not ids:
        return 0
    return ModelLogEntry.objects.filter(
        content_type__app_label="certificates", content_type__model="certificate", object_id__in=ids,
        action__in=PENALTY_ACTIONS, timestamp__date__gte=start, timestamp__date__lte=end,
    ).count()


def _violations(employee: Employee, start: dt.date, end: dt.date) -> int:
    return EmploymentEvent.objects.filter(employee=employee, type=EmploymentEvent.Type.VIOLATION,
                                          date__gte=start, date__lte=end).count()


def extension_eligible(employee: Employee, category: str, on_date: dt.date,
                       certificate: Certificate | None = None) -> bool:
    """令30 §21: ≥ 10 years holding the category without a break, no
    violation and no penalty in that time."""
    chain = _category_chain(employee, category, on_date, extra=certificate)
    if not chain:
        return False
    start = chain[0].issued_on
    if months_between(start, on_date) < 12 * EXTENSION_YEARS_IN_TRADE:
        return False
    return not _violations(employee, start, on_date) and not _penalties(chain, start, on_date)


@transaction.atomic
def certificate_register(
    *,
    employee: Employee,
    kind: str,
    number: str,
    authority: str,
    issued_on: dt.date,
    valid_until: dt.date | None = None,
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
    file, or ``replaces`` belongs to someone else or is of another kind.

    A number that carries a 身份证号 (the holder's, or any valid one) is
    stored with it masked and ``number_masked`` set: the caller tells the
    user (个保法 §51; the holder's full number is on file, encrypted).

    Dates the rules fix are derived from the certificate type when not given
    (special operation: valid 6 years, reviewed 3 years after issue; competence:
    valid 3 years); a review date later than the rule allows is refused."""
    _require(actor, employee.enterprise_id)
    entered, authority = (number or "").strip(), (authority or "").strip()
    number, masked = mask_id_numbers_in(entered, known=(employee.id_number,))
    errors = {}
    if kind in INTERNAL_KINDS:
        errors["kind"] = _("内部证书由系统签发，不能登记")
    if kind == CertificateKind.SPECIAL_OPERATION and not category:
        errors["category"] = _("特种作业操作证必须填写作业类别")
    elif kind != CertificateKind.SPECIAL_OPERATION and category:
        errors["category"] = _("只有特种作业操作证填写作业类别")
    type = certificate_type_for(employee.enterprise, kind)
    derived_until, derived_review = (derived_dates(kind=kind, type=type, enterprise=employee.enterprise,
                                                   issued_on=issued_on) if issued_on else (None, None))
    valid_until = valid_until or derived_until
    if not valid_until:
        errors["valid_until"] = _("请填写有效期")
    elif issued_on and valid_until < issued_on:
        errors["valid_until"] = _("有效期不能早于发证日期")
    if next_review_due and issued_on and next_review_due <= issued_on:
        errors["next_review_due"] = _("复审日期应晚于发证日期")
    elif next_review_due and issued_on and kind == CertificateKind.SPECIAL_OPERATION and category:
        interval = review_interval_months(kind, type, employee.enterprise, issued_on)
        probe = Certificate(employee=employee, kind=kind, category=category, issued_on=issued_on,
                            valid_until=valid_until)
        if extension_eligible(employee, category, issued_on, probe):
            interval *= 2
        latest = add_months(issued_on, interval)
        if next_review_due > latest:
            errors["next_review_due"] = _("特种作业操作证应于 %(d)s 前复审（发证后每 %(m)s 个月复审，令30 §21），"
                                          "复审日期不能晚于此日") % {"d": latest, "m": interval}
    elif next_review_due is None and derived_review:
        if valid_until and derived_review <= valid_until:
            next_review_due = derived_review
    if replaces is not None and (replaces.employee_id != employee.pk or replaces.kind != kind):
        errors["replaces"] = _("只能替代同一持证人的同类证书")
    same = Certificate.objects.filter(kind=kind, authority=authority, number_masked=masked)
    same = same.filter(number_digest=blind_index(entered)) if masked else same.filter(number=number)
    if number and authority and same.exists():
        errors["number"] = _("该发证机关的同类证书编号已登记")
    if errors:
        raise CertificateError(errors)
    certificate = Certificate(
        employee=employee,
        kind=kind,
        category=category or "",
        number=number,
        number_masked=masked,
        number_digest=blind_index(entered) if masked else "",
        authority=authority,
        issued_on=issued_on,
        valid_until=valid_until,
        next_review_due=next_review_due,
        replaces=replaces,
        registered_by=log_user(actor),
        type=type,
    )
    certificate.gates_clearance = bool(certificate.type and certificate.type.clearance_required)
    if scan:
        certificate.scan = scan
    certificate.full_clean()
    certificate.save()
    log(
        certificate,
        "anxun.certificate_register",
        user=log_user(actor),
        data={"employee": employee.pk, "kind": kind, "number": number, "number_masked": masked,
              "valid_until": valid_until.isoformat()},
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
    locked.status_changed_by = log_user(actor)
    locked.full_clean()
    locked.save(update_fields=["status", "status_changed_at", "status_reason", "status_changed_by"])
    log(locked, action, user=log_user(actor), data={"from": previous, "to": to, "reason": reason})
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
def certificate_review(*, certificate: Certificate, reviewed_on: dt.date, actor,
                       next_review_due: dt.date | None = None, extend: bool = False) -> Certificate:
    """Record a passed review (复审, 令30 §21): the next review falls due on
    ``next_review_due`` (None when no further review is due before expiry).

    A special-operation certificate's review follows the rules: recorded
    within 60 days before it is due (not after: an unreviewed certificate
    lapses), after ≥ 8 h of special-operation training on file since the
    previous review (令30 §23); refused after a penalty (suspension or
    revocation) or ≥ 3 violations in the review period (令30). The next
    review moves 3 years on from the due date — 6 with ``extend`` when the
    holder has ≥ 10 years in the trade with a clean record — and may be set
    earlier, never later; a CertificateReview row keeps each review."""
    _require(actor, certificate.employee.enterprise_id)
    locked = Certificate.objects.select_for_update(of=("self",)).select_related("employee__enterprise", "type").get(
        pk=certificate.pk)
    errors = {}
    if locked.status != Certificate.Status.VALID:
        raise CertificateError(_("只有有效的证书可以登记复审（当前状态：%(status)s）") % {
            "status": locked.get_status_display()})
    if reviewed_on < locked.issued_on or reviewed_on > timezone.localdate():
        errors["reviewed_on"] = _("复审日期应在发证日期之后、今天或以前")
    special = locked.kind == CertificateKind.SPECIAL_OPERATION
    due = locked.next_review_due
    hours = None
    if special and not errors:
        errors.update(_special_review_errors(locked, reviewed_on, extend))
        if not errors:
            interval = review_interval_months(locked.kind, locked.type, locked.employee.enterprise, due)
            hours = _refresher_hours(locked, add_months(due, -interval), reviewed_on)
            allowed = add_months(due, interval * (2 if extend else 1))
            if locked.valid_until and allowed > locked.valid_until:
                allowed = None  # renewal, not review, comes next
            if next_review_due is None:
                next_review_due = allowed
            elif allowed is not None and next_review_due > allowed:
                errors["next_review_due"] = _("下次复审日期不能晚于 %(d)s（令30 §21）") % {"d": allowed}
    elif extend:
        errors["extend"] = _("只有特种作业操作证可以延期复审")
    if next_review_due is not None and next_review_due <= reviewed_on:
        errors["next_review_due"] = _("下次复审日期应晚于本次复审日期")
    if next_review_due is not None and locked.valid_until and next_review_due > locked.valid_until:
        errors["next_review_due"] = _("下次复审日期不能晚于有效期 %(d)s") % {"d": locked.valid_until}
    if errors:
        raise CertificateError(errors)
    previous = locked.next_review_due
    locked.next_review_due = next_review_due
    locked.notified_review_stage = ""  # the next review's reminders start afresh
    locked.full_clean()
    locked.save(update_fields=["next_review_due", "notified_review_stage"])
    if special:
        CertificateReview.objects.create(certificate=locked, reviewed_on=reviewed_on, due_on=due,
                                         next_review_due=next_review_due, extended=extend,
                                         refresher_hours=hours, recorded_by=log_user(actor))
    log(
        locked,
        "anxun.certificate_review",
        user=log_user(actor),
        data={
            "reviewed_on": reviewed_on.isoformat(),
            "previous_due": previous.isoformat() if previous else None,
            "next_review_due": next_review_due.isoformat() if next_review_due else None,
            "extended": extend,
        },
    )
    return locked


def _refresher_hours(certificate: Certificate, start: dt.date, end: dt.date):
    """Special-operation training hours on file from ``start`` to ``end``
    (records a later record corrects do not count)."""
    records = list(TrainingRecord.objects.filter(employee_id=certificate.employee_id))
    corrected = {r.corrects_id for r in records if r.corrects_id}
    return sum((r.hours for r in records if r.pk not in corrected and r.kind == TrainingKind.SPECIAL_OPERATION
                and start <= timezone.localtime(r.end_at).date() <= end), Decimal("0"))


def _special_review_errors(c: Certificate, reviewed_on: dt.date, extend: bool) -> dict:
    """Why the rules refuse this special-operation review (令30 §21–§24)."""
    enterprise = c.employee.enterprise
    due = c.next_review_due
    if due is None:
        return {"reviewed_on": _("该证书有效期内无需复审，到期请换证")}
    rule = _review_rule(enterprise, due)
    window = (rule.days if rule is not None else None) or 60
    if reviewed_on > due:
        return {"reviewed_on": _("复审期限 %(d)s 已过，逾期未复审的操作证失效，须重新考核取证（令30）") % {"d": due}}
    if reviewed_on < due - dt.timedelta(days=window):
        return {"reviewed_on": _("复审应在期限 %(d)s 前 %(n)s 日内提出（令30），最早 %(s)s") % {
            "d": due, "n": window, "s": due - dt.timedelta(days=window)}}
    interval = review_interval_months(c.kind, c.type, enterprise, due)
    start = max(c.issued_on, add_months(due, -interval))
    needed = (rule.min_hours if rule is not None else None) or Decimal("8")
    hours = _refresher_hours(c, start, reviewed_on)
    if hours < needed:
        return {"reviewed_on": _("复审前须完成不少于 %(n)s 学时的特种作业安全培训（令30 §23），%(s)s 以来档案中只有 %(h)s 学时") % {
            "n": f"{needed.normalize():f}", "s": start, "h": f"{hours.normalize():f}"}}
    violations = _violations(c.employee, start, reviewed_on)
    if violations >= REVIEW_REFUSAL_VIOLATIONS:
        return {"reviewed_on": _("复审期内有 %(n)s 次经查证的违规违章，复审不予通过（令30）") % {"n": violations}}
    if _penalties(_category_chain(c.employee, c.category, reviewed_on) or [c], start, reviewed_on):
        return {"reviewed_on": _("复审期内持证人受到暂扣或吊销操作证的处罚，复审不予通过（令30）")}
    if extend and not extension_eligible(c.employee, c.category, reviewed_on, c):
        return {"extend": _("连续从事本工种满 %(y)s 年且无违规违章和处罚的，方可延长至每 6 年复审一次（令30 §21）") % {
            "y": EXTENSION_YEARS_IN_TRADE}}
    return {}


# --- types and issuers -----------------------------------------------------------------------

_PATTERN_TOKEN = re.compile(r"\{(enterprise|type|year|yy|seq(?::0?[1-9]d)?)\}")


def validate_number_pattern(pattern: str) -> str:
    """The pattern, stripped; a field error if it has an unknown placeholder,
    lacks the year or the serial, or could print characters a number must not."""
    pattern = (pattern or "").strip()
    rest = _PATTERN_TOKEN.sub("", pattern)
    tokens = {m.group(1).split(":")[0] for m in _PATTERN_TOKEN.finditer(pattern)}
    if "{" in rest or "}" in rest:
        raise CertificateError({"number_pattern": _("编号规则中有无法识别的占位符，可用：{enterprise}、{type}、{year}、{yy}、{seq}")})
    if "seq" not in tokens or not tokens & {"year", "yy"}:
        raise CertificateError({"number_pattern": _("编号规则必须包含年份（{year} 或 {yy}）和流水号（{seq}）")})
    if not re.fullmatch(r"[A-Za-z0-9\-_/.()（）〔〕第号字\u4e00-\u9fff]*", rest):
        raise CertificateError({"number_pattern": _("编号规则只能包含字母、数字、汉字和 - _ / . 等符号")})
    return pattern


def format_number(pattern: str, *, enterprise: Enterprise, type: CertificateType, year: int, seq: int) -> str:
    """The certificate number ``pattern`` gives for serial ``seq`` of ``year``."""
    values = {"enterprise": enterprise.code.upper(), "type": type.code.upper(), "year": str(year),
              "yy": f"{year % 100:02d}"}

    def one(match):
        token = match.group(1)
        if token.startswith("seq"):
            return format(seq, token[4:] or "d")
        return values[token]

    return _PATTERN_TOKEN.sub(one, pattern)


def _require_type_change(actor, type: CertificateType) -> None:
    if actor is None:
        return
    if type.enterprise_id is None:
        if not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("平台默认证书类型只有平台管理员可以修改"))
    else:
        _require(actor, type.enterprise_id)


@transaction.atomic
def certificate_type_save(*, type: CertificateType, actor) -> CertificateType:
    """Create or change a certificate type. A change of "上岗资格依赖此证"
    applies to the certificates already issued at once."""
    from .pdf import validate_template

    _require_type_change(actor, type)
    errors = {}
    try:
        type.number_pattern = validate_number_pattern(type.number_pattern)
    except CertificateError as error:
        errors.update(error.message_dict)
    try:
        validate_template(type.template_html)
    except CertificateError as error:
        errors.update(error.message_dict)
    if type.auto_issue and not type.is_internal:
        errors["auto_issue"] = _("只有内部证书可以自动发证")
    if errors:
        raise CertificateError(errors)
    creating = type.pk is None
    previous = None if creating else CertificateType.objects.select_for_update().get(pk=type.pk)
    if previous is not None and previous.kind != type.kind and previous.certificates.exists():
        raise CertificateError({"kind": _("已有证书使用该类型，不能更改证书类别")})
    type.full_clean()
    type.save()
    if previous is not None and previous.clearance_required != type.clearance_required:
        type.certificates.update(gates_clearance=type.clearance_required)
    log(type, "wagtail.create" if creating else "wagtail.edit", user=log_user(actor),
        data={"kind": type.kind, "clearance_required": type.clearance_required, "auto_issue": type.auto_issue})
    return type


@transaction.atomic
def issuer_profile_save(*, enterprise: Enterprise, issuer_name: str, seal=None, actor) -> IssuerProfile:
    """Set the name printed as issuer and the seal image of ``enterprise``."""
    _require(actor, enterprise.pk)
    profile, _created = IssuerProfile.objects.select_for_update().get_or_create(enterprise=enterprise)
    profile.issuer_name = (issuer_name or "").strip()
    if seal:
        profile.seal = seal
    profile.full_clean()
    profile.save()
    log(profile, "wagtail.edit", user=log_user(actor), data={"issuer_name": profile.issuer_name})
    return profile


# --- numbers ---------------------------------------------------------------------------------


def _next_serial(enterprise: Enterprise, year: int) -> int:
    """The next serial of ``enterprise`` in ``year``: the counter row is
    locked for the rest of the transaction, so two issuers never draw the
    same serial (on SQLite the write lock serialises them)."""
    counter = NumberCounter.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                NumberCounter.objects.create(enterprise=enterprise, year=year, last=0)
        except IntegrityError:
            pass  # created by a concurrent issuer
        counter = NumberCounter.objects.select_for_update().get(enterprise=enterprise, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


# --- issuing ---------------------------------------------------------------------------------


def _scope_key(post: Post | None, cycle: str = "") -> str:
    if cycle:
        return f"cycle:{cycle}"
    if post is not None:
        return f"post:{post.pk}"
    return "-"


def _current_in_scope(employee, type, scope_key):
    return (
        Certificate.objects.select_for_update()
        .filter(employee=employee, type=type, scope_key=scope_key, status__in=Certificate.CURRENT,
                verification_code__isnull=False)
        .first()
    )


def _issue(
    *, employee: Employee, type: CertificateType, via: str, actor, post: Post | None = None, cycle: str = "",
    level: str = "", basis_key: str = "", basis_records=(), basis_attempt=None, basis_note: str = "",
    replaces: Certificate | None = None, photo=None, issued_on: dt.date | None = None,
) -> Certificate:
    """Issue one internal certificate (inside the caller's transaction)."""
    enterprise = employee.enterprise
    issued_on = issued_on or timezone.localdate()
    year = issued_on.year
    serial = _next_serial(enterprise, year)
    number = format_number(type.number_pattern, enterprise=enterprise, type=type, year=year, seq=serial)
    valid_until = (add_months(issued_on, type.validity_months) - dt.timedelta(days=1)) if type.validity_months else None
    next_review = add_months(issued_on, type.review_interval_months) if type.review_interval_months else None
    if next_review and valid_until and next_review > valid_until:
        next_review = None
    certificate = Certificate(
        employee=employee,
        type=type,
        kind=type.kind,
        post=post,
        level=(level or "")[:100],
        number=number,
        authority=issuer_name_for(enterprise, type),
        issued_on=issued_on,
        valid_until=valid_until,
        next_review_due=next_review,
        issued_via=via,
        verification_code=new_verification_code(),
        issuing_enterprise=enterprise,
        number_year=year,
        scope_key=_scope_key(post, cycle),
        basis_key=basis_key,
        basis_attempt=basis_attempt,
        basis_note=(basis_note or "")[:300],
        replaces=replaces,
        gates_clearance=type.clearance_required,
        registered_by=log_user(actor),
    )
    if photo:
        certificate.photo = photo
    elif replaces is not None and replaces.photo:
        certificate.photo = replaces.photo.name
    certificate.full_clean(exclude=["photo"])
    certificate.save()
    if basis_records:
        certificate.basis_records.set(basis_records)
    log(certificate, "anxun.certificate_issue", user=log_user(actor), data={
        "employee": employee.pk, "type": type.pk, "number": number, "via": via, "basis": basis_key,
        "records": [r.pk for r in basis_records], "attempt": basis_attempt.pk if basis_attempt else None,
    })
    return certificate


@transaction.atomic
def certificate_issue(
    *,
    employee: Employee,
    type: CertificateType,
    actor,
    post: Post | None = None,
    basis_records=(),
    basis_attempt=None,
    basis_note: str = "",
    level: str = "",
    photo=None,
) -> Certificate:
    """HR issues an internal certificate with its basis recorded: training
    records of the holder and/or a passed exam attempt (at least one).

    Refused (field errors) when the type is external or of another
    enterprise, the basis belongs to someone else or was not passed, the
    post is missing for a post certificate, the same basis was already used
    for this type, or the holder already has a current one (re-issue it
    instead)."""
    _require(actor, employee.enterprise_id)
    employee = Employee.objects.select_for_update().select_related("enterprise").get(pk=employee.pk)
    basis_records = list(basis_records or ())
    errors = {}
    if type is None:
        errors["type"] = _("请选择证书类型")
    elif not type.is_internal:
        errors["type"] = _("外部证书请使用“登记证书”")
    elif not type.is_active:
        errors["type"] = _("该证书类型已停用")
    elif type.enterprise_id not in (None, employee.enterprise_id):
        errors["type"] = _("只能使用本企业或平台的证书类型")
    if type is not None and type.kind == CertificateKind.POST and post is None:
        errors["post"] = _("上岗合格证须指定岗位")
    if post is not None and post.enterprise_id != employee.enterprise_id:
        errors["post"] = _("岗位必须属于持证人所在企业")
    if not basis_records and basis_attempt is None:
        errors["basis_records"] = _("请选择发证依据：培训记录或考试答卷")
    if any(r.employee_id != employee.pk for r in basis_records):
        errors["basis_records"] = _("发证依据只能是持证人本人的培训记录")
    elif any(r.assessment_result == "failed" for r in basis_records):
        errors["basis_records"] = _("考核不合格的培训记录不能作为发证依据")
    if basis_attempt is not None:
        if basis_attempt.employee_id != employee.pk:
            errors["basis_attempt"] = _("发证依据只能是持证人本人的答卷")
        elif not basis_attempt.passed:
            errors["basis_attempt"] = _("该答卷未合格，不能作为发证依据")
    if errors:
        raise CertificateError(errors)
    if _current_in_scope(employee, type, _scope_key(post)) is not None:
        raise CertificateError(_("持证人已持有该岗位（或范围）的有效同类证书，如需重新发证请使用“换发”"))
    if basis_attempt is not None:
        key = f"attempt:{basis_attempt.pk}"
    else:
        ids = ",".join(str(pk) for pk in sorted(r.pk for r in basis_records))
        key = "records:" + hashlib.sha1(ids.encode()).hexdigest()
    if Certificate.objects.filter(employee=employee, type=type, basis_key=key).exists():
        raise CertificateError(_("已根据同一依据发过该类证书"))
    return _issue(
        employee=employee, type=type, via=Certificate.Via.MANUAL, actor=actor, post=post, level=level,
        basis_key=key, basis_records=basis_records, basis_attempt=basis_attempt, basis_note=basis_note, photo=photo,
    )


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, reason: str, actor, photo=None) -> Certificate:
    """Re-issue (换发) an internal certificate: a new number, code and validity
    from today, linked to the old one, which becomes 已换发. Used for renewal
    at expiry, for replacing a lost or damaged certificate, and to give a new
    certificate after a revocation once its basis is sound again."""
    _require(actor, certificate.employee.enterprise_id)
    reason = _clean_reason(reason)
    old = Certificate.objects.select_for_update(of=("self",)).select_related("employee__enterprise", "type", "post").get(
        pk=certificate.pk)
    if not old.is_internal or old.type_id is None:
        raise CertificateError(_("外部证书换证后请登记新证，并在“替代的证书”中选择旧证"))
    if old.status == Certificate.Status.SUPERSEDED or old.replaced_by.exists():
        raise CertificateError(_("该证书已换发过新证"))
    type = old.type if old.type.is_active else (certificate_type_for(old.employee.enterprise, old.kind) or old.type)
    if old.status in Certificate.CURRENT:
        previous = old.status
        old.status = Certificate.Status.SUPERSEDED
        old.status_changed_at = timezone.now()
        old.status_reason = reason
        old.status_changed_by = log_user(actor)
        old.save(update_fields=["status", "status_changed_at", "status_reason", "status_changed_by"])
        log(old, "anxun.certificate_supersede", user=log_user(actor), data={"reason": reason, "from": previous})
    cycle = old.scope_key.split(":", 1)[1] if old.scope_key.startswith("cycle:") else ""
    return _issue(
        employee=old.employee, type=type, via=Certificate.Via.REISSUE, actor=actor, post=old.post, cycle=cycle,
        level=old.level, basis_key=f"reissue:{old.pk}", basis_records=list(old.basis_records.all()),
        basis_attempt=old.basis_attempt, basis_note=_("换发：%(r)s（原证 %(n)s）") % {"r": reason, "n": old.number},
        replaces=old, photo=photo,
    )


# --- automatic issuance ----------------------------------------------------------------------


def _try_issue(**kwargs) -> Certificate | None:
    """Issue unless the basis was used or a current certificate covers the
    scope (the database constraints are the last word when two workers race)."""
    employee, type = kwargs["employee"], kwargs["type"]
    if Certificate.objects.filter(employee=employee, type=type, basis_key=kwargs["basis_key"]).exists():
        return None
    scope = _scope_key(kwargs.get("post"), kwargs.get("cycle", ""))
    current = _current_in_scope(employee, type, scope)
    if current is not None:
        if current.status != Certificate.Status.VALID or current.valid_until is None \
                or current.valid_until >= timezone.localdate():
            return None  # still valid (or suspended): nothing to issue
        # Expired: the new basis renews it.
        current.status, current.status_changed_at = Certificate.Status.SUPERSEDED, timezone.now()
        current.status_reason = _("依据新完成的培训自动换发")
        current.save(update_fields=["status", "status_changed_at", "status_reason"])
        kwargs["replaces"] = current
    try:
        with transaction.atomic():
            return _issue(via=Certificate.Via.AUTOMATIC, actor=None, **kwargs)
    except IntegrityError:
        logger.info("certificate for employee %s type %s already issued concurrently", employee.pk, type.pk)
        return None


@transaction.atomic
def certificates_issue_due(*, employee: Employee) -> list[Certificate]:
    """Issue the internal certificates whose obligations ``employee`` has now
    all met. Called once per change, after the obligation evaluation that
    met something has committed (lms.compliance.services.obligations_evaluate
    → certificates.tasks). Each certificate is issued once per basis; none
    while an obligation behind it is still open."""

    employee = Employee.objects.select_for_update().select_related("enterprise").get(pk=employee.pk)
    types = auto_issue_types_for(employee.enterprise)
    if not types:
        return []
    obligations = list(Obligation.objects.filter(employee=employee).exclude(status=Obligation.Status.VOID)
                       .select_related("event").prefetch_related("records"))
    met = [o for o in obligations if o.status == Obligation.Status.MET]
    if not met:
        return []

    def records_of(obls):
        seen = {}
        for o in obls:
            for r in o.records.all():
                seen[r.pk] = r
        return [seen[pk] for pk in sorted(seen)]

    K = CertificateKind
    issued: list[Certificate] = []
    # 三级安全教育合格证: every level of one event's induction met.
    if K.INDUCTION_COMPLETION in types:
        by_event: dict[int, list] = {}
        for o in obligations:
            if o.kind == ObligationKind.INDUCTION and o.event_id:
                by_event.setdefault(o.event_id, []).append(o)
        for event_id, levels in by_event.items():
            if all(o.status == Obligation.Status.MET for o in levels):
                cert = _try_issue(employee=employee, type=types[K.INDUCTION_COMPLETION], post=None,
                                  level=_("厂级、车间级、班组级"), basis_key=f"induction:{event_id}",
                                  basis_records=records_of(levels),
                                  basis_note=_("三级安全教育各级均已完成并考核合格"))
                if cert:
                    issued.append(cert)
    # 师带徒出师证 and 年度再培训合格证: one obligation each.
    for kind, obl_kind in ((K.APPRENTICESHIP_COMPLETION, ObligationKind.APPRENTICESHIP),
                           (K.REFRESHER_COMPLETION, ObligationKind.REFRESHER)):
        if kind not in types:
            continue
        for o in met:
            if o.kind != obl_kind:
                continue
            cert = _try_issue(employee=employee, type=types[kind], post=o.post if not o.cycle else None,
                              cycle=o.cycle, level=(_("%(c)s 年度") % {"c": o.cycle}) if o.cycle else "",
                              basis_key=f"obligation:{o.pk}", basis_records=records_of([o]), basis_note=o.label)
            if cert:
                issued.append(cert)
    # 上岗合格证: every obligation that blocks the post is met and the
    # clearance gate (the one gate, which also checks certificates) says yes.
    if K.POST in types:
        post_ids = {o.post_id for o in obligations if o.post_id and o.blocks_post}
        post_ids |= {o.event.post_id for o in obligations if o.event_id and o.event.post_id}
        post_ids |= set(employee.current_assignments().values_list("post_id", flat=True))
        for post in Post.objects.filter(pk__in=post_ids, enterprise=employee.enterprise, is_active=True):
            behind = [o for o in obligations if o.blocks_post and o.post_id in (None, post.pk)]
            if not behind or any(o.status != Obligation.Status.MET for o in behind):
                continue
            ids = ",".join(str(o.pk) for o in sorted(behind, key=lambda o: o.pk))
            key = f"post:{post.pk}:" + hashlib.sha1(ids.encode()).hexdigest()[:32]
            if Certificate.objects.filter(employee=employee, type=types[K.POST], basis_key=key).exists():
                continue
            if not clearance(employee, post).cleared:
                continue
            cert = _try_issue(employee=employee, type=types[K.POST], post=post, basis_key=key,
                              basis_records=records_of(behind),
                              basis_note=_("岗位“%(p)s”要求的培训均已完成并考核合格") % {"p": post.name})
            if cert:
                issued.append(cert)
    return issued


# --- reminders (read by the daily compliance scan) ------------------------------------------

# Days before a review (复审) or expiry at which holder and HR are told; "lapsed" once past.
REMINDER_DAYS = (90, 30, 7)
_STAGE_ORDER = ("", "90", "30", "7", "lapsed")


def _reminder_stage(days_left: int) -> str:
    if days_left < 0:
        return "lapsed"
    for days in reversed(REMINDER_DAYS):
        if days_left <= days:
            return str(days)
    return ""


def certificates_claim_reminders(*, today: dt.date) -> list[tuple[Certificate, str, str]]:
    """The reminders due today: ``(certificate, "review" | "expiry", stage)``
    for valid, not replaced certificates whose review or expiry is within 90
    days (or passed in the last 30). Each stage is claimed once per
    certificate with a conditional UPDATE, so two scans never tell twice; a
    certificate first seen 20 days out gets the 30-day reminder only."""
    out: list[tuple[Certificate, str, str]] = []
    horizon = today + dt.timedelta(days=max(REMINDER_DAYS))
    for what, date_field, stage_field in (("review", "next_review_due", "notified_review_stage"),
                                          ("expiry", "valid_until", "notified_expiry_stage")):
        window = Q(**{f"{date_field}__lte": horizon, f"{date_field}__gte": today - dt.timedelta(days=30)})
        if what == "review":
            # A review long overdue on a certificate still in force (a date
            # derived after the fact) is told once too (令30 §21).
            window |= Q(next_review_due__lt=today, valid_until__gte=today) & ~Q(notified_review_stage="lapsed")
        qs = (
            Certificate.objects.filter(status=Certificate.Status.VALID, replaced_by__isnull=True)
            .filter(window)
            .select_related("employee__user", "employee__enterprise", "type", "post")
        )
        wanted: dict[str, list[Certificate]] = {}
        for c in qs:
            stage = _reminder_stage((getattr(c, date_field) - today).days)
            if what == "review" and c.valid_until and c.next_review_due > c.valid_until:
                continue  # renewal, not review, comes next
            if _STAGE_ORDER.index(stage) > _STAGE_ORDER.index(getattr(c, stage_field) or ""):
                wanted.setdefault(stage, []).append(c)
        for stage, certs in wanted.items():
            previous = list(_STAGE_ORDER[:_STAGE_ORDER.index(stage)])
            with transaction.atomic():
                mine = set(
                    Certificate.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=[c.pk for c in certs], **{f"{stage_field}__in": previous})
                    .values_list("pk", flat=True)
                )
                Certificate.objects.filter(pk__in=mine).update(**{stage_field: stage})
            out += [(c, what, stage) for c in certs if c.pk in mine]
    return out


# --- batch issuance ----------------------------------------------------------------------------

PROGRESS_EVERY = 25


@transaction.atomic
def batch_create(*, enterprise: Enterprise, type: CertificateType, actor, exam=None, session_id: int | None = None,
                 post: Post | None = None):
    """Plan a batch issuance for the passed attempts of ``exam`` or the
    passed attendance records of offline session ``session_id``; the work
    runs in a Celery task after commit (:func:`batch_run`)."""
    from .models import IssuanceBatch
    from .tasks import batch_run_task

    _require(actor, enterprise.pk)
    errors = {}
    if type is None or not type.is_internal or not type.is_active:
        errors["type"] = _("请选择启用的内部证书类型")
    elif type.enterprise_id not in (None, enterprise.pk):
        errors["type"] = _("只能使用本企业或平台的证书类型")
    if (exam is None) == (session_id is None):
        errors["exam"] = _("请选择一场考试或一个线下培训场次（二选一）")
    elif exam is not None and exam.enterprise_id != enterprise.pk:
        errors["exam"] = _("考试必须属于本企业")
    if type is not None and type.kind == CertificateKind.POST and post is None:
        errors["post"] = _("上岗合格证须指定岗位")
    if post is not None and post.enterprise_id != enterprise.pk:
        errors["post"] = _("岗位必须属于本企业")
    if errors:
        raise CertificateError(errors)
    batch = IssuanceBatch(enterprise=enterprise, type=type, exam=exam, post=post,
                          session_ref=f"offline_session:{session_id}" if session_id is not None else "",
                          created_by=log_user(actor))
    batch.full_clean()
    batch.save()
    log(batch, "anxun.certificate_batch", user=log_user(actor), data={"type": type.pk, "exam": getattr(exam, "pk", None),
                                                                     "session": batch.session_ref})
    transaction.on_commit(lambda: batch_run_task.delay(batch.pk))
    return batch


def batch_run(*, batch_id: int) -> None:
    """Issue the batch's certificates and zip their PDFs, with progress on
    the batch row. Safe to run twice: only a pending batch is claimed; a
    batch requeued after its worker died counts and zips the certificates
    its earlier run issued, and issues the rest."""
    import tempfile
    import zipfile

    from django.core.files import File

    from .models import IssuanceBatch
    from .pdf import pdf_filename, render_certificate_pdf, seal_data_uri

    if IssuanceBatch.claim(batch_id) is None:
        return
    batch = IssuanceBatch.objects.select_related("enterprise", "type", "post").get(pk=batch_id)
    try:
        bases = batch_bases(batch)
        batch.progress(0, len(bases))
        seal = seal_data_uri(batch.enterprise)
        skipped, issued = [], 0
        with tempfile.TemporaryFile() as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                for n, (employee, records, attempt) in enumerate(bases, start=1):
                    key = f"attempt:{attempt.pk}" if attempt is not None else "records:" + hashlib.sha1(
                        ",".join(str(r.pk) for r in records).encode()).hexdigest()
                    with transaction.atomic():
                        earlier = Certificate.objects.filter(employee=employee, type=batch.type, basis_key=key).first()
                        if earlier is not None and earlier.batch_id == batch.pk:
                            certificate = earlier  # issued by this batch's run that a dead worker left
                            issued += 1
                        elif earlier is not None:
                            certificate = None
                            skipped.append({"employee_no": employee.employee_no, "reason": _("已根据同一依据发过证")})
                        elif _current_in_scope(employee, batch.type, _scope_key(batch.post)) is not None:
                            certificate = None
                            skipped.append({"employee_no": employee.employee_no, "reason": _("已持有有效的同类证书")})
                        else:
                            certificate = _issue(
                                employee=employee, type=batch.type, via=Certificate.Via.BATCH,
                                actor=batch.created_by, post=batch.post, basis_key=key, basis_records=records,
                                basis_attempt=attempt, basis_note=str(batch),
                            )
                            Certificate.objects.filter(pk=certificate.pk).update(batch=batch)
                            issued += 1
                    if certificate is not None:
                        certificate.employee = employee
                        archive.writestr(f"{employee.employee_no}-{pdf_filename(certificate)}",
                                         render_certificate_pdf(certificate, seal_uri=seal))
                    if n % PROGRESS_EVERY == 0 or n == len(bases):
                        batch.progress(n, issued_count=issued)
            handle.seek(0)
            batch.archive.save(f"batch-{batch.pk}.zip", File(handle), save=False)
        batch.finish(archive=batch.archive.name, skipped=skipped)
    except Exception as error:  # recorded on the batch for HR; the task log keeps the trace
        logger.exception("certificate batch %s failed", batch_id)
        batch.fail(error)
        raise
