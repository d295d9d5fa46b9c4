"""The certificate reasons of clearance, in one place: registered with the
compliance gate (lms.compliance.registry.reason_sources) in
CertificatesConfig.ready().

- The post's special-operation category needs a valid 操作证 of that
  category, reviewed on time (令30).
- Back on a special-operation post after ≥ 6 months away from the
  category's posts (assignment gaps, leave → return), a passed practical
  exam again (令30): :data:`PRACTICAL_SOURCE`, its own source.
- High-risk principals and safety managers need their competence
  certificate from 6 months after taking the post (令3 §24 / 办法 §25).
- A certificate of a type marked "上岗资格依赖此证" gates the post it names
  (an internal certificate without a post — 三级安全教育合格证 — gates every
  post): once the holder has one, it must still be valid on the day asked
  about (an open-ended one — no rule gives internal certificates a validity
  — stays valid until suspended or revoked). Missing certificates are not a
  reason here: an internal certificate is issued when the obligations behind
  it are met, and those obligations already block the post while open.

:func:`certificates_load` reads everyone's certificates in one query;
:func:`certificate_reasons` decides from those rows only, so the batch
clearance stays flat. Each reason carries the day it began (``since``) for
the lapsed report.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.utils import timezone

from lms.archive.models import AssessmentResult, TrainingKind, TrainingRecord
from lms.compliance.clearance import Code, Reason, active_language
from lms.compliance.clearance import gettext_cached as _
from lms.compliance.periods import at_least_months
from lms.compliance.registry import ReasonSource
from lms.compliance.rules import add_months
from lms.workforce.models import EmploymentEvent, Post, PostAssignment

from .models import GATE_OWN_KINDS, Certificate, CertificateKind

COMPETENCE_KINDS = frozenset({CertificateKind.PRINCIPAL_COMPETENCE, CertificateKind.SAFETY_MANAGER_COMPETENCE})


def certificates_load(*, employee_ids, enterprise=None) -> dict[int, list[Certificate]]:
    """The certificates of ``employee_ids``, by person, in one query (with
    ``enterprise``: a whole-enterprise read, constant at any headcount)."""
    if enterprise is not None:
        rows = Certificate.objects.filter(employee__enterprise=enterprise)
    else:
        rows = Certificate.objects.filter(employee_id__in=employee_ids)
    out: dict[int, list[Certificate]] = {}
    for c in rows:
        if c.employee_id in employee_ids:
            out.setdefault(c.employee_id, []).append(c)
    return out


@functools.lru_cache(maxsize=64)
def _special_operation_texts(language: str | None, category: str) -> tuple[str, str]:
    label = Post(special_operation=category).get_special_operation_display()
    return label + _("操作证"), _("取得%(l)s操作证并登记") % {"l": label}


def certificate_reasons(employee, post, on_date: dt.date, certificates) -> list[Reason]:
    """Why ``certificates`` (the person's, as loaded) keep ``employee`` off
    ``post`` on ``on_date``; no queries."""
    reasons = []
    if post.special_operation:
        # Translated once per category, not once per person.
        label, satisfy = _special_operation_texts(active_language(), post.special_operation)
        mine = [c for c in certificates if c.kind == CertificateKind.SPECIAL_OPERATION and c.category == post.special_operation]
        reasons += _required_state(mine, on_date, label, satisfy, missing_since=None)
    if (employee.is_principal or employee.is_safety_manager) and employee.enterprise.is_high_risk:
        due = add_months(employee.hire_date, 6)
        if on_date > due:
            mine = [c for c in certificates if c.kind in COMPETENCE_KINDS]
            reasons += _required_state(mine, on_date, _("安全生产知识和管理能力考核合格证"), _("通过考核并登记考核合格证"),
                                       missing_since=due + dt.timedelta(days=1))
    return reasons + _gating_reasons(post, on_date, certificates)


def _since(c: Certificate, code: str) -> dt.date | None:
    """The first day the reason ``code`` about ``c`` held."""
    if code == Code.CERT_REVIEW_OVERDUE and c.next_review_due:
        return c.next_review_due + dt.timedelta(days=1)
    if code == Code.CERT_EXPIRED and c.valid_until:
        return c.valid_until + dt.timedelta(days=1)
    if code in (Code.CERT_REVOKED, Code.CERT_SUSPENDED) and c.status_changed_at:
        return timezone.localdate(c.status_changed_at)
    return None


def _about(code: str, c: Certificate, message: str, satisfy: str) -> Reason:
    return Reason(code, message, satisfy, certificate_id=c.pk, since=_since(c, code))


def _required_state(certs, on_date, label, satisfy, *, missing_since) -> list[Reason]:
    """A certificate the person must hold: missing, review overdue, revoked,
    suspended or expired."""
    if not certs:
        return [Reason(Code.CERT_MISSING, _("缺少%(l)s") % {"l": label}, satisfy, since=missing_since)]
    valid = [c for c in certs if c.is_valid_on(on_date)]
    if valid:
        best = max(valid, key=lambda c: c.valid_until)
        if best.review_overdue_on(on_date):
            return [_about(Code.CERT_REVIEW_OVERDUE, best,
                           _("%(l)s（%(n)s）应于 %(d)s 复审，已逾期") % {"l": label, "n": best.number, "d": best.next_review_due},
                           _("完成复审前培训并通过复审"))]
        return []
    latest = max(certs, key=lambda c: (c.valid_until, c.pk))
    if latest.status == latest.Status.REVOKED:
        return [_about(Code.CERT_REVOKED, latest, _("%(l)s（%(n)s）已被吊销") % {"l": label, "n": latest.number}, satisfy)]
    if latest.status == latest.Status.SUSPENDED:
        return [_about(Code.CERT_SUSPENDED, latest, _("%(l)s（%(n)s）已暂停") % {"l": label, "n": latest.number},
                       _("恢复证书效力"))]
    return [_about(Code.CERT_EXPIRED, latest,
                   _("%(l)s（%(n)s）已于 %(d)s 过期") % {"l": label, "n": latest.number, "d": latest.valid_until},
                   _("换证或重新取证"))]


def _valid_then(c: Certificate, day: dt.date) -> bool:
    if c.is_valid_on(day):
        return True
    # Suspended, revoked or replaced later: on an earlier day it still counted.
    if c.status != Certificate.Status.VALID and c.status_changed_at is not None:
        return (c.issued_on <= day and (c.valid_until is None or day <= c.valid_until)
                and day < timezone.localdate(c.status_changed_at))
    return False


def _gating_reasons(post, on_date: dt.date, certificates) -> list[Reason]:
    """Certificates of types marked "上岗资格依赖此证" that no longer hold."""
    groups: dict[tuple, list[Certificate]] = {}
    for c in certificates:
        if not c.gates_clearance or c.kind in GATE_OWN_KINDS or c.issued_on > on_date:
            continue
        if c.post_id is None and not c.is_internal:
            continue  # an external certificate gates only the post it names
        if c.post_id is not None and c.post_id != post.pk:
            continue
        groups.setdefault((c.type_id, c.post_id), []).append(c)
    reasons = []
    for certs in groups.values():
        if any(_valid_then(c, on_date) for c in certs):
            continue
        live = [c for c in certs if c.status != Certificate.Status.SUPERSEDED] or certs
        latest = max(live, key=lambda c: (c.issued_on, c.pk))
        label = latest.get_kind_display()
        if latest.status == Certificate.Status.REVOKED:
            reasons.append(_about(Code.CERT_REVOKED, latest, _("%(l)s（%(n)s）已被吊销") % {"l": label, "n": latest.number},
                                  _("重新完成培训考核并取得新证")))
        elif latest.status == Certificate.Status.SUSPENDED:
            reasons.append(_about(Code.CERT_SUSPENDED, latest, _("%(l)s（%(n)s）已暂停") % {"l": label, "n": latest.number},
                                  _("恢复证书效力")))
        elif latest.valid_until is not None:
            reasons.append(_about(Code.CERT_EXPIRED, latest, _("%(l)s（%(n)s）已于 %(d)s 过期") % {
                "l": label, "n": latest.number, "d": latest.valid_until}, _("换发证书")))
    return reasons


REASON_SOURCE = ReasonSource(load=certificates_load, reasons=certificate_reasons)


# --- 令30: the practical exam after ≥ 6 months away ----------------------------------------

AWAY_MONTHS = 6


def away_long(left: dt.date, back: dt.date) -> bool:
    """离开特种作业岗位 6 个月以上 (以上 includes 6 months): the one place the
    threshold is measured."""
    return at_least_months(left, back, AWAY_MONTHS)  # 以上: exactly 6 months counts (民法典 §1259, §202)


@dataclass
class SpecialOpHistory:
    """One person's rows for the practical-exam rule."""

    stints: list = field(default_factory=list)  # (category, start, end or None)
    leaves: list = field(default_factory=list)  # (type, date), date order
    exams: list = field(default_factory=list)  # (category or "", day) of passed practical exams


def practical_load(*, employee_ids, enterprise=None) -> dict[int, SpecialOpHistory]:
    """Special-operation assignments, leave/return events and passed
    practical exams of ``employee_ids``: three whole-enterprise reads (with
    ``enterprise``), constant at any headcount."""
    def scoped(qs):
        return qs.filter(employee__enterprise=enterprise) if enterprise is not None else qs.filter(
            employee_id__in=employee_ids)

    out: dict[int, SpecialOpHistory] = {}

    def mine(employee_id):
        return out.setdefault(employee_id, SpecialOpHistory())

    stints = scoped(PostAssignment.objects.exclude(post__special_operation="")).values_list(
        "employee_id", "post__special_operation", "start_date", "end_date")
    for employee_id, category, start, end in stints:
        if employee_id in employee_ids:
            mine(employee_id).stints.append((category, start, end))
    if not out:
        return out  # nobody was ever on a special-operation post
    T = EmploymentEvent.Type
    events = scoped(EmploymentEvent.objects.filter(type__in=(T.LEAVE, T.RETURN))).order_by("date", "id").values_list(
        "employee_id", "type", "date")
    for employee_id, type, day in events:
        if employee_id in out:
            out[employee_id].leaves.append((type, day))
    records = scoped(TrainingRecord.objects.filter(kind=TrainingKind.SPECIAL_OP_PRACTICAL)).values_list(
        "employee_id", "pk", "corrects_id", "assessment_result", "post__special_operation", "end_at")
    rows = [r for r in records if r[0] in out]
    corrected = {r[2] for r in rows if r[2]}
    for employee_id, pk, _corrects, result, category, end_at in rows:
        if pk not in corrected and result == AssessmentResult.PASSED:
            out[employee_id].exams.append((category or "", timezone.localtime(end_at).date()))
    return out


def _away_periods(history: SpecialOpHistory, category: str, on_date: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(left, back) of each absence from ``category``'s posts before returning
    to one by ``on_date`` (``on_date`` itself is the return for a placement
    asked about before it starts). ``left`` is the first day away: the day
    after an assignment's end date (its last day on the post) or a leave
    event's date — the same reading as the placement requirements
    (lms/compliance/requirements.py), so "6 个月以上" is six whole months away."""
    stints = sorted(((s, e) for c, s, e in history.stints if c == category and s <= on_date), key=lambda x: x[0])
    if not any(e is None or e >= on_date for _s, e in stints):
        stints.append((on_date, None))
    out, run_end = [], None
    for start, end in stints:
        if run_end is not None and start > run_end + dt.timedelta(days=1):
            out.append((run_end + dt.timedelta(days=1), start))  # away from the day after the last day on post
        if run_end is None or end is None or end > run_end:
            run_end = end if end is not None else dt.date.max
        if run_end == dt.date.max:
            break
    # Leave (离岗) → return (复岗) while on the category's post.
    leave = None
    for type, day in history.leaves:
        if day > on_date:
            break
        if type == EmploymentEvent.Type.LEAVE:
            on_post = any(s < day and (e is None or e >= day - dt.timedelta(days=1)) for s, e in stints)
            leave = day if on_post else None
        elif leave is not None:
            out.append((leave, day))
            leave = None
    return out


def practical_reasons(employee, post, on_date: dt.date, history) -> list[Reason]:
    """令30: a special operator back after ≥ 6 months away from the category's
    posts works it again only after passing the practical exam (an exam
    passed after leaving counts); no queries."""
    if not post.special_operation or not history:
        return []
    category = post.special_operation
    long = [(left, back) for left, back in _away_periods(history, category, on_date) if away_long(left, back)]
    if not long:
        return []
    left, back = max(long, key=lambda p: p[1])
    if any(c in ("", category) and left < day <= on_date for c, day in history.exams):
        return []
    label = Post(special_operation=category).get_special_operation_display()
    return [Reason(
        Code.SPECIAL_OP_PRACTICAL_REQUIRED,
        _("离开%(l)s岗位 6 个月以上（%(a)s 至 %(b)s），须重新进行实际操作考试合格后方可上岗（令30）") % {
            "l": label, "a": left, "b": back},
        _("通过%(l)s实际操作考试并记入培训档案") % {"l": label},
        since=back,
    )]


PRACTICAL_SOURCE = ReasonSource(load=practical_load, reasons=practical_reasons)
