"""Celery tasks of supervision: building a sample's download bundle."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="supervision.bundle_build")
def bundle_build_task(bundle_id: int) -> None:
    """Build one bundle (claimed once; a second delivery does nothing)."""
    from .bundle import bundle_build

    bundle_build(bundle_id=bundle_id)
