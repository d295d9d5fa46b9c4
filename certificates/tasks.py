"""Celery tasks of the certificates app: automatic issuance after an
obligation change (and batch issuance)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="certificates.issue_due")
def issue_due_task(employee_id: int) -> list[int]:
    """Issue the internal certificates one person's met obligations call for;
    safe to run twice (each certificate is issued once per basis)."""
    from lms.workforce.models import Employee

    from .services import certificates_issue_due

    employee = Employee.objects.filter(pk=employee_id).first()
    if employee is None:
        return []
    return [c.pk for c in certificates_issue_due(employee=employee)]


@shared_task(name="certificates.batch_run")
def batch_run_task(batch_id: int) -> None:
    """Run one batch issuance (claimed once; a second delivery does nothing)."""
    from .services import batch_run

    batch_run(batch_id=batch_id)


@shared_task(name="certificates.requeue_stale_batches")
def requeue_stale_batches_task() -> int:
    """Every few minutes (Celery beat): hand batches whose worker died to a
    new run, or fail them after too many runs; returns how many."""
    from .models import IssuanceBatch

    return IssuanceBatch.requeue_stale(enqueue=batch_run_task.delay)
