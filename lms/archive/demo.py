"""Demo archive checkpoints for ``seed_demo``: today's signed checkpoint of
each demo enterprise, so the person files and regulator bundles of the demo
are covered (Celery beat signs one every night)."""

from __future__ import annotations

from lms.kernel import seeding
from lms.workforce.demo import demo_enterprises

from .services import checkpoint_create_all


@seeding.register("archive", after=("workforce",), requires={"people"})
def seed(run: seeding.SeedRun) -> None:
    checkpoint_create_all(enterprises=demo_enterprises())
