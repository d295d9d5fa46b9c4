"""Obligations from events and cycles, their evaluation against the archive,
and the clearance history. Clearance itself — "may person X work post Y on
date D?" — is a read: lms/compliance/clearance.py, through selectors.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lms.accounts.scoping import log_user
from lms.archive.models import AssessmentResult, TrainingKind, TrainingRecord
from lms.kernel.signals import send_on_commit
from lms.speed.bulk import update_by_case
from lms.workforce.models import Employee, EmploymentEvent, Post, PostAssignment

from .models import ClearanceCheck, Obligation, ObligationKind, RuleCode
from .requirements import (
    PREPOST_DUE_DAYS,
)
from .rules import RuleBook, add_months, at_least_months, split_levels
from .signals import obligations_created, obligations_met

ZERO = Decimal("0")


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


# --- the clearance history (the answers themselves: lms/compliance/clearance.py) ---------------


def clearance_record(result, *, purpose: str, actor=None):
    """Keep the answer (a :class:`lms.compliance.clearance.Clearance`) in the person's clearance history."""
    return ClearanceCheck.objects.create(
        employee_id=result.employee_id,
        post_id=result.post_id,
        on_date=result.on_date,
        cleared=result.cleared,
        reasons=[r.as_dict() for r in result.reasons],
        purpose=purpose,
        checked_by=log_user(actor),
    )
