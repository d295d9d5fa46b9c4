"""What the compliance core tells the apps above it, sent once the change
has committed (lms.kernel.signals.send_on_commit); receivers connect in
their AppConfig.ready().

- ``obligations_created(employee_ids)``: new obligations exist for these
  people (courses enrols them in the courses that can satisfy them).
- ``obligations_met(employee_id)``: one or more of this person's obligations
  became met (certificates issues what is now due), once per transaction.
"""

from django.dispatch import Signal

obligations_created = Signal()
obligations_met = Signal()
