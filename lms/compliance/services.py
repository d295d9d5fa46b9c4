"""Obligations from events and cycles, their evaluation against the archive,
and clearance: "may person X work post Y on date D?"."""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import functools
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from lms.accounts.scoping import log_user
from lms.archive.models import AssessmentResult, TrainingKind, TrainingRecord
from lms.kernel.signals import send_on_commit
from lms.speed.bulk import update_by_case
from lms.workforce.models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment

from .models import ClearanceCheck, Obligation, ObligationKind, RuleCode
from .registry import reason_sources
from .requirements import (
    PLACEMENT_MARK, PREPOST_DUE_DAYS, REQUIREMENT_KINDS, Units, is_placement_key, load_histories, load_units,
    post_requirements,
)
from .rules import RuleBook, add_months, at_least_months, split_levels
from .signals import obligations_created, obligations_met

ZERO = Decimal("0")


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

# Which record kinds count towards which obligation kinds.
COUNTS_TOWARDS = {
    ObligationKind.INDUCTION: {TrainingKind.INDUCTION},
    ObligationKind.RETRAINING: {TrainingKind.RETRAINING, TrainingKind.INDUCTION},
    ObligationKind.REFRESHER: {TrainingKind.REFRESHER},
    ObligationKind.PRINCIPAL_INITIAL: {TrainingKind.PRINCIPAL},
    ObligationKind.PRINCIPAL_ANNUAL: {TrainingKind.PRINCIPAL},
    ObligationKind.NEW_PROCESS: {TrainingKind.NEW_PROCESS},
    ObligationKind.OFF_POST: {TrainingKind.OFF_POST},
    ObligationKind.WARNING: {TrainingKind.WARNING},
    ObligationKind.APPRENTICESHIP: {TrainingKind.APPRENTICESHIP},
    ObligationKind.SPECIAL_OP_REFRESHER: {TrainingKind.SPECIAL_OPERATION},
    ObligationKind.FATAL_ACCIDENT_RETRAINING: {TrainingKind.PRINCIPAL},
}
# 办法 §22 names no deadline for the retraining after a fatal accident: a
# policy default (docs/decisions/011-fatal-accident-retraining.md).
FATAL_ACCIDENT_DUE_DAYS = 90


# --- generating obligations ---------------------------------------------------


def _key(kind, *, level="", post=None, event=None, cycle="") -> str:
    """An obligation's natural key (unique per employee)."""
    return ":".join([kind, level or "-", str(post.pk if post else "-"), str(event.pk if event else "-"), cycle or "-"])


def _obligation_values(kind, rule, *, level="", post=None, event=None, cycle="", min_hours=None, start, due,
                       end=None, blocks_post=True, exam_required=None) -> dict:
    return {
        "kind": kind,
        "level": level,
        "cycle": cycle,
        "key": _key(kind, level=level, post=post, event=event, cycle=cycle),
        "min_hours": min_hours if min_hours is not None else (rule.min_hours or ZERO),
        "exam_required": rule.exam_required if exam_required is None else exam_required,
        "start_date": start,
        "end_date": end,
        "due_date": due,
        "blocks_post": blocks_post,
    }


def obligation_new(employee, kind, rule, *, post=None, event=None, **values) -> Obligation:
    """An obligation (unsaved) of ``kind`` under ``rule``, with its natural key."""
    return Obligation(employee=employee, post=post, rule=rule, event=event,
                      **_obligation_values(kind, rule, post=post, event=event, **values))


def _obligation_row(employee, kind, rule, *, post=None, event=None, **values) -> dict:
    """``obligation_new`` as a row (column values by attribute name) for
    ``lms.speed.bulk.insert_ignoring_conflicts``: no model instance."""
    return {"employee_id": employee.pk, "post_id": post.pk if post else None, "rule_id": rule.pk,
            "event_id": event.pk if event else None,
            **_obligation_values(kind, rule, post=post, event=event, **values)}


def _levels(employee, rule_book, event, post, levels, kind, rule) -> list[Obligation]:
    induction = rule_book.get(RuleCode.INDUCTION, employee.enterprise, event.date)
    hours = split_levels(induction.min_hours if induction else ZERO)
    due = event.date + dt.timedelta(days=PREPOST_DUE_DAYS)
    return [
        obligation_new(employee, kind, rule, level=level, post=None if level == "company" else post, event=event,
                       min_hours=hours[level], start=event.date, due=due)
        for level in levels
    ]


