"""Signals sent once the current transaction commits (the pattern of Open
edX's ``COURSE_GRADE_NOW_PASSED``): a receiver acts only on what stays
written, and cannot undo the sender's work by failing."""

from __future__ import annotations

from django.dispatch import Signal

from lms.speed.oncommit import on_commit_once

# A background job (lms.kernel.jobs) failed for good: its worker died
# ANXUN_JOB_MAX_ATTEMPTS times. Sent on commit with ``sender`` = the job's
# model and ``pk``; lms.compliance tells the people its ``abandoned_notice()`` names.
job_abandoned = Signal()


def send_on_commit(signal: Signal, *, sender, **kwargs) -> None:
    """Send ``signal`` when the current transaction commits (at once outside
    one). The same news sent again before the commit — same signal, sender
    and arguments — is told once (``lms.speed.oncommit``): a flow that
    evaluates one person several times in a transaction reports them once."""
    on_commit_once((signal, sender, kwargs), lambda: signal.send(sender=sender, **kwargs))
