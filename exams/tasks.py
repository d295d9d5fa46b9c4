"""Exam engine tasks (Celery). Thin: re-fetch, call a service, safe to run twice."""

from celery import shared_task


@shared_task(name="exams.autosubmit_due")
def autosubmit_due_task() -> int:
    """Every minute (Celery beat, exams migration 0002): submit and grade the
    attempts whose deadline has passed. Returns how many were submitted."""
    from .services import attempts_autosubmit_due

    return attempts_autosubmit_due()