def _since(obligation: Obligation, day: dt.date) -> Obligation:
    obligation.start_date = day
    return obligation


def _apprenticeship(employee, rule_book, event, post) -> list[Obligation]:
    if post is None:
        return []
    rule = rule_book.get(RuleCode.APPRENTICESHIP, employee.enterprise, event.date)
    months = max(post.required_apprenticeship_months, (rule.months or 0) if rule else 0)
    if rule is None or months <= 0:
        return []
    return [
        obligation_new(employee, ObligationKind.APPRENTICESHIP, rule, post=post, event=event, min_hours=ZERO,
                       start=event.date, due=add_months(event.date, months), exam_required=True)
    ]


def obligations_for_event(event: EmploymentEvent, rule_book: RuleBook, *, history=None, managers=None,
                          transfer_since: dt.date | None = None) -> list[Obligation]:
    """The obligations one employment event creates (unsaved).

    ``history`` is the person's events in date order (for return after leave
    and repeated violations); it is loaded if not given. ``managers`` (for a
    fatal accident): the enterprise's active principals and safety managers,
    loaded if not given. ``transfer_since``: for a transfer, the start of the
    assignment the person leaves (training from then on counts); the hire
    date if not given."""
    employee, post, day = event.employee, event.post, event.date
    enterprise = employee.enterprise
    T = EmploymentEvent.Type
    out: list[Obligation] = []
    if event.type == T.HIRE:
        rule = rule_book.get(RuleCode.INDUCTION, enterprise, day)
        if rule:  # 令3 §13–§16: company, workshop and team level before the post
            out += _levels(employee, rule_book, event, post, ("company", "workshop", "team"), ObligationKind.INDUCTION, rule)
        out += _apprenticeship(employee, rule_book, event, post)
        if employee.is_principal or employee.is_safety_manager:
            rule = rule_book.get(RuleCode.PRINCIPAL_INITIAL, enterprise, day)
            if rule:  # 令3 §9
                out.append(obligation_new(employee, ObligationKind.PRINCIPAL_INITIAL, rule, event=event, start=day,
                                          due=add_months(day, 6), blocks_post=False))
    elif event.type == T.TRANSFER:
        rule = rule_book.get(RuleCode.TRANSFER_RETRAINING, enterprise, day)
        if rule:  # 令3 §17: transfer repeats workshop + team, not company level
            # Training for the new post since the person's previous change of
            # post counts (the start of the post they leave, else the hire):
            # HR can clear them before the move (as requirements.py does).
            since = min(day, transfer_since or employee.hire_date)
            out += [_since(o, since) for o in
                    _levels(employee, rule_book, event, post, ("workshop", "team"), ObligationKind.RETRAINING, rule)]
        out += _apprenticeship(employee, rule_book, event, post)
    elif event.type == T.RETURN:
        rule = rule_book.get(RuleCode.RETURN_RETRAINING, enterprise, day)
        history = history if history is not None else list(employee.events.order_by("date", "id"))
        leave = next((e for e in reversed(history) if e.type == T.LEAVE and e.date <= day and e.pk != event.pk), None)
        if rule and leave and at_least_months(leave.date, day, rule.months or 0):
            # 令3 §17 (local rules: 6 months): back on the post only after
            # workshop + team level again.
            # Training from the day the person left counts (as for a
            # placement after time off: requirements.py).
            target = post or leave.post
            out += [
                _since(o, leave.date)
                for o in _levels(employee, rule_book, event, target, ("workshop", "team"), ObligationKind.RETRAINING, rule)
            ]
    elif event.type == T.NEW_PROCESS:
        rule = rule_book.get(RuleCode.NEW_PROCESS, enterprise, day)
        if rule:  # 令3 §17, 法 §29: before working with the new process/equipment
            out.append(obligation_new(employee, ObligationKind.NEW_PROCESS, rule, post=post, event=event, start=day,
                                      due=day + dt.timedelta(days=PREPOST_DUE_DAYS)))
    elif event.type == T.VIOLATION:
        rule = rule_book.get(RuleCode.VIOLATION_OFF_POST, enterprise, day)
        if rule:
            history = history if history is not None else list(employee.events.order_by("date", "id"))
            window_start = add_months(day, -(rule.months or 12))
            count = sum(1 for e in history if e.type == T.VIOLATION and window_start < e.date <= day)
            if event.pk not in {e.pk for e in history}:
                count += 1
            if count >= (rule.count or 2):
                # Off-post retraining (离岗培训) before working any post again.
                out.append(obligation_new(employee, ObligationKind.OFF_POST, rule, event=event, start=day,
                                          due=day + dt.timedelta(days=PREPOST_DUE_DAYS)))
    elif event.type == T.FATAL_ACCIDENT:
        out += _fatal_accident(event, rule_book, managers)
    return out


