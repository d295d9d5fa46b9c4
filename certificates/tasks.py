"""Celery tasks of the certificates app: automatic issuance after an
obligation change (and batch issuance)."""

from __future__ import annotations

from celery import shared_task

from lms.speed.oncommit import on_commit_once


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


def enqueue_issue_due(employee_id: int) -> None:
    """Run :func:`issue_due_task` for ``employee_id`` once the current
    transaction commits — once per person and transaction, however many
    evaluations met something inside it (an archive import evaluates each
    person once, a long flow may evaluate the same person several times)."""
    def issue():
        issue_due_task.delay(employee_id)

    issue.issue_due_for = employee_id
    on_commit_once(("certificates.issue_due", employee_id), issue)


@shared_task(name="certificates.batch_run")
def batch_run_task(batch_id: int) -> None:
    """Run one batch issuance (claimed once; a second delivery does nothing)."""
    from .services import batch_run

    batch_run(batch_id=batch_id)
