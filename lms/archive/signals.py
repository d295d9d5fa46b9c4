"""What the archive tells the apps above it; receivers connect in their
AppConfig.ready().

- ``records_appended(employees)``: training records were appended for these
  people. Sent inside the appending transaction, not on commit: the
  obligations they satisfy are met in the same transaction (lms.compliance
  evaluates them), so whoever appends a record reads the new clearance at
  once, and a failed evaluation rolls the append back. A receiver returns
  what became of it (compliance: the obligations that became met).
"""

from django.dispatch import Signal

records_appended = Signal()
