"""The Celery application. Without CELERY_BROKER_URL tasks run eagerly
in-process (settings), so nothing here needs Redis on a fresh machine."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(bind=True, name="lms.ping")
def ping(self, value: str = "pong") -> str:
    """Round-trip probe used by the integration tests and health checks."""
    return value