def _enterprise_managers(enterprise_ids) -> dict[int, list[Employee]]:
    """Active principals and safety managers, by enterprise (one query)."""
    out = defaultdict(list)
    for e in (Employee.objects.filter(enterprise_id__in=enterprise_ids, status=Employee.Status.ACTIVE)
              .filter(Q(is_principal=True) | Q(is_safety_manager=True)).select_related("enterprise")):
        out[e.enterprise_id].append(e)
    return out


def _fatal_accident(event, rule_book, managers) -> list[Obligation]:
    """办法 §22: after a fatal accident the enterprise's principal and safety
    managers retrain (hours as their annual rule). One obligation per person
    and accident day, whichever file the accident was recorded on (so a
    second recording of the same accident adds nothing); not blocking, a
    reason once overdue (docs/decisions/011)."""
    enterprise, day = event.employee.enterprise, event.date
    rule = rule_book.get(RuleCode.FATAL_ACCIDENT_RETRAINING, enterprise, day)
    if rule is None:
        return []
    if managers is None:
        managers = _enterprise_managers([enterprise.pk]).get(enterprise.pk, [])
    out = []
    for person in managers:
        if person.hire_date > day:
            continue
        o = obligation_new(person, ObligationKind.FATAL_ACCIDENT_RETRAINING, rule, cycle=day.isoformat(), start=day,
                           due=day + dt.timedelta(days=FATAL_ACCIDENT_DUE_DAYS), blocks_post=False)
        o.event = event  # the key stays per accident day (see above)
        out.append(o)
    return out


@transaction.atomic
def obligations_generate_for_events(events, *, rule_book: RuleBook | None = None) -> int:
    """Create the obligations of ``events``; idempotent (natural keys).
    Returns how many were new. Queries do not grow with the number of events."""
    events = list(events)
    if not events:
        return 0
    rule_book = rule_book or RuleBook.load()
    employee_ids = {e.employee_id for e in events}
    employees = {
        e.pk: e for e in Employee.objects.filter(pk__in=employee_ids).select_related("enterprise")
    }
    posts = {p.pk: p for p in Post.objects.filter(pk__in={e.post_id for e in events if e.post_id}).select_related("enterprise")}
    histories = defaultdict(list)
    needs_history = {e.employee_id for e in events if e.type in (EmploymentEvent.Type.RETURN, EmploymentEvent.Type.VIOLATION)}
    if needs_history:
        for h in EmploymentEvent.objects.filter(employee_id__in=needs_history).order_by("date", "id"):
            h.post = posts.get(h.post_id) if h.post_id in posts else h.post
            histories[h.employee_id].append(h)
    fatal = {employees[e.employee_id].enterprise_id for e in events if e.type == EmploymentEvent.Type.FATAL_ACCIDENT}
    managers = _enterprise_managers(fatal) if fatal else {}
    # For transfers: the start of the latest assignment on another post that
    # began by the transfer date (one read per 500 people).
    starts: dict[int, list] = defaultdict(list)
    movers = sorted({e.employee_id for e in events if e.type == EmploymentEvent.Type.TRANSFER})
    for start in range(0, len(movers), 500):
        for emp_id, post_id, day in PostAssignment.objects.filter(employee_id__in=movers[start:start + 500]).values_list(
                "employee_id", "post_id", "start_date"):
            starts[emp_id].append((day, post_id))
    new: list[Obligation] = []
    for event in events:
        event.employee = employees[event.employee_id]
        if event.post_id:
            event.post = posts[event.post_id]
        history = histories.get(event.employee_id) if event.employee_id in needs_history else None
        since = max((d for d, p in starts.get(event.employee_id, ()) if d <= event.date and p != event.post_id),
                    default=None)
        new += obligations_for_event(event, rule_book, history=history,
                                     managers=managers.get(event.employee.enterprise_id, []), transfer_since=since)
    # The natural key (employee, key) makes a second run a no-op.
    enterprise_ids = {e.enterprise_id for e in employees.values()}
    before = Obligation.objects.filter(employee__enterprise_id__in=enterprise_ids).count()
    Obligation.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    if new:
        # Training already on file counts, whenever the obligation is made.
        event_ids = sorted({e.pk for e in events})
        for start in range(0, len(event_ids), 500):
            obligations_evaluate_new(Obligation.objects.filter(event_id__in=event_ids[start:start + 500]), employee_ids)
        # Courses enrols in the online courses that can satisfy them, after commit.
        send_on_commit(obligations_created, sender=Obligation, employee_ids=frozenset(o.employee_id for o in new))
    return Obligation.objects.filter(employee__enterprise_id__in=enterprise_ids).count() - before


