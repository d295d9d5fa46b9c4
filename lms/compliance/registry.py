"""What the compliance core asks of the apps above it, filled in their
AppConfig.ready() (lms.kernel.registry).

- ``reason_sources``: more reasons clearance may refuse for. Each source is a
  :class:`ReasonSource`: ``load`` reads what it needs for many people in one
  query, so ``clearance_batch`` stays at a constant number of queries;
  ``reasons`` then decides for one person and post from the loaded rows only.
- ``scan_steps``: steps of the daily scan run after the cycles are created
  and before the due-soon/overdue claims, in their order. A step is called
  as ``step(today=…, result=…)`` (the run's ScanResult, which its notices
  count into) and returns how many things it did, added to the ScanResult
  field of the step's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lms.kernel.registry import Registry


@dataclass(frozen=True)
class ReasonSource:
    # load(*, employee_ids, enterprise=None) -> {employee_id: loaded rows}.
    # With ``enterprise``: the people are all of that enterprise (one
    # whole-enterprise read, not a long id list).
    load: Callable
    # reasons(employee, post, on_date, loaded) -> [Reason], no queries.
    reasons: Callable


reason_sources = Registry("clearance reason sources")
scan_steps = Registry("daily scan steps")
