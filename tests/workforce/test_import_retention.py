"""Import uploads hold full ID numbers: the file is deleted when the import
finishes, success or failure (ANXUN_IMPORT_RETENTION_HOURS, default 0); the
job keeps the name, size and SHA-256. An hourly purge deletes what was kept
past the retention and what crashed imports left behind."""

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from lms.imports import purge_import_uploads
from lms.workforce.importing import importjob_create, importjob_run
from lms.workforce.models import ImportJob

from .fixtures.importfiles import row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _age(name: str, hours: float) -> None:
    then = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(default_storage.path(name), (then, then))


def _job(enterprise, actor, rows):
    data = xlsx_bytes(rows)
    job = importjob_create(enterprise=enterprise, upload=SimpleUploadedFile("员工名单.xlsx", data), actor=actor)
    return job, data


@pytest.mark.parametrize("good", [True, False], ids=["success", "failure"])
def test_the_upload_is_deleted_when_the_import_finishes(settings, ent_a, alice, good):
    job, data = _job(ent_a, alice, [row(1)] if good else [row(1, 身份证号="not-an-id")])
    assert job.file and default_storage.exists(job.file.name) and len(files(settings)) == 1
    job = importjob_run(job.pk)
    assert job.status == (ImportJob.Status.SUCCEEDED if good else ImportJob.Status.FAILED)
    assert not job.file and files(settings) == []
    assert job.original_name == "员工名单.xlsx" and job.file_size == len(data)
    assert job.file_sha256 == hashlib.sha256(data).hexdigest()


def test_a_retention_keeps_the_file_until_the_purge(settings, ent_a, alice):
    settings.ANXUN_IMPORT_RETENTION_HOURS = 2
    job, _data = _job(ent_a, alice, [row(1)])
    job = importjob_run(job.pk)
    assert job.file and len(files(settings)) == 1
    assert purge_import_uploads(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert len(files(settings)) == 1
    assert purge_import_uploads(now=timezone.now() + dt.timedelta(hours=3)) == 1
    job.refresh_from_db()
    assert not job.file and files(settings) == [] and job.file_sha256


def test_the_purge_fails_crashed_jobs_and_deletes_their_files(settings, ent_a, alice):
    job, _data = _job(ent_a, alice, [row(1)])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    assert purge_import_uploads(now=timezone.now() + dt.timedelta(hours=1)) == 0  # still running, maybe
    call_command("purge_import_uploads")
    assert len(files(settings)) == 1
    assert purge_import_uploads(now=timezone.now() + dt.timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and not job.file and files(settings) == []
    assert "中断" in job.errors[0]["reason"]


def test_the_purge_deletes_files_no_job_names_and_old_question_previews(settings, ent_a):
    orphan = default_storage.save(f"imports/{ent_a.pk}/2026/01/crashed.xlsx", ContentFile(b"x"))
    fresh = default_storage.save(f"imports/{ent_a.pk}/2026/01/new.xlsx", ContentFile(b"x"))
    preview = default_storage.save("exams/question-imports/tok/题库.xlsx", ContentFile(b"x"))
    other = default_storage.save("archive/1/2/scan.pdf", ContentFile(b"x"))
    for name in (orphan, preview, other):
        _age(name, 30)
    assert purge_import_uploads() == 2
    assert not default_storage.exists(orphan) and not default_storage.exists(preview)
    assert default_storage.exists(fresh) and default_storage.exists(other)


def test_a_refused_file_leaves_no_job_and_no_file(settings, ent_a, alice):
    from lms.imports import ImportFileError

    settings.ANXUN_IMPORT_MAX_ROWS = 2
    with pytest.raises(ImportFileError):
        importjob_create(enterprise=ent_a, upload=SimpleUploadedFile("x.xlsx", b"not a zip"), actor=alice)
    assert not ImportJob.objects.exists() and files(settings) == []


def test_the_records_import_keeps_nothing(alice_client, ent_a, settings):
    from lms.archive.models import TrainingRecord
    from tests.archive.test_import_records import row as record_row
    from tests.archive.test_import_records_views import upload as records_upload
    from tests.factories import EmployeeFactory

    EmployeeFactory(enterprise=ent_a, employee_no="A0101", name="张伟")
    response = alice_client.post("/admin/archive/import/", {"enterprise": ent_a.pk, "file": records_upload([record_row()])})
    assert response.status_code == 302 and TrainingRecord.objects.count() == 1  # to the import job's page
    assert files(settings) == []