def obligations_on_event(event: EmploymentEvent) -> int:
    """Called by workforce.services.event_record once the event is saved."""
    created = obligations_generate_for_events([event])
    obligations_evaluate(employee=event.employee)
    if event.type == EmploymentEvent.Type.FATAL_ACCIDENT:
        # The obligations are the managers', not the recorded person's.
        for person in _enterprise_managers([event.employee.enterprise_id]).get(event.employee.enterprise_id, []):
            if person.pk != event.employee_id:
                obligations_evaluate(employee=person)
    return created


def cycle_obligations(employees, year: int, quarter: int, rule_book: RuleBook, *, have=frozenset(),
                      rows: bool = False) -> list:
    """Annual refresher, principals' annual hours and the quarter's warning
    education for active employees (unsaved), leaving out those whose
    ``(employee_id, key)`` is in ``have`` (already on file). With ``rows``:
    as column values (dicts) for ``lms.speed.bulk.insert_ignoring_conflicts``."""
    out = []
    make = _obligation_row if rows else obligation_new
    y_start, y_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    q_start = dt.date(year, 3 * (quarter - 1) + 1, 1)
    q_end = add_months(q_start, 3) - dt.timedelta(days=1)
    refresher = _key(ObligationKind.REFRESHER, cycle=str(year))
    principal = _key(ObligationKind.PRINCIPAL_ANNUAL, cycle=str(year))
    warning = _key(ObligationKind.WARNING, cycle=f"{year}Q{quarter}")
    for emp in employees:
        if emp.status != Employee.Status.ACTIVE:
            continue
        ent = emp.enterprise
        if emp.hire_date.year < year:
            # The year of hire is covered by pre-post training (令3 §13).
            rule = rule_book.get(RuleCode.ANNUAL_REFRESHER, ent, y_start)
            if rule and (emp.is_principal or emp.is_safety_manager):
                # 令3 puts the staff refresher in its chapter on "其他从业人员":
                # principals and safety managers owe their own annual hours
                # (§9), the staff refresher only by enterprise policy (decision 013).
                rule = rule if rule_book.get(RuleCode.PRINCIPAL_STAFF_REFRESHER, ent, y_start) else None
            if rule and (emp.pk, refresher) not in have:
                out.append(make(emp, ObligationKind.REFRESHER, rule, cycle=str(year), start=y_start, end=y_end,
                                       due=y_end, blocks_post=False))
            if emp.is_principal or emp.is_safety_manager:
                rule = rule_book.get(RuleCode.PRINCIPAL_ANNUAL, ent, y_start)
                if rule and (emp.pk, principal) not in have:
                    out.append(make(emp, ObligationKind.PRINCIPAL_ANNUAL, rule, cycle=str(year), start=y_start,
                                           end=y_end, due=y_end, blocks_post=False))
        rule = rule_book.get(RuleCode.WARNING_EDUCATION, ent, q_start)
        if rule and emp.hire_date <= q_end and (emp.pk, warning) not in have:
            out.append(make(emp, ObligationKind.WARNING, rule, cycle=f"{year}Q{quarter}", min_hours=ZERO,
                                   start=q_start, end=q_end, due=q_end, blocks_post=False, exam_required=False))
    return out


# --- evaluating obligations against the archive ----------------------------


