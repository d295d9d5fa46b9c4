"""Signals sent once the current transaction commits (the pattern of Open
edX's ``COURSE_GRADE_NOW_PASSED``): a receiver acts only on what stays
written, and cannot undo the sender's work by failing."""

from __future__ import annotations

from django.db import connection, transaction
from django.dispatch import Signal


def send_on_commit(signal: Signal, *, sender, **kwargs) -> None:
    """Send ``signal`` when the current transaction commits (at once outside
    one). The same news sent again before the commit — same signal, sender
    and arguments — is told once: a flow that evaluates one person several
    times in a transaction reports them once."""
    news = (signal, sender, kwargs)
    for _sids, func, _robust in connection.run_on_commit:
        if getattr(func, "news", None) == news and not func.sent:
            return

    def send():
        send.sent = True
        signal.send(sender=sender, **kwargs)

    send.news = news
    send.sent = False
    transaction.on_commit(send)
