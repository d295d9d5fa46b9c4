"""Celery tasks of the workforce app: thin wrappers around services."""

from celery import shared_task

from .importing import importjob_run


@shared_task(name="workforce.run_import_job")
def run_import_job(job_id: int) -> str | None:
    """Run one employee import job; a second delivery of the same job does nothing."""
    job = importjob_run(job_id)
    return job.status if job is not None else None


@shared_task(name="workforce.purge_import_uploads")
def purge_import_uploads_task() -> int:
    """Delete import uploads kept past their retention, and what crashed imports left (hourly)."""
    from lms.imports import purge_import_uploads

    return purge_import_uploads()
