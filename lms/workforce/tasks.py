"""Celery tasks of the workforce app: thin wrappers around services."""

from celery import shared_task

from .importing import importjob_requeue_stale, importjob_run
from lms.imports import purge_import_uploads


@shared_task(name="workforce.run_import_job")
def run_import_job(job_id: int) -> str | None:
    """Run one import job (employees, records or questions); a second
    delivery of a job another live run has does nothing."""
    job = importjob_run(job_id)
    return job.status if job is not None else None


@shared_task(name="workforce.requeue_stale_import_jobs")
def requeue_stale_import_jobs_task() -> int:
    """Every few minutes (Celery beat): hand import jobs whose worker died
    to a new run, or fail them after too many runs (the uploader is told);
    returns how many."""
    return importjob_requeue_stale(enqueue=run_import_job.delay)


@shared_task(name="workforce.purge_import_uploads")
def purge_import_uploads_task() -> int:
    """Delete import uploads kept past their retention, and what crashed imports left (hourly)."""

    return purge_import_uploads()
