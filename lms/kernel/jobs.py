"""The background-job base: one set of statuses, progress, claim and finish
for every job a Celery task runs with a progress bar (employee imports,
certificate batches, sample bundles).

A task claims its job (``claim``: pending → running, one worker only),
reports ``progress`` (which also beats the heartbeat), and ends it with
``finish`` or ``fail``; each write is guarded by the running status, so a
second delivery of the same task does nothing. The page shows
``templates/kernel/job_progress.html`` and polls the JSON of
``job_progress`` with ``static/kernel/job_progress.js``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    STATUS_LABELS: dict[str, str] = {}
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

    @classmethod
    def claim(cls, pk: int):
        """Move the pending job ``pk`` to running and return it; None when it
        is not pending (another delivery has it, or it is done)."""
        now = timezone.now()
        claimed = cls._default_manager.filter(pk=pk, status=cls.Status.PENDING).update(
            status=cls.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
        )
        return cls._default_manager.get(pk=pk) if claimed == 1 else None

    def _write_running(self, **values) -> bool:
        """Write ``values`` while the job is still running (guards against a
        worker whose job was taken from it); also onto this instance."""
        updated = type(self)._default_manager.filter(pk=self.pk, status=self.Status.RUNNING).update(**values)
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