def _record_counts(obligation: Obligation, record: TrainingRecord) -> bool:
    if record.kind not in COUNTS_TOWARDS[obligation.kind]:
        return False
    if obligation.level and record.level != obligation.level:
        return False
    if obligation.post_id and record.post_id not in (None, obligation.post_id):
        return False
    day = timezone.localtime(record.end_at).date()
    if day < obligation.start_date or (obligation.end_date and day > obligation.end_date):
        return False
    return True


def evaluate(obligation: Obligation, records) -> tuple[Decimal, bool, list[TrainingRecord]]:
    """Hours completed, whether the assessment was passed, the records that count."""
    counted = [r for r in records if _record_counts(obligation, r)]
    hours = sum((r.hours for r in counted), ZERO)
    passed = any(r.assessment_result == AssessmentResult.PASSED for r in counted)
    return hours, passed, counted


def met_on(obligation: Obligation, counted) -> dt.date:
    """The first day the counted records satisfied the obligation (records
    finished later do not move it: a record added after the fact must not
    make an earlier day look unmet)."""
    hours, passed = ZERO, False
    for day, r in sorted(((timezone.localtime(r.end_at).date(), r) for r in counted), key=lambda x: (x[0], x[1].pk or 0)):
        hours += r.hours
        passed = passed or r.assessment_result == AssessmentResult.PASSED
        if _is_satisfied(obligation, hours, passed, [r]):
            return day
    return max(timezone.localtime(r.end_at).date() for r in counted)


def _is_satisfied(obligation: Obligation, hours: Decimal, passed: bool, counted) -> bool:
    if not counted:
        return False
    if hours < obligation.min_hours:
        return False
    if obligation.exam_required and not passed:
        return False
    return True


@transaction.atomic
def obligations_evaluate(*, employee: Employee) -> list[Obligation]:
    """Re-evaluate every open obligation of one person against their archive;
    returns those that became met. Records that a later record corrects no
    longer count."""
    records = list(TrainingRecord.objects.filter(employee=employee))
    corrected = {r.corrects_id for r in records if r.corrects_id}
    live = [r for r in records if r.pk not in corrected]
    now = timezone.now()
    became_met = []
    # Sorted here, not by the model's ordering: ORDER BY due_date made SQLite
    # read every open obligation of everyone through the (status, due_date)
    # index instead of this person's few (13 ms a call at 21,000 employees).
    mine = Obligation.objects.select_for_update().filter(
        employee=employee, status__in=(Obligation.Status.OPEN, Obligation.Status.MET)).order_by()
    for obligation in sorted(mine, key=lambda o: (o.due_date, o.pk)):
        if obligation.status == Obligation.Status.MET:
            # An older record entered later (a back-filled archive) can only
            # make the day it was met earlier: the answer for a date must not
            # depend on the order the records were entered in.
            counted = [r for r in live if _record_counts(obligation, r)]
            if counted and obligation.met_on and _is_satisfied(obligation, *evaluate(obligation, live)[:2], counted):
                earlier = met_on(obligation, counted)
                if earlier < obligation.met_on:
                    obligation.met_on = earlier
                    obligation.save(update_fields=["met_on"])
            continue
        hours, passed, counted = evaluate(obligation, live)
        changed = (hours, passed) != (obligation.completed_hours, obligation.exam_passed)
        obligation.completed_hours, obligation.exam_passed = hours, passed
        if _is_satisfied(obligation, hours, passed, counted):
            obligation.status, obligation.met_at = Obligation.Status.MET, now
            obligation.met_on = met_on(obligation, counted)
            became_met.append(obligation)
            changed = True
        if changed:
            obligation.save(update_fields=["completed_hours", "exam_passed", "status", "met_at", "met_on"])
            obligation.records.set(counted)
    if became_met:
        # Certificates issues what is now due, for this person only, after
        # this change has committed (told once per transaction).
        send_on_commit(obligations_met, sender=Obligation, employee_id=employee.pk)
    return became_met


# --- evaluating many obligations at once -------------------------------------


@dataclass(slots=True)
class LightRecord:
    """What evaluation reads of a training record (no model instance)."""

    pk: int
    employee_id: int
    kind: str
    level: str
    post_id: int | None
    end_at: dt.datetime
    hours: Decimal
    assessment_result: str
    corrects_id: int | None


_LIGHT_FIELDS = ("pk", "employee_id", "kind", "level", "post_id", "end_at", "hours", "assessment_result", "corrects_id")


