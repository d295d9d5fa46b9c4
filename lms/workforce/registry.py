"""What the workforce asks of the apps above it, filled in their
AppConfig.ready() (lms.kernel.registry).

- ``placement_gates``: the one gate every placement on a post goes through
  (lms.compliance registers clearance). A :class:`PlacementGate` answers for
  one person and post (an answer has ``cleared``, ``apprentice_only`` and
  ``reasons`` with ``code`` and ``message``), records an answer in the
  person's history, and answers an import's many pairs at once. Every
  placement first asks it to ``prepare`` (write what the placement requires:
  transfer, return, apprenticeship training), whatever path places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.core.exceptions import ImproperlyConfigured

from lms.kernel.registry import Registry


@dataclass(frozen=True)
class PlacementGate:
    # check(employee, post, on_date) -> answer
    check: Callable
    # record(answer, *, purpose, actor) -> None
    record: Callable
    # cleared_pairs(*, enterprise, on_date, pairs) -> set of (employee_id, post_id) cleared;
    # writes what the placements require first (as ``prepare`` does for one)
    cleared_pairs: Callable
    # prepare(employee, post, on_date) -> None: write what placing the person
    # on the post requires (idempotent), before ``check`` is asked; a refused
    # placement keeps what it wrote (asked again after the refusal rolled back)
    prepare: Callable = lambda employee, post, on_date: None


placement_gates = Registry("placement gates")


def placement_gate() -> PlacementGate:
    """The registered gate; without exactly one nobody may be placed."""
    gates = list(placement_gates)
    if len(gates) != 1:
        raise ImproperlyConfigured(f"exactly one placement gate must be registered, not {len(gates)}")
    return gates[0]
