"""Every import as a background job (employees, historical records,
questions): one runner on the job base (``lms.kernel.jobs``).

An upload becomes a job row (``lms.workforce.models.ImportJob``: its
``kind`` names the spec) holding the stored file; ``import_job_run`` claims
it, runs the spec with the job's options, beats the heartbeat with the
spec's progress, and ends it. The writing is all or nothing and the job's
success is written inside the same transaction as the rows (``JobGuard``):
a worker killed mid-import leaves no row written and the job ``running``
with a stale heartbeat; the periodic requeue (or the task delivered again)
runs it again from the file, from the start, and a job that succeeded is
never run again. The guard also holds the job row (SELECT … FOR UPDATE)
while writing, so a requeue cannot hand a live import to a second worker.

Each app registers its spec under ``job_kinds`` in ``AppConfig.ready()``
(``JobKind``: the spec, the pages' URL namespace, and how to find the
import's target from the job row).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.utils.translation import gettext as _

from lms.kernel.registry import Registry

from . import RowError
from .spec import ImportSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKind:
    spec: ImportSpec
    # The pages' URL namespace (its "job" page shows the job).
    namespace: str
    # target(job) -> what the import writes into (raise DoesNotExist if gone).
    target: Callable


job_kinds = Registry("imports run as background jobs")


def job_kind(kind: str) -> JobKind:
    for name, entry in job_kinds.items():
        if name == kind:
            return entry
    raise LookupError(f"no import registered as {kind!r}")


class JobLost(Exception):
    """The job is no longer this run's (requeued to another worker, or
    finished): what this run was writing is rolled back."""


class JobGuard:
    """Ties an import's writing transaction to its job: ``hold`` (first
    thing inside it) locks the job row and checks this claim still has it;
    ``done`` (last thing inside it) marks the job succeeded, so rows and
    success commit together or not at all."""

    def __init__(self, job, values: Callable):
        self.job = job
        self.values = values
        self.finished = False

    def hold(self) -> None:
        model = type(self.job)
        mine = model._default_manager.select_for_update().filter(
            pk=self.job.pk, status=model.Status.RUNNING, attempts=self.job.attempts
        )
        if not mine.exists():
            raise JobLost(self.job.pk)

    def done(self, result) -> None:
        if not self.job.finish(**self.values(result)):
            raise JobLost(self.job.pk)
        self.finished = True


def import_job_run(model, job_id: int):
    """Run the import job ``job_id`` of ``model`` once; returns the job
    finished, or None when this delivery has nothing to do (another live
    run has it, it is finished, or it was handed to another worker)."""
    job = model.claim(job_id)
    if job is None:
        return None
    kind = job_kind(job.kind)
    spec = kind.spec
    guard = JobGuard(job, lambda result: spec.job_values(result))

    def progress(done: int, total: int) -> None:
        job.progress(done, total)  # also the heartbeat

    try:
        target = kind.target(job)
        with job.file.open("rb") as fileobj:
            result = spec.run(
                target=target, fileobj=fileobj, filename=job.original_name, actor=job.created_by,
                progress=progress, job=guard, **job.options,
            )
    except JobLost:
        logger.warning("%s import job %s was handed to another run", job.kind, job_id)
        return None
    except PermissionDenied as exc:
        result = spec.failed([RowError(1, "", str(exc) or _("您无权导入到这里"))])
    except (ObjectDoesNotExist, FileNotFoundError):
        result = spec.failed([RowError(1, "", _("导入的目标或上传的文件已不存在，未导入任何数据。请重新上传。"))])
    except Exception:  # a bug or an outage: recorded on the job; the log keeps the trace
        logger.exception("%s import job %s crashed", job.kind, job_id)
        result = spec.failed([RowError(1, "", _("导入时发生系统错误，未导入任何数据。请稍后重试或联系管理员。"))])
    if not guard.finished:  # refused rows, a dry run, or nothing to write
        values = spec.job_values(result)
        if result.ok:
            job.finish(**values)
        else:
            job.fail("", **values)
    job.refresh_from_db()
    return job
