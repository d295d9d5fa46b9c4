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

