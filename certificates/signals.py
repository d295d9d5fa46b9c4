"""Signal receivers of the certificates app (connected in CertificatesConfig.ready()).

- Obligations met (lms.compliance, after commit, once per person and
  transaction): issue the internal certificates now due, in a task — each
  certificate is issued once per basis, so a second run does nothing.
"""

from django.dispatch import receiver

from lms.compliance.signals import obligations_met

from .tasks import issue_due_task


@receiver(obligations_met, dispatch_uid="certificates_issue_due_on_obligations_met")
def issue_due_on_obligations_met(sender, employee_id, **kwargs):
    issue_due_task.delay(employee_id)
