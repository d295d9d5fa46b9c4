"""The background-job base (lms.kernel.jobs): claim once, progress with a
heartbeat, finish or fail only while running, one progress JSON shape.
Exercised on the employee import job, whose progress is counted in rows."""

import datetime as dt

import pytest
from django.utils import timezone

from lms.kernel.jobs import BackgroundJob, job_progress
from lms.workforce.models import ImportJob


@pytest.fixture
def job(ent_a):
    return ImportJob.objects.create(enterprise=ent_a, original_name="员工.xlsx", total_rows=10)


def test_claim_moves_a_pending_job_to_running_once(job):
    before = timezone.now()
    claimed = ImportJob.claim(job.pk)
    assert claimed.status == BackgroundJob.Status.RUNNING and claimed.attempts == 1
    assert claimed.started_at >= before and claimed.heartbeat_at == claimed.started_at
    assert ImportJob.claim(job.pk) is None  # a second delivery gets nothing
    assert ImportJob.objects.get(pk=job.pk).attempts == 1


def test_progress_writes_the_models_own_fields_and_beats_the_heartbeat(job):
    job = ImportJob.claim(job.pk)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=an_hour_ago)
    assert job.progress(4, 8, created_count=3)
    stored = ImportJob.objects.get(pk=job.pk)
    assert (stored.processed_rows, stored.total_rows, stored.created_count) == (4, 8, 3)
    assert stored.heartbeat_at > an_hour_ago and (job.progress_done, job.progress_total) == (4, 8)
    assert stored.progress_percent == 50
    assert job.progress(6)  # the total stays as it was
    assert ImportJob.objects.values_list("processed_rows", "total_rows").get(pk=job.pk) == (6, 8)


def test_finish_and_fail_only_change_a_running_job(job):
    assert not job.finish()  # still pending: nothing claimed it
    assert ImportJob.objects.get(pk=job.pk).status == BackgroundJob.Status.PENDING
    job = ImportJob.claim(job.pk)
    assert job.finish(created_count=10)
    stored = ImportJob.objects.get(pk=job.pk)
    assert stored.status == BackgroundJob.Status.SUCCEEDED and stored.created_count == 10
    assert stored.finished_at is not None and stored.is_finished
    assert not stored.fail(RuntimeError("迟到的失败"))  # a finished job stays finished
    assert not stored.progress(1)
    stored.refresh_from_db()
    assert stored.status == BackgroundJob.Status.SUCCEEDED and stored.error == ""


def test_fail_records_the_error_text(job):
    job = ImportJob.claim(job.pk)
    assert job.fail(ValueError("文件损坏"))
    stored = ImportJob.objects.get(pk=job.pk)
    assert (stored.status, stored.error) == (BackgroundJob.Status.FAILED, "文件损坏")
    assert stored.finished_at is not None


def test_status_label_is_the_models_own_wording_else_the_common_one(job):
    assert job.status_label == "排队中"
    job.status = BackgroundJob.Status.SUCCEEDED
    assert job.status_label == "已导入"  # ImportJob.STATUS_LABELS
    job.status = BackgroundJob.Status.FAILED
    assert job.status_label == "有错误，未导入"


def test_percent_of_a_job_without_units(job):
    job.total_rows = 0
    assert job.progress_percent == 0
    job.status = BackgroundJob.Status.FAILED
    assert job.progress_percent == 100


def test_progress_json_has_one_shape_plus_the_jobs_own_keys(job):
    job = ImportJob.claim(job.pk)
    job.progress(3)
    assert job_progress(job, zip_url=None) == {
        "status": "running", "status_label": "处理中", "processed": 3, "total": 10, "percent": 30,
        "finished": False, "error": "", "zip_url": None,
    }



def _stale(job, settings):
    """Age the job's heartbeat past the stale limit, as a dead worker leaves it."""
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=settings.ANXUN_JOB_STALE_SECONDS + 1))


