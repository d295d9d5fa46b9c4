"""Clearance, the gate's read: "may person X work post Y on date D?" — yes, or
no with reasons. What the post requires (lms/compliance/requirements.py), the
obligations on file and the registered reason sources (certificates) give
the answer; nothing here writes. Callers outside lms.compliance read it
through lms/compliance/selectors.py."""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import functools
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from lms.archive.models import TrainingRecord
from lms.workforce.models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment

from .models import Obligation, ObligationKind
from .registry import reason_sources
from .requirements import (
    PLACEMENT_MARK, REQUIREMENT_KINDS, Units, is_placement_key, load_histories, load_units, post_requirements,
)
from .rules import RuleBook
from .services import ZERO, _resolved, evaluate_unsaved, kinds_counting_towards, live_records



# The active language, pinned while clearance_batch works through thousands
# of people: translation.get_language() reads a context-local (~5 µs), and
# each reason asked for it 3–5 times.
_PINNED_LANGUAGE: contextvars.ContextVar = contextvars.ContextVar("compliance_language")
_UNPINNED = object()


def active_language():
    """The active language (the pinned one inside clearance_batch)."""
    language = _PINNED_LANGUAGE.get(_UNPINNED)
    return translation.get_language() if language is _UNPINNED else language


@functools.lru_cache(maxsize=1024)
def _translated(language: str | None, message: str) -> str:
    return gettext(message)


def gettext_cached(message: str) -> str:
    """gettext, remembered per language and message: a clearance reason
    translates 2–4 fixed strings, and a catalogue miss walks a 12-deep
    fallback chain (~10 µs) — over the ~30,000 lapsed people of a 100,000
    employee scan that was a third of ``lapsed_on_post``."""
    return _translated(active_language(), message)


_ = gettext_cached


# --- clearance ------------------------------------------------------------------


class Code:
    """Stable reason codes (API clients rely on them)."""

    EMPLOYEE_ON_LEAVE = "EMPLOYEE_ON_LEAVE"
    WRONG_ENTERPRISE = "WRONG_ENTERPRISE"
    INDUCTION_LEVEL_MISSING = "INDUCTION_LEVEL_MISSING"
    HOURS_SHORT = "HOURS_SHORT"
    EXAM_NOT_PASSED = "EXAM_NOT_PASSED"
    RETRAINING_REQUIRED = "RETRAINING_REQUIRED"
    NEW_PROCESS_TRAINING_MISSING = "NEW_PROCESS_TRAINING_MISSING"
    OFF_POST_RETRAINING_REQUIRED = "OFF_POST_RETRAINING_REQUIRED"
    APPRENTICESHIP_INCOMPLETE = "APPRENTICESHIP_INCOMPLETE"
    PRINCIPAL_TRAINING_MISSING = "PRINCIPAL_TRAINING_MISSING"
    REFRESHER_OVERDUE = "REFRESHER_OVERDUE"
    CERT_MISSING = "CERT_MISSING"
    CERT_EXPIRED = "CERT_EXPIRED"
    CERT_REVIEW_OVERDUE = "CERT_REVIEW_OVERDUE"
    CERT_SUSPENDED = "CERT_SUSPENDED"
    CERT_REVOKED = "CERT_REVOKED"
    # 令30: back on a special-operation post after ≥ 6 months away.
    SPECIAL_OP_PRACTICAL_REQUIRED = "SPECIAL_OP_PRACTICAL_REQUIRED"
    # 办法 §22: principal/safety manager retraining after a fatal accident, overdue.
    FATAL_ACCIDENT_RETRAINING_OVERDUE = "FATAL_ACCIDENT_RETRAINING_OVERDUE"


@dataclass
class Reason:
    code: str
    message: str
    satisfy: str = ""
    obligation_id: int | None = None
    required_hours: str | None = None
    completed_hours: str | None = None
    due_date: str | None = None
    certificate_id: int | None = None
    # The first day the reason held, when its source knows it (the lapsed
    # report); not part of the answer.
    since: dt.date | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "since" and v not in (None, "")}


