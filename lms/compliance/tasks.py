from dataclasses import asdict

from celery import shared_task


@shared_task(name="compliance.scan_obligations")
def scan_obligations_task(today: str | None = None) -> dict:
    """Daily (Celery beat): cycles, due-soon/overdue notices, lapsed clearance.
    The e-mails go out from ``send_notice_emails`` tasks the scan enqueues."""
    import datetime as dt

    from .scan import scan_obligations

    result = scan_obligations(today=dt.date.fromisoformat(today) if today else None)
    return asdict(result)


@shared_task(name="compliance.send_notice_emails")
def send_notice_emails(notice_ids: list[int]) -> dict:
    """Send the pending e-mails of one chunk of notices; a second delivery of
    the same chunk sends nothing again (each e-mail is claimed first)."""
    from .notices import notice_emails_send

    return asdict(notice_emails_send(notice_ids=notice_ids))


@shared_task(name="compliance.requeue_notice_emails")
def requeue_notice_emails() -> int:
    """Every few minutes (Celery beat): enqueue again e-mails whose send failed
    or whose worker died; returns how many."""
    from .notices import notice_emails_requeue

    return notice_emails_requeue()
