"""Celery tasks of the archive: the daily signed checkpoint."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="archive.checkpoint_daily")
def checkpoint_daily_task() -> dict:
    """Verify and sign today's checkpoint of every enterprise (safe to run
    twice: one checkpoint per enterprise per day)."""
    from .services import checkpoint_create_all

    run = checkpoint_create_all()
    return {"created": len(run.created), "existing": len(run.existing),
            "refused": [enterprise.code for enterprise, _message in run.refused]}