@dataclass
class Clearance:
    employee_id: int
    post_id: int
    on_date: dt.date
    reasons: list[Reason] = field(default_factory=list)

    @property
    def cleared(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    @property
    def apprentice_only(self) -> bool:
        """Everything is met except the apprenticeship itself: the person may
        work the post only as a supervised apprentice under a mentor."""
        return bool(self.reasons) and all(r.code == Code.APPRENTICESHIP_INCOMPLETE for r in self.reasons)

    def as_dict(self) -> dict:
        return {
            "cleared": self.cleared,
            "employee_id": self.employee_id,
            "post_id": self.post_id,
            "date": self.on_date.isoformat(),
            "reasons": [r.as_dict() for r in self.reasons],
        }


def _fmt(hours: Decimal) -> str:
    return f"{hours.normalize():f}" if hours == hours.to_integral() else f"{hours:.1f}"


@functools.lru_cache(maxsize=256)
def _labels(language: str | None, kind: str, level: str) -> tuple[str, str]:
    probe = Obligation(kind=kind, level=level)
    return probe.label, probe.get_level_display()


def obligation_labels(obligation: Obligation) -> tuple[str, str]:
    """``(obligation.label, obligation.get_level_display())`` in the active
    language, worked out once per kind and level: Django's get_FOO_display()
    translates every choice on each call, which over 100,000 rows was most of
    the scan's and the batch clearance's time."""
    return kind_labels(obligation.kind, obligation.level)


def kind_labels(kind: str, level: str) -> tuple[str, str]:
    """``obligation_labels`` for a kind and level (rows read with ``values_list``)."""
    return _labels(active_language(), kind, level)


_REFRESHER_KINDS = (ObligationKind.REFRESHER, ObligationKind.PRINCIPAL_ANNUAL)
# Of the obligations that do not block the post, only these give a reason, and only once overdue.
_OVERDUE_REASON_KINDS = (*_REFRESHER_KINDS, ObligationKind.PRINCIPAL_INITIAL, ObligationKind.FATAL_ACCIDENT_RETRAINING)


def _obligation_reason(o: Obligation, on_date: dt.date) -> Reason | None:
    if not o.blocks_post and (o.due_date >= on_date or o.kind not in _OVERDUE_REASON_KINDS):
        return None  # decided before any message is built: most open obligations are the year's cycles
    base = {"obligation_id": o.pk, "required_hours": _fmt(o.min_hours), "completed_hours": _fmt(o.completed_hours),
            "due_date": o.due_date.isoformat()}
    label, level_display = obligation_labels(o)
    missing = o.missing_hours
    satisfy = _("完成%(label)s不少于 %(h)s 学时") % {"label": label, "h": _fmt(o.min_hours)}
    if o.exam_required:
        satisfy += _("并考核合格")
    if not o.blocks_post:
        if o.kind in _REFRESHER_KINDS:
            return Reason(Code.REFRESHER_OVERDUE,
                          _("%(label)s（%(cycle)s 年度）已逾期，还差 %(h)s 学时") % {"label": label, "cycle": o.cycle, "h": _fmt(missing)},
                          satisfy, **base)
        if o.kind == ObligationKind.FATAL_ACCIDENT_RETRAINING:
            return Reason(Code.FATAL_ACCIDENT_RETRAINING_OVERDUE,
                          _("本企业发生生产安全死亡事故后须重新参加安全培训，已逾期，还差 %(h)s 学时") % {"h": _fmt(missing)},
                          satisfy, **base)
        return Reason(Code.PRINCIPAL_TRAINING_MISSING,
                      _("主要负责人/安全管理人员初次培训未完成，还差 %(h)s 学时") % {"h": _fmt(missing)}, satisfy, **base)
    if o.kind == ObligationKind.APPRENTICESHIP:
        return Reason(Code.APPRENTICESHIP_INCOMPLETE,
                      _("师带徒期未满或师傅未签字出师（应于 %(due)s 前完成）") % {"due": o.due_date.isoformat()},
                      _("在师傅带领下完成师带徒并经师傅和车间负责人签字出师"), **base)
    if o.kind == ObligationKind.OFF_POST:
        return Reason(Code.OFF_POST_RETRAINING_REQUIRED,
                      _("因多次违规违章须离岗再培训，还差 %(h)s 学时") % {"h": _fmt(missing)}, satisfy, **base)
    if o.kind == ObligationKind.NEW_PROCESS:
        return Reason(Code.NEW_PROCESS_TRAINING_MISSING,
                      _("四新专项培训未完成，还差 %(h)s 学时") % {"h": _fmt(missing)}, satisfy, **base)
    if o.kind == ObligationKind.RETRAINING:
        return Reason(Code.RETRAINING_REQUIRED,
                      _("须重新接受%(label)s，还差 %(h)s 学时") % {"label": level_display + _("安全教育"), "h": _fmt(missing)},
                      satisfy, **base)
    level_label = (level_display + _("安全教育")) if o.level else label
    if o.completed_hours == ZERO and not o.exam_passed:
        return Reason(Code.INDUCTION_LEVEL_MISSING, _("%(label)s未完成") % {"label": level_label}, satisfy, **base)
    if missing > ZERO:
        return Reason(Code.HOURS_SHORT,
                      _("%(label)s未完成，还差 %(h)s 学时") % {"label": level_label, "h": _fmt(missing)}, satisfy, **base)
    return Reason(Code.EXAM_NOT_PASSED, _("%(label)s考核未通过或未参加考核") % {"label": level_label}, satisfy, **base)


def _clearance_from(employee, post, on_date, obligations, loaded: dict, hired: bool) -> Clearance:
    result = Clearance(employee.pk, post.pk, on_date)
    if post.enterprise_id != employee.enterprise_id:
        result.reasons.append(Reason(Code.WRONG_ENTERPRISE, _("岗位不属于该员工所在企业")))
        return result
    if not hired:
        # No hire on file means no pre-post training can have been owed or
        # given: never a silent yes for a person the archive does not know.
        result.reasons.append(Reason(Code.INDUCTION_LEVEL_MISSING, _("没有入职记录，无法证明已接受三级安全教育"),
                                     _("记录入职事件并完成三级安全教育")))
    if employee.status != Employee.Status.ACTIVE:
        result.reasons.append(Reason(Code.EMPLOYEE_ON_LEAVE, _("员工处于离岗状态"), _("记录复岗并完成复岗再培训")))
    for o in obligations:
        if not o.unmet_on(on_date):
            continue
        if o.post_id not in (None, post.pk):
            continue
        if o.status == Obligation.Status.MET:
            # Met only after ``on_date``: on that day nothing of it counted.
            o = copy.copy(o)
            o.completed_hours, o.exam_passed = ZERO, False
            reason = _obligation_reason(o, on_date)
            if reason:
                reason.message += _("（该项于 %(d)s 才完成）") % {"d": o.met_on.isoformat()}
        else:
            reason = _obligation_reason(o, on_date)
        if reason:
            result.reasons.append(reason)
    for name, source in reason_sources.items():
        result.reasons += source.reasons(employee, post, on_date, loaded[name])
    return result


def clearance(employee: Employee, post: Post, on_date: dt.date | None = None) -> Clearance:
    """May ``employee`` work ``post`` on ``on_date``? Yes, or no with reasons.

    The answer includes what placing the person on the post requires
    (``requirements.post_requirements``), for any post asked about — the
    stored obligation of the same natural key if the placement gate made it,
    else the requirement evaluated against the person's records in memory."""
    on_date = on_date or timezone.localdate()
    employee = Employee.objects.select_related("enterprise").get(pk=employee.pk)
    obligations = [o for o in Obligation.objects.filter(employee=employee).unmet_on(on_date)
                   if not is_placement_key(o.key)]
    if post.enterprise_id == employee.enterprise_id:
        obligations += _requirements_of(employee, post, on_date)
    loaded = {name: source.load(employee_ids={employee.pk}).get(employee.pk, [])
              for name, source in reason_sources.items()}
    hired = employee.events.filter(type=EmploymentEvent.Type.HIRE, date__lte=on_date).exists()
    return _clearance_from(employee, post, on_date, obligations, loaded, hired)


def _requirements_of(employee, post, on_date) -> list[Obligation]:
    history = load_histories(employees=[employee])[employee.pk]
    requirements = post_requirements(employee, post, on_date, history, RuleBook.load(), load_units(employee.enterprise))
    if not requirements:
        return []
    stored = {o.key: o for o in Obligation.objects.filter(employee=employee, key__in=[r.key for r in requirements])}
    records = []
    if any(r.key not in stored for r in requirements):
        records = live_records(TrainingRecord.objects.filter(employee=employee),
                               kinds_counting_towards(REQUIREMENT_KINDS)).get(employee.pk, [])
    return _resolved(requirements, stored, records)


def clearance_batch(*, enterprise: Enterprise, on_date: dt.date | None = None, pairs=None) -> dict[tuple[int, int], Clearance]:
    """Clearance for many (employee_id, post_id) pairs of one enterprise in a
    constant number of queries. Without ``pairs``: everyone currently on a
    post, for that post."""
    on_date = on_date or timezone.localdate()
    if pairs is None:
        pairs = list(
            PostAssignment.objects.filter(employee__enterprise=enterprise, start_date__lte=on_date)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=on_date))
            .values_list("employee_id", "post_id")
        )
    return _clearance_batch(enterprise, on_date, pairs)[0]


