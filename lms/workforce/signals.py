"""What the workforce tells the apps above it; receivers connect in their
AppConfig.ready().

Both are sent inside the recording transaction, not on commit: the
obligations an event brings (lms.compliance) are written with the event, so
the placement gate asked next in the same transaction already sees them, and
an event never stands without its obligations.

- ``event_recorded(event)``: one employment event recorded through
  ``services.event_record`` (its obligations are created and the person's
  archive evaluated against them).
- ``events_imported(events)``: the hire and transfer events of an employee
  import, in bulk (their obligations are created, in a constant number of
  queries).
"""

from django.dispatch import Signal

event_recorded = Signal()
events_imported = Signal()
