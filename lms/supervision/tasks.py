"""Celery tasks of supervision: building a sample's download bundle."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="supervision.bundle_build")
def bundle_build_task(bundle_id: int) -> None:
    """Build one bundle (claimed once; a second delivery does nothing)."""
    from .bundle import bundle_build

    bundle_build(bundle_id=bundle_id)


@shared_task(name="supervision.requeue_stale_bundles")
def requeue_stale_bundles_task() -> int:
    """Every few minutes (Celery beat): hand bundles whose worker died to a
    new run, or fail them after too many runs; returns how many."""
    from .models import SampleBundle

    return SampleBundle.requeue_stale(enqueue=bundle_build_task.delay)