def _clearance_batch(enterprise: Enterprise, on_date: dt.date, pairs) -> tuple[dict, dict, dict]:
    """clearance_batch's answers, with the employees and posts it read (by id)."""
    pairs = list(dict.fromkeys(pairs))
    employee_ids = {e for e, _p in pairs}
    employees = {e.pk: e for e in Employee.objects.filter(enterprise=enterprise) if e.pk in employee_ids}
    for e in employees.values():
        e.enterprise = enterprise
    posts = {p.pk: p for p in Post.objects.filter(enterprise=enterprise)}
    for p in posts.values():
        p.enterprise = enterprise  # the apprenticeship floor reads the industry
    obligations = defaultdict(list)
    # Whole-enterprise reads (not id lists): constant queries at any headcount.
    # Only obligations that can give a reason are read (see _obligation_reason):
    # the year's open refresher and warning cycles would triple the rows.
    may_refuse = Q(blocks_post=True) | Q(due_date__lt=on_date, kind__in=_OVERDUE_REASON_KINDS)
    for o in Obligation.objects.filter(employee__enterprise=enterprise).unmet_on(on_date).filter(may_refuse):
        if o.employee_id in employee_ids and not is_placement_key(o.key):
            obligations[o.employee_id].append(o)
    requirements = _batch_requirements(enterprise, on_date, pairs, employees, posts)
    loaded = {name: source.load(employee_ids=employee_ids, enterprise=enterprise)
              for name, source in reason_sources.items()}
    hired = set(
        EmploymentEvent.objects.filter(employee__enterprise=enterprise, type=EmploymentEvent.Type.HIRE, date__lte=on_date)
        .values_list("employee_id", flat=True)
    )
    out = {}
    token = _PINNED_LANGUAGE.set(translation.get_language())
    try:
        for emp_id, post_id in pairs:
            if emp_id in employees and post_id in posts:
                mine = {name: rows.get(emp_id, []) for name, rows in loaded.items()}
                out[(emp_id, post_id)] = _clearance_from(
                    employees[emp_id], posts[post_id], on_date,
                    obligations[emp_id] + requirements.get((emp_id, post_id), []), mine, emp_id in hired,
                )
    finally:
        _PINNED_LANGUAGE.reset(token)
    return out, employees, posts


