"""The Celery application. Without CELERY_BROKER_URL tasks run eagerly
in-process (settings), so nothing here needs Redis on a fresh machine."""

import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache

from lms.kernel.metrics import task_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(bind=True, name="lms.ping")
def ping(self, value: str = "pong") -> str:
    """Round-trip probe used by the integration tests and health checks."""
    return value


# --- issue 19: the last run of the periodic tasks, for /metrics (lms/ops/collector.py) ---
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    if task is not None and task.name in getattr(settings, "ANXUN_METRICS_TASKS", ()):
        _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is None:
        return
    cache.set(task_key(task.name), {"duration": round(time.monotonic() - started, 3), "finished": time.time(),
                                    "state": state or ""}, None)
