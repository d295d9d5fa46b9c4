"""The 后台任务 page's reads and its one write: background jobs of every
registered kind (``lms.kernel.jobs.job_models``) that failed, are running
with a stale heartbeat (their worker died: stuck), or have waited too long
in the queue; and an operator's retry of one (audited as ``anxun.job_retry``).

Who sees what: platform superusers every job; enterprise admins the jobs of
their enterprises (kinds without an enterprise, such as a regulator's sample
bundles, stay the platform's); everyone else, regulators included, nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids, log_user
from lms.kernel.jobs import BackgroundJob, JobModel, job_models

RETRY_ACTION = "anxun.job_retry"
# The user of the management commands (jobs_status): the platform, no person.
SYSTEM = object()


def can_see_jobs(user) -> bool:
    """Platform superusers and enterprise admins (of at least one enterprise)."""
    if user is SYSTEM:
        return True
    if not getattr(user, "is_authenticated", False) or getattr(user, "api_token", None) is not None:
        return False
    ents = enterprise_ids(user, Capability.ADMINISTER)
    return ents is None or bool(ents)


def _scoped(entry: JobModel, user):
    """The jobs of ``entry``'s kind ``user`` may see, or None for none."""
    queryset = entry.model._default_manager.all()
    ents = None if user is SYSTEM else enterprise_ids(user, Capability.ADMINISTER)
    if ents is None:
        return queryset
    if entry.enterprise is None or not ents:
        return None
    return queryset.filter(**{f"{entry.enterprise}_id__in": ents})


def _needs_attention(now: dt.datetime) -> Q:
    stale = BackgroundJob._stale_before(now)
    waited = now - dt.timedelta(minutes=settings.ANXUN_JOB_PENDING_ALERT_MINUTES)
    return (
        Q(status=BackgroundJob.Status.FAILED)
        | Q(status=BackgroundJob.Status.RUNNING, heartbeat_at__lt=stale)
        | Q(status=BackgroundJob.Status.RUNNING, heartbeat_at__isnull=True)
        | Q(status=BackgroundJob.Status.PENDING, created_at__lt=waited)
    )


@dataclass(frozen=True)
class JobRow:
    kind: str  # the model label, as in the retry URL
    kind_label: str
    job: BackgroundJob
    enterprise: object
    started_by: object
    state: str  # 失败 / 卡住 / 排队过久
    heartbeat_age: dt.timedelta | None


def _state(job: BackgroundJob) -> str:
    if job.status == BackgroundJob.Status.FAILED:
        return _("失败")
    if job.status == BackgroundJob.Status.RUNNING:
        return _("卡住（心跳超时）")
    return _("排队过久")


def jobs_needing_attention(user, *, now: dt.datetime | None = None, limit: int = 200) -> list[JobRow]:
    """The failed, stuck and long-pending jobs ``user`` may see, newest first."""
    now = now or timezone.now()
    rows = []
    for kind, entry in job_models.items():
        queryset = _scoped(entry, user)
        if queryset is None:
            continue
        related = [entry.started_by] + ([entry.enterprise] if entry.enterprise else [])
        for job in queryset.filter(_needs_attention(now)).select_related(*related).order_by("-created_at")[:limit]:
            rows.append(JobRow(
                kind=kind,
                kind_label=str(entry.model._meta.verbose_name),
                job=job,
                enterprise=getattr(job, entry.enterprise) if entry.enterprise else None,
                started_by=getattr(job, entry.started_by),
                state=_state(job),
                heartbeat_age=(now - job.heartbeat_at) if job.heartbeat_at else None,
            ))
    rows.sort(key=lambda row: row.job.created_at, reverse=True)
    return rows[:limit]


def job_for(user, kind: str, pk: int):
    """(entry, job) of ``kind`` and ``pk`` if ``user`` may see it, else None."""
    if kind not in job_models or not can_see_jobs(user):
        return None
    entry = dict(job_models.items())[kind]
    queryset = _scoped(entry, user)
    job = queryset.filter(pk=pk).first() if queryset is not None else None
    return (entry, job) if job is not None else None


class RetryRefused(Exception):
    """The job may not be retried now; the message says why (in Chinese)."""


def job_retry(*, user, kind: str, pk: int, now: dt.datetime | None = None) -> BackgroundJob:
    """Put the job back in the queue (pending, attempts reset to 0) and send
    its task again after commit; logged as ``anxun.job_retry`` with the state
    it had. Raises RetryRefused for a job running with a fresh heartbeat, a
    finished one, or one the user may not see (LookupError)."""
    found = job_for(user, kind, pk)
    if found is None:
        raise LookupError(kind, pk)
    entry, job = found
    try:
        with transaction.atomic():
            before = entry.model.retry(pk, enqueue=entry.enqueue, now=now)
            if before is None:
                job.refresh_from_db()
                if job.status == BackgroundJob.Status.RUNNING:
                    raise RetryRefused(_("该任务正在执行（心跳正常），不能重试；请等待其完成或心跳超时后再试。"))
                raise RetryRefused(_("该任务已完成，无需重试。"))
            log(before, RETRY_ACTION, user=None if user is SYSTEM else log_user(user), data={
                "kind": kind, "status": before.status, "attempts": before.attempts, "error": before.error[:500],
            })
    except IntegrityError as exc:  # an import: the same file is already queued again
        raise RetryRefused(_("同一文件已有排队或执行中的导入任务，不能重复重试。")) from exc
    job.refresh_from_db()
    return job
