"""Gauges read when Prometheus scrapes: Celery queue lengths (the broker's
Redis lists), background jobs by state, the e-mail outbox of notices, and the
last run of the periodic tasks (written by lms/celery.py in the workers).
Computed at most every ``CACHE_SECONDS`` per process; a part that fails is
left out and counted in ``anxun_metrics_collect_errors``."""

from __future__ import annotations

import logging
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from lms.kernel.jobs import BackgroundJob, job_models
from lms.kernel.metrics import task_key

logger = logging.getLogger(__name__)

CACHE_SECONDS = 15
# kombu's Redis transport keeps priorities 3, 6, 9 of a queue in lists named queue + SEP + priority.
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = ("", "3", "6", "9")


def queue_lengths() -> dict[str, int]:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        queues = settings.ANXUN_METRICS_QUEUES
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            for step in PRIORITY_STEPS:
                pipe.llen(queue + (PRIORITY_SEP + step if step else ""))
        counts = pipe.execute()
    finally:
        client.close()
    steps = len(PRIORITY_STEPS)
    return {queue: sum(counts[i * steps:(i + 1) * steps]) for i, queue in enumerate(queues)}


class AppCollector:
    def __init__(self):
        self._cached: tuple[float, list] | None = None

    def collect(self):
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > CACHE_SECONDS:
            self._cached = (now, list(self._collect()))
        return iter(self._cached[1])

    def _collect(self):
        errors = CounterMetricFamily("anxun_metrics_collect_errors", "Parts of the scrape that failed", labels=["part"])
        for part, build in (("queues", self._queues), ("jobs", self._jobs), ("notices", self._notices),
                            ("tasks", self._tasks)):
            try:
                yield from build()
            except Exception:  # noqa: BLE001 — a failing part must not fail the scrape
                logger.warning("metrics: %s could not be read", part, exc_info=True)
                errors.add_metric([part], 1)
        yield errors

    def _queues(self):
        up = GaugeMetricFamily("anxun_celery_broker_up", "1 if the Celery broker (Redis) answered the scrape")
        length = GaugeMetricFamily("anxun_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        try:
            for queue, n in queue_lengths().items():
                length.add_metric([queue], n)
            up.add_metric([], 1)
        except Exception:  # noqa: BLE001
            up.add_metric([], 0)
        yield up
        yield length

    def _jobs(self):
        gauge = GaugeMetricFamily("anxun_jobs", "Background jobs by kind and status", labels=["job", "status"])
        for model in (entry.model for entry in job_models):
            label = model._meta.label_lower
            counts = dict.fromkeys(BackgroundJob.Status.values, 0)
            for row in model.objects.order_by().values("status").annotate(n=Count("pk")):
                counts[row["status"]] = row["n"]
            for status, n in counts.items():
                gauge.add_metric([label, status], n)
        yield gauge

    def _notices(self):
        notice = apps.get_model("compliance", "Notice")
        gauge = GaugeMetricFamily("anxun_notice_emails", "Notice e-mails by outbox state", labels=["state"])
        counts = dict.fromkeys(("pending", "sending", "sent", "failed"), 0)
        for row in notice.objects.order_by().exclude(email_status="").values("email_status").annotate(n=Count("pk")):
            counts[row["email_status"]] = row["n"]
        for state, n in counts.items():
            gauge.add_metric([state], n)
        yield gauge

    def _tasks(self):
        duration = GaugeMetricFamily("anxun_task_last_duration_seconds", "Duration of a periodic task's last run",
                                     labels=["task"])
        finished = GaugeMetricFamily("anxun_task_last_finished_timestamp_seconds",
                                     "When a periodic task last finished (Unix time)", labels=["task", "state"])
        names = settings.ANXUN_METRICS_TASKS
        found = cache.get_many([task_key(name) for name in names])
        for name in names:
            entry = found.get(task_key(name))
            if isinstance(entry, dict):
                duration.add_metric([name], entry.get("duration", 0))
                finished.add_metric([name, entry.get("state", "")], entry.get("finished", 0))
        yield duration
        yield finished


COLLECTOR = AppCollector()
