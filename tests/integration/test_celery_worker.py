"""Tasks really round-trip through a Celery worker on Redis.

These run in CI's third leg (`.ci/run`), where a worker is started against
the test database. Without CELERY_BROKER_URL there is no worker to talk to,
so they are skipped on a developer machine (CI sets ANXUN_REQUIRE_WORKER=1,
which turns a missing broker into a failure)."""

import io
import os
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from lms.celery import ping

pytestmark = [pytest.mark.integration]

if not settings.CELERY_BROKER_URL:
    if os.environ.get("ANXUN_REQUIRE_WORKER"):
        raise RuntimeError("ANXUN_REQUIRE_WORKER=1 but CELERY_BROKER_URL is not set")
    pytestmark.append(pytest.mark.skip(reason="no CELERY_BROKER_URL: the integration leg of .ci/run starts a worker"))


def test_ping_round_trips_through_the_worker():
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    result = ping.delay("安训")
    assert result.get(timeout=30) == "安训"


@pytest.mark.django_db(transaction=True)
def test_import_job_runs_on_the_worker(alice, tree_a):
    """A large upload is queued; the worker (another process) imports it and
    the job row shows the outcome."""
    from openpyxl import Workbook

    from lms.workforce.importing import importjob_create
    from lms.workforce.models import Employee, ImportJob
    from lms.workforce.synthetic import make_id_number
    from lms.workforce.tasks import run_import_job

    wb = Workbook()
    ws = wb.active
    ws.append(["工号*", "姓名*", "身份证号*", "手机号", "用工形式", "所在单位编码", "岗位编码", "入职日期*", "主要负责人", "安全管理人员"])
    for i in range(30):
        ws.append([f"W{i:04d}", f"工人{i}", make_id_number(), "", "正式员工", "A-T1", "A-OP", "2025-01-02", "否", "否"])
    buf = io.BytesIO()
    wb.save(buf)
    upload = SimpleUploadedFile("staff.xlsx", buf.getvalue())
    job = importjob_create(enterprise=tree_a[0].enterprise, upload=upload, actor=alice)

    # Nothing in this process runs the import: only the worker can finish it.
    run_import_job.delay(job.id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.5)
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert job.created_count == 30
    assert Employee.objects.filter(enterprise=tree_a[0].enterprise).count() == 30
