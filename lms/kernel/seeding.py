"""Demo seeding (``manage.py seed_demo``): each app seeds its own demo data
in a step that its ``demo`` module registers; the command runs the steps in
dependency order inside one transaction and prints one summary.

An app's ``demo.py`` registers with the decorator::

    @seeding.register("courses", after=("workforce", "content"), requires={"people", "cms"})
    def seed(run: seeding.SeedRun) -> None: ...

The ``demo`` modules are found the way Django finds ``admin`` modules
(``autodiscover_modules``) when a seed starts, so web and worker processes
never load them. A step runs only if the run includes every part it
``requires`` ("people": the workforce behind the logins; "cms": content
pages and courses). Steps run in the order of ``after``; steps with no order
between them run in registration order, which follows ``INSTALLED_APPS``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

PARTS = frozenset({"people", "cms"})


@dataclass
class SeedReport:
    """What a seed run did; printed as the summary."""

    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # assignments the services refused
    credentials: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, what: str, created: bool, n: int = 1) -> None:
        bucket = self.created if created else self.existing
        bucket[what] = bucket.get(what, 0) + n
        (self.existing if created else self.created).setdefault(what, 0)

    def warn(self, message: str, log: Callable = print) -> None:
        log(message)
        self.warnings.append(message)


@dataclass
class SeedRun:
    """One ``seed_demo`` run, handed to every step."""

    report: SeedReport
    parts: frozenset[str] = PARTS
    log: Callable = print


@dataclass(frozen=True)
class Step:
    name: str
    func: Callable
    after: tuple[str, ...] = ()
    requires: frozenset[str] = frozenset()
    summary: Callable | None = None  # (report) -> str, a section of the printed summary


class Registry:
    """Named callables run in the order their ``after`` names give."""

    def __init__(self) -> None:
        self._steps: dict[str, Step] = {}

    def register(self, name: str, *, after: Iterable[str] = (), requires: Iterable[str] = (), summary=None):
        """Decorator: register the function as step ``name``."""
        unknown = set(requires) - PARTS
        if unknown:
            raise ImproperlyConfigured(f"Seed step {name!r} requires unknown parts {sorted(unknown)}")

        def decorator(func):
            self._steps[name] = Step(name, func, tuple(after), frozenset(requires), summary)
            return func

        return decorator

    def ordered(self) -> list[Step]:
        """The steps, each after those it names (registration order otherwise)."""
        for step in self._steps.values():
            missing = [n for n in step.after if n not in self._steps]
            if missing:
                raise ImproperlyConfigured(f"Seed step {step.name!r} runs after unregistered {missing}")
        done: list[Step] = []
        pending = list(self._steps.values())
        while pending:
            names = {s.name for s in done}
            ready = next((s for s in pending if set(s.after) <= names), None)
            if ready is None:
                raise ImproperlyConfigured(f"Seed steps wait on each other: {[s.name for s in pending]}")
            done.append(ready)
            pending.remove(ready)
        return done


steps = Registry()
register = steps.register


def discover() -> None:
    """Import every installed app's ``demo`` module (they register their steps)."""
    autodiscover_modules("demo")


@transaction.atomic
def seed_demo(*, parts: Iterable[str] = PARTS, log: Callable = print) -> SeedReport:
    """Run every registered step whose parts are in ``parts``; returns the report.
    Safe to run again: each step keeps what exists and duplicates nothing."""
    discover()
    run = SeedRun(report=SeedReport(), parts=frozenset(parts), log=log)
    for step in steps.ordered():
        if step.requires <= run.parts:
            step.func(run)
    return run.report


def publish_page(parent, page, counts: dict[str, int]):
    """Add the Wagtail ``page`` under ``parent`` and publish it, unless a
    child with its slug is there (then that one is returned); counts
    "created"/"existing"."""
    existing = parent.get_children().filter(slug=page.slug).first()
    if existing is not None:
        counts["existing"] += 1
        return existing.specific
    parent.add_child(instance=page)
    page.save_revision().publish()
    counts["created"] += 1
    return page


# --- summary -----------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def table(rows: list[list[str]]) -> str:
    """Rows as aligned columns (CJK characters count double)."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_summary(report: SeedReport) -> str:
    """The Chinese summary seed_demo prints: the counts (in the order the
    steps made them), each step's own section, then any warnings."""
    out = ["", "===== 安训演示数据 ====="]
    counts = [["数据", "本次新建", "已存在"]] + [
        [what, str(report.created[what]), str(report.existing[what])] for what in report.created
    ]
    out += [table(counts), ""]
    discover()  # a report may be printed in a process that has not seeded
    for step in steps.ordered():
        if step.summary is not None:
            out.append(step.summary(report))
    out += report.warnings
    return "\n".join(out)
