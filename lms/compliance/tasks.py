from celery import shared_task


@shared_task(name="compliance.scan_obligations")
def scan_obligations_task(today: str | None = None) -> dict:
    """Daily (Celery beat): cycles, due-soon/overdue notices, lapsed clearance."""
    import datetime as dt
    from dataclasses import asdict

    from .scan import scan_obligations

    result = scan_obligations(today=dt.date.fromisoformat(today) if today else None)
    return asdict(result)