def live_records(queryset, kinds=None) -> dict[int, list[LightRecord]]:
    """The records of ``queryset`` (of the given kinds) by employee, as
    LightRecords, leaving out records that a later record corrects: one
    query. Corrections of any kind are read too (they void what they correct)."""
    if kinds is not None:
        queryset = queryset.filter(Q(kind__in=kinds) | Q(corrects__isnull=False))
    rows = [LightRecord(*row) for row in queryset.order_by().values_list(*_LIGHT_FIELDS)]
    corrected = {r.corrects_id for r in rows if r.corrects_id}
    out: dict[int, list[LightRecord]] = defaultdict(list)
    for r in rows:
        if r.pk not in corrected and (kinds is None or r.kind in kinds):
            out[r.employee_id].append(r)
    return out


def kinds_counting_towards(obligation_kinds) -> set[str]:
    return set().union(*(COUNTS_TOWARDS[k] for k in obligation_kinds)) if obligation_kinds else set()


def evaluate_unsaved(obligation: Obligation, records) -> Obligation:
    """Fill in an unsaved obligation's hours, exam and status from
    ``records`` (what ``obligations_evaluate`` would store)."""
    hours, passed, counted = evaluate(obligation, records)
    obligation.completed_hours, obligation.exam_passed = hours, passed
    if _is_satisfied(obligation, hours, passed, counted):
        obligation.status = Obligation.Status.MET
        obligation.met_on = met_on(obligation, counted)
    return obligation


def obligations_evaluate_batch(obligations, records_by_employee) -> list[Obligation]:
    """Evaluate many open obligations (saved) against records already on
    file, in memory, and write what changed in bulk (one UPDATE per batch,
    one bulk insert of the counted records' links): how obligations created
    in bulk (the scan's cycles, imported events, an import's placements)
    take into account the training already on file. Returns those met."""
    now = timezone.now()
    changed, links, became_met = [], [], []
    Link = Obligation.records.through
    for o in obligations:
        if o.status != Obligation.Status.OPEN:
            continue
        hours, passed, counted = evaluate(o, records_by_employee.get(o.employee_id, ()))
        if not counted:
            continue
        o.completed_hours, o.exam_passed = hours, passed
        if _is_satisfied(o, hours, passed, counted):
            o.status, o.met_at = Obligation.Status.MET, now
            o.met_on = met_on(o, counted)
            became_met.append(o)
        changed.append(o)
        links += [Link(obligation_id=o.pk, trainingrecord_id=r.pk) for r in counted]
    if changed:
        update_by_case(Obligation, changed, ["completed_hours", "exam_passed", "status", "met_at", "met_on"],
                       batch_size=1000)
        Link.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
    for employee_id in sorted({o.employee_id for o in became_met}):
        send_on_commit(obligations_met, sender=Obligation, employee_id=employee_id)
    return became_met


def obligations_evaluate_new(obligation_qs, employee_ids) -> list[Obligation]:
    """Evaluate the open obligations of ``obligation_qs`` against the records
    on file of ``employee_ids`` (chunked reads): ``obligations_evaluate_batch``
    for obligations just created."""
    opened = list(obligation_qs.filter(status=Obligation.Status.OPEN).order_by())
    if not opened:
        return []
    kinds = kinds_counting_towards({o.kind for o in opened})
    wanted = sorted({o.employee_id for o in opened} & set(employee_ids))
    records: dict[int, list] = {}
    for start in range(0, len(wanted), 500):
        records.update(live_records(TrainingRecord.objects.filter(employee_id__in=wanted[start:start + 500]), kinds))
    return obligations_evaluate_batch(opened, records)


def _resolved(requirements, stored: dict, records) -> list[Obligation]:
    """Each requirement as the stored obligation of the same key if there is
    one, else evaluated (unsaved) against ``records``."""
    return [stored.get(req.key) or evaluate_unsaved(req, records) for req in requirements]


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


def clearance_record(result: Clearance, *, purpose: str, actor=None):
    """Keep the answer in the person's clearance history."""
    return ClearanceCheck.objects.create(
        employee_id=result.employee_id,
        post_id=result.post_id,
        on_date=result.on_date,
        cleared=result.cleared,
        reasons=[r.as_dict() for r in result.reasons],
        purpose=purpose,
        checked_by=log_user(actor),
    )


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
