"""Clearance as the workforce's placement gate (lms.workforce.registry)."""

from __future__ import annotations

from lms.workforce.registry import PlacementGate

from .models import Obligation
from .services import clearance, clearance_batch, clearance_record


def cleared_pairs(*, enterprise, on_date, pairs) -> set[tuple[int, int]]:
    """The (employee_id, post_id) pairs of an import cleared on ``on_date``.
    An open obligation marked "未完成不得上岗" (blocks_post) for the post is
    a "no" by definition; clearance answers for the rest, in one batch.
    (Spelling out its reasons for thousands of fresh hires costs seconds.)"""
    wanted_ids = {employee_id for employee_id, _p in pairs}
    blocked: dict[int, set[int | None]] = {}
    for employee_id, post_id in Obligation.objects.filter(
        employee__enterprise=enterprise, status=Obligation.Status.OPEN, blocks_post=True, start_date__lte=on_date
    ).values_list("employee_id", "post_id"):
        if employee_id in wanted_ids:
            blocked.setdefault(employee_id, set()).add(post_id)
    undecided = [(e, p) for e, p in pairs if not (None in blocked.get(e, ()) or p in blocked.get(e, ()))]
    answers = clearance_batch(enterprise=enterprise, on_date=on_date, pairs=undecided) if undecided else {}
    return {pair for pair, answer in answers.items() if answer.cleared}


GATE = PlacementGate(check=clearance, record=clearance_record, cleared_pairs=cleared_pairs)
