"""Demo warning education for ``seed_demo``: this quarter's campaign of each
demo enterprise (as the daily scan makes it), so 我的警示教育 and the HR
pages have something to show before the first scan. Safe to run again."""

from __future__ import annotations

from lms.kernel import seeding


def seed_warning(*, report=None, log=print) -> int:
    """Make the quarter's missing campaigns; returns how many were made."""
    from .services import campaigns_ensure

    made = campaigns_ensure()
    if report is not None:
        report.count("警示教育活动", True, made)
    return made


@seeding.register("courses.warning", after=("workforce",), requires={"people", "cms"})
def seed(run: seeding.SeedRun) -> None:
    seed_warning(report=run.report, log=run.log)