def test_requeue_stale_hands_a_dead_workers_job_to_a_new_claim(job, settings, django_capture_on_commit_callbacks):
    dead = ImportJob.claim(job.pk)
    enqueued = []
    assert ImportJob.requeue_stale(enqueue=enqueued.append) == 0  # a recent heartbeat: left alone
    _stale(dead, settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert ImportJob.requeue_stale(enqueue=enqueued.append) == 1
    assert enqueued == [job.pk] and ImportJob.objects.get(pk=job.pk).status == BackgroundJob.Status.PENDING

    again = ImportJob.claim(job.pk)
    assert again.attempts == 2
    # The first worker, were it only slow, can no longer write over the new run.
    assert not dead.progress(9) and not dead.finish() and not dead.fail("旧的")
    assert again.progress(5) and again.finish()
    stored = ImportJob.objects.get(pk=job.pk)
    assert (stored.status, stored.processed_rows, stored.attempts) == (BackgroundJob.Status.SUCCEEDED, 5, 2)


def test_requeue_stale_fails_a_job_after_its_last_attempt(job, settings, django_capture_on_commit_callbacks):
    settings.ANXUN_JOB_MAX_ATTEMPTS = 2
    for _attempt in range(2):
        claimed = ImportJob.claim(job.pk)
        _stale(claimed, settings)
        enqueued = []
        with django_capture_on_commit_callbacks(execute=True):
            assert ImportJob.requeue_stale(enqueue=enqueued.append) == 1
    stored = ImportJob.objects.get(pk=job.pk)
    assert enqueued == [] and (stored.status, stored.attempts) == (BackgroundJob.Status.FAILED, 2)
    assert stored.error == "后台任务 2 次执行均中断，已停止重试。" and stored.finished_at is not None


def test_requeue_stale_leaves_pending_and_finished_jobs_alone(job, ent_a, settings):
    done = ImportJob.claim(ImportJob.objects.create(enterprise=ent_a, original_name="完成.xlsx").pk)
    done.finish()
    ImportJob.objects.update(heartbeat_at=timezone.now() - dt.timedelta(days=1))
    assert ImportJob.requeue_stale(enqueue=lambda pk: None) == 0
    assert sorted(ImportJob.objects.values_list("status", flat=True)) == ["pending", "succeeded"]


def test_claim_takes_over_a_running_job_whose_worker_died_while_attempts_remain(job, settings):
    settings.ANXUN_JOB_MAX_ATTEMPTS = 2
    dead = ImportJob.claim(job.pk)
    assert ImportJob.claim(job.pk) is None  # a live worker's job (recent heartbeat) is not taken
    _stale(dead, settings)
    again = ImportJob.claim(job.pk)  # the task delivered again after the worker died
    assert again.attempts == 2 and again.status == BackgroundJob.Status.RUNNING
    assert not dead.finish()  # the dead claim cannot write over it
    _stale(again, settings)
    assert ImportJob.claim(job.pk) is None  # no attempts left: the requeue fails it


def test_a_job_failed_after_its_last_attempt_is_announced_once_on_commit(
    job, settings, django_capture_on_commit_callbacks
):
    from lms.kernel.signals import job_abandoned

    settings.ANXUN_JOB_MAX_ATTEMPTS = 1
    _stale(ImportJob.claim(job.pk), settings)
    heard = []

    def listener(sender, pk, **kwargs):
        heard.append((sender, pk))

    job_abandoned.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert ImportJob.requeue_stale(enqueue=lambda pk: None) == 1
            assert heard == []  # not before the failure is committed
        assert heard == [(ImportJob, job.pk)]
        assert ImportJob.requeue_stale(enqueue=lambda pk: None) == 0 and len(heard) == 1
    finally:
        job_abandoned.disconnect(listener)


def test_retry_restarts_failed_stale_and_pending_jobs_but_not_live_or_finished_ones(
    job, settings, django_capture_on_commit_callbacks
):
    sent = []
    live = ImportJob.claim(job.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert ImportJob.retry(job.pk, enqueue=sent.append) is None  # its worker beats: refused
    assert ImportJob.objects.get(pk=job.pk).status == "running" and sent == []
    _stale(job, settings)
    with django_capture_on_commit_callbacks(execute=True):
        before = ImportJob.retry(job.pk, enqueue=sent.append)
    assert (before.status, before.attempts) == ("running", 1) and sent == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.heartbeat_at, job.error) == ("pending", 0, None, "")
    assert not live.progress(5)  # the dead claim can no longer write
    ImportJob.claim(job.pk).fail("坏了")
    with django_capture_on_commit_callbacks(execute=True):
        assert ImportJob.retry(job.pk, enqueue=sent.append).status == "failed"
    ImportJob.claim(job.pk).finish()
    assert ImportJob.retry(job.pk, enqueue=sent.append) is None  # succeeded: nothing to retry
    assert sent == [job.pk, job.pk]
