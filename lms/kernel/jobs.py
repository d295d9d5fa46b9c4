"""The background-job base: one set of statuses, progress, claim and finish
for every job a Celery task runs with a progress bar (employee imports,
certificate batches, sample bundles).

A task claims its job (``claim``: pending → running, one worker only),
reports ``progress`` (which also beats the heartbeat), and ends it with
``finish`` or ``fail``; each write is guarded by the running status and the
claim's attempt number, so a second delivery of the same task does nothing
and a worker whose job was requeued cannot write over the next attempt.
``requeue_stale`` (a periodic task per app) hands a job whose worker died
to a new one (a redelivered task may also claim it straight away once its
heartbeat is stale); after ``ANXUN_JOB_MAX_ATTEMPTS`` the job fails and
``job_abandoned`` (lms.kernel.signals) is sent on commit, so whoever
started it is told (lms.compliance notifies ``abandoned_notice()``). The page shows ``templates/kernel/job_progress.html`` and
polls the JSON of ``job_progress`` with ``static/kernel/job_progress.js``.

Each app registers its job model in ``AppConfig.ready()`` under ``job_models``
(``JobModel``: how to enqueue its task again, who started it, its
enterprise); the operator page 后台任务 (lms.ops.job_views) lists the stuck
and failed jobs of every registered kind and retries them (``retry``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .registry import Registry
from .signals import job_abandoned, send_on_commit


class BackgroundJob(models.Model):
    """Abstract: status, progress, timing and attempts of one background job."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("处理中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    FINISHED = (Status.SUCCEEDED, Status.FAILED)
    UNFINISHED = (Status.PENDING, Status.RUNNING)

    # A model's own wording of a status on its pages, by status value.
    STATUS_LABELS: ClassVar[dict[str, str]] = {}
    # The fields holding the units done and the units in all.
    progress_fields = ("processed", "total")

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Written with every progress report: a running job whose heartbeat is
    # old has lost its worker.
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)

    class Meta:
        abstract = True

    @property
    def status_label(self) -> str:
        return str(self.STATUS_LABELS.get(self.status) or self.Status(self.status).label)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def progress_done(self) -> int:
        return getattr(self, self.progress_fields[0])

    @property
    def progress_total(self) -> int:
        return getattr(self, self.progress_fields[1])

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.is_finished else 0
        return min(100, int(self.progress_done * 100 / self.progress_total))

    def abandoned_notice(self) -> dict | None:
        """What to tell whom when the job failed after its last attempt: the
        keyword arguments of ``lms.compliance.notices.notify`` (``users``,
        ``key``, ``title``, ``body``, ``link``, ``enterprise_id``), or None."""
        return None

    @classmethod
    def _stale_before(cls, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(seconds=settings.ANXUN_JOB_STALE_SECONDS)

    @classmethod
    def claim(cls, pk: int, *, now: dt.datetime | None = None):
        """Move the job ``pk`` to running (one more attempt) and return it:
        a pending job, or a running one whose worker died (stale heartbeat)
        with attempts left — a task delivered again after the death resumes
        at once. None when another live run has it, or it is finished."""
        now = now or timezone.now()
        claimable = Q(status=cls.Status.PENDING) | Q(
            status=cls.Status.RUNNING,
            heartbeat_at__lt=cls._stale_before(now),
            attempts__lt=settings.ANXUN_JOB_MAX_ATTEMPTS,
        )
        claimed = cls._default_manager.filter(claimable, pk=pk).update(
            status=cls.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
        )
        return cls._default_manager.get(pk=pk) if claimed == 1 else None

    @classmethod
    def requeue_stale(cls, *, enqueue: Callable[[int], object], now: dt.datetime | None = None) -> int:
        """Running jobs whose heartbeat is older than ``ANXUN_JOB_STALE_SECONDS``
        have lost their worker: each goes back to pending and ``enqueue(pk)``
        runs after commit, or it fails once it has had ``ANXUN_JOB_MAX_ATTEMPTS``
        (and ``job_abandoned`` is sent after commit). Returns how many jobs were requeued or failed."""
        now = now or timezone.now()
        stale = cls._default_manager.filter(status=cls.Status.RUNNING, heartbeat_at__lt=cls._stale_before(now))
        handled = 0
        for pk, attempts in stale.values_list("pk", "attempts"):
            job = stale.filter(pk=pk, attempts=attempts)  # unchanged since read: no beat, no new claim
            if attempts >= settings.ANXUN_JOB_MAX_ATTEMPTS:
                failed = job.update(
                    status=cls.Status.FAILED, finished_at=now,
                    error=_("后台任务 %(n)s 次执行均中断，已停止重试。") % {"n": attempts},
                )
                if failed:
                    send_on_commit(job_abandoned, sender=cls, pk=pk)
                handled += failed
            elif job.update(status=cls.Status.PENDING):
                transaction.on_commit(partial(enqueue, pk))
                handled += 1
        return handled

    @classmethod
    def retry(cls, pk: int, *, enqueue: Callable[[int], object], now: dt.datetime | None = None):
        """An operator's retry (the 后台任务 page): a failed job, a running one
        whose heartbeat is stale, or a pending one goes (back) to pending with
        its attempts reset to 0 — a fresh start with every attempt again;
        the old count stays in the audit log — and ``enqueue(pk)`` runs after
        commit. Returns the job as it was before, or None when it is not
        retryable (running with a fresh heartbeat, succeeded, or gone)."""
        now = now or timezone.now()
        retryable = (
            Q(status=cls.Status.FAILED)
            | Q(status=cls.Status.PENDING)
            | Q(status=cls.Status.RUNNING, heartbeat_at__lt=cls._stale_before(now))
            | Q(status=cls.Status.RUNNING, heartbeat_at__isnull=True)
        )
        before = cls._default_manager.filter(retryable, pk=pk).first()
        if before is None:
            return None
        same_beat = Q(heartbeat_at=before.heartbeat_at) if before.heartbeat_at else Q(heartbeat_at__isnull=True)
        # Unchanged since read: no beat, no claim, no requeue in between.
        unchanged = cls._default_manager.filter(same_beat, pk=pk, status=before.status, attempts=before.attempts)
        if not unchanged.update(status=cls.Status.PENDING, attempts=0, error="", finished_at=None, heartbeat_at=None):
            return None
        transaction.on_commit(partial(enqueue, pk))
        return before

    def _write_running(self, **values) -> bool:
        """Write ``values`` while this claim of the job is still running (not
        after a requeue handed it to another worker); also onto this instance."""
        updated = type(self)._default_manager.filter(
            pk=self.pk, status=self.Status.RUNNING, attempts=self.attempts
        ).update(**values)
        for name, value in values.items():
            setattr(self, name, value)
        return updated == 1

    def progress(self, done: int, total: int | None = None, **values) -> bool:
        """Record ``done`` units (and ``total`` when it is known only now) and
        beat the heartbeat; ``values`` are the job's own counters."""
        done_field, total_field = self.progress_fields
        values[done_field] = done
        if total is not None:
            values[total_field] = total
        return self._write_running(heartbeat_at=timezone.now(), **values)

    def finish(self, **values) -> bool:
        """Mark the running job succeeded, with its results in ``values``."""
        now = timezone.now()
        return self._write_running(status=self.Status.SUCCEEDED, finished_at=now, heartbeat_at=now, **values)

    def fail(self, error, **values) -> bool:
        """Mark the running job failed with ``error`` (an exception or text)."""
        now = timezone.now()
        return self._write_running(
            status=self.Status.FAILED, error=str(error), finished_at=now, heartbeat_at=now, **values
        )


@dataclass(frozen=True)
class JobModel:
    """A concrete job model as the operator page sees it."""

    model: type[BackgroundJob]
    # enqueue(pk): send the job's task again (``task.delay``).
    enqueue: Callable[[int], object]
    # The field naming the user who started the job.
    started_by: str
    # The field naming the job's enterprise, or None (a regulator's job):
    # enterprise admins see their enterprises' jobs, superusers all.
    enterprise: str | None = None


# Every concrete BackgroundJob, by model label ("workforce.importjob").
job_models = Registry("background job models")


def register_job_model(entry: JobModel) -> None:
    job_models.register(entry.model._meta.label_lower, entry)


def job_progress(job: BackgroundJob, **extra) -> dict:
    """The one JSON shape of a job's progress, for ``job_progress.js``;
    ``extra`` adds the job's own keys (a download link, counters)."""
    return {
        "status": job.status,
        "status_label": job.status_label,
        "processed": job.progress_done,
        "total": job.progress_total,
        "percent": job.progress_percent,
        "finished": job.is_finished,
        "error": job.error,
        **extra,
    }
