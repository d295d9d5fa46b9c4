"""A worker SIGKILLed in the middle of an import (issue 19): the job is left
``running`` with nothing written (the import writes all or nothing), the
periodic requeue hands it on once its lease is over, a fresh worker imports
it, and every row is written exactly once; a late second delivery of the
task does nothing.

The test starts its own worker processes (``celery -A lms worker -c 1``) on a
private queue of the leg's broker, against the test database, so it knows
which process to kill; the leg's own worker never sees the task. Runs in
CI's third leg (`.ci/run`); skipped without CELERY_BROKER_URL."""

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

pytestmark = [pytest.mark.integration]

if not settings.CELERY_BROKER_URL:
    if os.environ.get("ANXUN_REQUIRE_WORKER"):
        raise RuntimeError("ANXUN_REQUIRE_WORKER=1 but CELERY_BROKER_URL is not set")
    pytestmark.append(pytest.mark.skip(reason="no CELERY_BROKER_URL: the integration leg of .ci/run starts a worker"))

ROWS = 3000
CELERY = Path(sys.executable).with_name("celery")


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(queue: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    command = [str(CELERY), "-A", "lms", "worker", "-c", "1", "-Q", queue, "-n", f"{queue}-{time.monotonic_ns()}@%h",
               "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    # Its own process group: the kill takes the worker and its pool child at once.
    return subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=settings.BASE_DIR)


def _kill(worker: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=30)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _staff_file() -> SimpleUploadedFile:
    from openpyxl import Workbook

    from lms.workforce.synthetic import ID_REGIONS, make_id_number

    wb = Workbook()
    ws = wb.active
    ws.append(["工号*", "姓名*", "身份证号*", "手机号", "用工形式", "所在单位编码", "岗位编码", "入职日期*", "主要负责人", "安全管理人员"])
    birth = dt.date(1980, 1, 1)
    for i in range(ROWS):  # distinct ID numbers: a birth date per thousand, a sequence within it
        number = make_id_number(region=ID_REGIONS[0], birth=birth + dt.timedelta(days=i // 1000), seq=i % 1000)
        ws.append([f"K{i:05d}", f"工人{i}", number, "", "正式员工", "A-T1", "A-OP", "2025-01-02", "否", "否"])
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("staff.xlsx", buf.getvalue())


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_sigkilled_finishes_once_on_a_fresh_worker(alice, tree_a, tmp_path):
    from lms.workforce.importing import importjob_create
    from lms.workforce.models import Employee, ImportJob
    from lms.workforce.tasks import run_import_job

    enterprise = tree_a[0].enterprise
    queue = f"killtest-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "workers.log"
    job = importjob_create(enterprise=enterprise, upload=_staff_file(), actor=alice)
    assert job.total_rows == ROWS

    first = _start_worker(queue, log)
    second = None
    try:
        run_import_job.apply_async((job.pk,), queue=queue)

        def started():
            job.refresh_from_db()
            return job.status == ImportJob.Status.RUNNING and job.processed_rows > 0

        _wait(started, 90, "the first worker to be importing")
        _kill(first)  # SIGKILL, mid-import
        assert first.returncode == -signal.SIGKILL

        job.refresh_from_db()
        assert job.status == ImportJob.Status.RUNNING and job.attempts == 1, job.errors  # stuck, as a dead worker leaves it
        assert 0 < job.processed_rows < ROWS
        assert not Employee.objects.filter(enterprise=enterprise).exists()  # all or nothing: none written

        # The periodic sweep, once the job's lease is over, hands it on.
        later = timezone.now() + dt.timedelta(seconds=settings.ANXUN_JOB_STALE_SECONDS + 1)
        assert ImportJob.requeue_stale(enqueue=lambda pk: run_import_job.apply_async((pk,), queue=queue), now=later) == 1
        job.refresh_from_db()
        assert job.status == ImportJob.Status.PENDING

        second = _start_worker(queue, log)

        def finished():
            job.refresh_from_db()
            return job.is_finished

        _wait(finished, 180, "the fresh worker to finish the import")
        assert job.status == ImportJob.Status.SUCCEEDED, job.errors
        assert (job.attempts, job.created_count, job.processed_rows) == (2, ROWS, ROWS)
        people = Employee.objects.filter(enterprise=enterprise)
        assert people.count() == ROWS
        assert people.values("employee_no").distinct().count() == ROWS

        # The dead worker's message delivered again late: nothing happens.
        assert run_import_job.apply_async((job.pk,), queue=queue).get(timeout=60) is None
        job.refresh_from_db()
        assert (job.status, job.attempts) == (ImportJob.Status.SUCCEEDED, 2)
        assert Employee.objects.filter(enterprise=enterprise).count() == ROWS
    except BaseException:
        print(log.read_text(errors="replace")[-6000:])
        raise
    finally:
        _kill(first)
        if second is not None:
            _kill(second, signal.SIGTERM)
