from celery import shared_task


@shared_task(name="apprenticeship.remind")
def remind_task(today: str | None = None) -> dict:
    """Daily (Celery beat): remind missing weekly entries, alert HR to broken pairings."""
    import datetime as dt
    from dataclasses import asdict

    from .reminders import remind

    return asdict(remind(today=dt.date.fromisoformat(today) if today else None))
