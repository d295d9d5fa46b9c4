"""Compliance's receivers of what the layers below tell it (connected in
ComplianceConfig.ready()). All but ``job_abandoned`` (sent on commit) run
inside the sender's transaction."""

from __future__ import annotations

from django.dispatch import receiver

from lms.archive.signals import records_appended
from lms.imports import chunks
from lms.kernel.signals import job_abandoned
from lms.workforce.models import EmploymentEvent
from lms.workforce.signals import event_recorded, events_imported

from .models import Obligation
from .notices import notify
from .placement import prepare
from .services import obligations_evaluate, obligations_generate_for_events, obligations_on_event


# Events that put a person on (or back towards) the post they name: what
# that placement requires is written with the event's own obligations.
_PLACING_EVENTS = (EmploymentEvent.Type.HIRE, EmploymentEvent.Type.TRANSFER, EmploymentEvent.Type.RETURN)


@receiver(event_recorded, dispatch_uid="compliance_obligations_on_event")
def obligations_for_recorded_event(sender, event, **kwargs):
    obligations_on_event(event)
    if event.post_id and event.type in _PLACING_EVENTS:
        prepare(event.employee, event.post, event.date)


@receiver(events_imported, dispatch_uid="compliance_obligations_for_imported_events")
def obligations_for_imported_events(sender, events, **kwargs):
    obligations_generate_for_events(events)


@receiver(records_appended, dispatch_uid="compliance_evaluate_on_records_appended")
def evaluate_on_records_appended(sender, employees, **kwargs) -> list[Obligation]:
    """Re-evaluate the people who got records; returns the obligations that
    became met. Of several people, only those with open or met obligations
    (one query per chunk to find them) have anything to re-evaluate (a met
    one may have been met earlier than it said: an older record entered late)."""
    if len(employees) > 1:
        ids = sorted({e.pk for e in employees})
        owing = set()
        for batch in chunks(ids):
            owing.update(
                Obligation.objects.filter(employee_id__in=batch,
                                          status__in=(Obligation.Status.OPEN, Obligation.Status.MET))
                .values_list("employee_id", flat=True)
                .distinct()
            )
        employees = [e for e in employees if e.pk in owing]
    met = []
    for employee in employees:
        met += obligations_evaluate(employee=employee)
    return met


@receiver(job_abandoned, dispatch_uid="compliance_notify_abandoned_job")
def notify_abandoned_job(sender, pk, **kwargs):
    """A background job failed for good (its worker died too often): tell
    the people its ``abandoned_notice()`` names, through the one notification service."""
    job = sender._default_manager.filter(pk=pk).first()
    notice = job.abandoned_notice() if job is not None else None
    if notice:
        notify(**notice)