def _batch_requirements(enterprise, on_date, pairs, employees, posts) -> dict[tuple, list[Obligation]]:
    """The post requirements of every (employee_id, post_id) pair, resolved
    against the stored placement obligations or evaluated in memory, in a
    constant number of whole-enterprise reads."""
    wanted = [(e, p) for e, p in pairs if e in employees and p in posts]
    if not wanted:
        return {}
    histories = load_histories(employees=[employees[e] for e in {e for e, _p in wanted}], enterprise=enterprise)
    units = Units.build(posts.values(), OrgUnit.objects.filter(enterprise=enterprise).only("pk", "kind", "parent_id"))
    rule_book = RuleBook.load()
    asked = {}
    for emp_id, post_id in wanted:
        reqs = post_requirements(employees[emp_id], posts[post_id], on_date, histories[emp_id], rule_book, units)
        if reqs:
            asked[(emp_id, post_id)] = reqs
    if not asked:
        return {}
    stored = {}
    for o in Obligation.objects.filter(employee__enterprise=enterprise, event__isnull=True, kind__in=REQUIREMENT_KINDS,
                                       key__contains=PLACEMENT_MARK):
        stored[(o.employee_id, o.key)] = o
    records: dict[int, list] = {}
    if any((e, r.key) not in stored for (e, _p), reqs in asked.items() for r in reqs):
        records = live_records(TrainingRecord.objects.filter(employee__enterprise=enterprise),
                               kinds_counting_towards(REQUIREMENT_KINDS))
    return {
        (e, p): [stored.get((e, r.key)) or evaluate_unsaved(r, records.get(e, ())) for r in reqs]
        for (e, p), reqs in asked.items()
    }


def lapsed_on_post(*, enterprise: Enterprise, on_date: dt.date | None = None) -> list[tuple]:
    """People currently on a post whose clearance for it has lapsed (在岗未达标):
    (assignment, clearance) pairs. Apprentices under a mentor count only if
    more than the apprenticeship is missing."""
    on_date = on_date or timezone.localdate()
    assignments = list(
        PostAssignment.objects.filter(employee__enterprise=enterprise, start_date__lte=on_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on_date))
        .select_related("mentor")
    )
    results, employees, posts = _clearance_batch(enterprise, on_date, [(a.employee_id, a.post_id) for a in assignments])
    lapsed = []
    for a in assignments:
        c = results.get((a.employee_id, a.post_id))
        if c is None or c.cleared:
            continue
        # The employee and post clearance read (with the enterprise), not a second copy of each.
        a.employee, a.post = employees[a.employee_id], posts[a.post_id]
        if a.kind == PostAssignment.Kind.APPRENTICE and c.apprentice_only:
            continue
        lapsed.append((a, c))
    return lapsed
