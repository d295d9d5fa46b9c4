"""Clearance as the workforce's placement gate (lms.workforce.registry).

Before the gate answers, ``prepare`` (one placement) or ``prepare_batch``
(an import's placements) writes what the placement requires
(``requirements.post_requirements``: transfer, return, first-post and
apprenticeship obligations, blocking the post) and evaluates them against
the training already on file. They are written whatever the answer: a
refused placement leaves HR the list of what is owed for that post."""

from __future__ import annotations

from django.db import transaction

from lms.archive.models import TrainingRecord
from lms.kernel.signals import send_on_commit
from lms.speed.bulk import insert_ignoring_conflicts
from lms.workforce.models import Employee, OrgUnit, Post
from lms.workforce.registry import PlacementGate

from .models import Obligation
from .requirements import (
    PLACEMENT_MARK, REQUIREMENT_KINDS, Units, is_placement_key, load_histories, load_units, post_requirements,
)
from .rules import RuleBook
from .clearance import clearance, clearance_batch
from .services import clearance_record, kinds_counting_towards, live_records, obligations_evaluate, obligations_evaluate_batch
from .signals import obligations_created


def _row(o: Obligation) -> dict:
    return {"employee_id": o.employee_id, "post_id": o.post_id, "rule_id": o.rule_id, "event_id": None,
            "kind": o.kind, "level": o.level, "cycle": o.cycle, "key": o.key, "min_hours": o.min_hours,
            "exam_required": o.exam_required, "start_date": o.start_date, "end_date": o.end_date,
            "due_date": o.due_date, "blocks_post": o.blocks_post}


@transaction.atomic
def prepare(employee, post, on_date) -> int:
    """Write what placing ``employee`` on ``post`` on ``on_date`` requires
    (idempotent by natural key) and evaluate it against the records on
    file. Returns how many obligations were new."""
    employee = Employee.objects.select_related("enterprise").get(pk=employee.pk)
    if post.enterprise_id != employee.enterprise_id:
        return 0
    history = load_histories(employees=[employee])[employee.pk]
    requirements = post_requirements(employee, post, on_date, history, RuleBook.load(), load_units(employee.enterprise))
    if not requirements:
        return 0
    created = insert_ignoring_conflicts(Obligation, [_row(o) for o in requirements])
    if created:
        obligations_evaluate(employee=employee)
        send_on_commit(obligations_created, sender=Obligation, employee_ids=frozenset({employee.pk}))
    return created


@transaction.atomic
def prepare_batch(*, enterprise, on_date, pairs) -> int:
    """``prepare`` for many (employee_id, post_id) pairs of one enterprise
    (an import): whole-enterprise reads, one bulk insert, the new
    obligations evaluated in memory against the records on file."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return 0
    employee_ids = {e for e, _p in pairs}
    employees = {e.pk: e for e in Employee.objects.filter(enterprise=enterprise) if e.pk in employee_ids}
    for e in employees.values():
        e.enterprise = enterprise
    posts = {p.pk: p for p in Post.objects.filter(enterprise=enterprise)}
    for p in posts.values():
        p.enterprise = enterprise  # the apprenticeship floor reads the industry
    units = Units.build(posts.values(), OrgUnit.objects.filter(enterprise=enterprise).only("pk", "kind", "parent_id"))
    histories = load_histories(employees=employees.values(), enterprise=enterprise)
    rule_book = RuleBook.load()
    rows = []
    for emp_id, post_id in pairs:
        if emp_id in employees and post_id in posts:
            rows += [_row(o) for o in post_requirements(employees[emp_id], posts[post_id], on_date,
                                                        histories[emp_id], rule_book, units)]
    if not rows:
        return 0
    created = insert_ignoring_conflicts(Obligation, rows)
    if created:
        wanted = {(r["employee_id"], r["key"]) for r in rows}
        fresh = [o for o in Obligation.objects.filter(employee__enterprise=enterprise, status=Obligation.Status.OPEN,
                                                      event__isnull=True, kind__in=REQUIREMENT_KINDS,
                                                      key__contains=PLACEMENT_MARK)
                 if (o.employee_id, o.key) in wanted]
        if fresh:
            records = live_records(TrainingRecord.objects.filter(employee__enterprise=enterprise),
                                   kinds_counting_towards(REQUIREMENT_KINDS))
            obligations_evaluate_batch(fresh, records)
        send_on_commit(obligations_created, sender=Obligation,
                       employee_ids=frozenset(r["employee_id"] for r in rows))
    return created


def cleared_pairs(*, enterprise, on_date, pairs) -> set[tuple[int, int]]:
    """The (employee_id, post_id) pairs of an import cleared on ``on_date``,
    after writing what the placements require (``prepare_batch``). An open
    obligation marked "未完成不得上岗" (blocks_post) for the post, made by an
    event, is a "no" by definition; clearance answers for the rest, in one
    batch. (Spelling out its reasons for thousands of fresh hires costs seconds.)"""
    prepare_batch(enterprise=enterprise, on_date=on_date, pairs=pairs)
    wanted_ids = {employee_id for employee_id, _p in pairs}
    blocked: dict[int, set[int | None]] = {}
    for employee_id, post_id, key in Obligation.objects.filter(
        employee__enterprise=enterprise, status=Obligation.Status.OPEN, blocks_post=True, start_date__lte=on_date
    ).values_list("employee_id", "post_id", "key"):
        if employee_id in wanted_ids and not is_placement_key(key):
            blocked.setdefault(employee_id, set()).add(post_id)
    undecided = [(e, p) for e, p in pairs if not (None in blocked.get(e, ()) or p in blocked.get(e, ()))]
    answers = clearance_batch(enterprise=enterprise, on_date=on_date, pairs=undecided) if undecided else {}
    return {pair for pair, answer in answers.items() if answer.cleared}


GATE = PlacementGate(check=clearance, record=clearance_record, cleared_pairs=cleared_pairs, prepare=prepare)
