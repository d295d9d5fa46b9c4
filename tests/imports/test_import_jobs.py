"""Every import is a background job on the one base (lms.imports.jobs):
a worker killed mid-import writes nothing and the job is run again from
its file by the periodic requeue, exactly once; after its last attempt it
fails and the uploader is told; a double submit is one job; records and
questions go upload → job → result page like employees."""

import datetime as dt
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from exams.importing import QUESTIONS as QUESTION_SPEC
from exams.models import Question
from lms.archive.importing import RECORDS as RECORD_SPEC
from lms.archive.models import TrainingRecord
from lms.compliance.models import Notice
from lms.workforce.importing import importjob_create, importjob_run
from lms.workforce.models import Employee, EmploymentEvent, ImportJob
from lms.workforce.tasks import requeue_stale_import_jobs_task, run_import_job
from tests.archive.test_import_records import row as record_row
from tests.archive.test_import_records import xlsx_bytes as records_xlsx
from tests.conftest import login_with_mfa
from tests.exams.question_helpers import bank_a, q, sam  # noqa: F401 - fixtures
from tests.exams.question_helpers import xlsx_bytes as questions_xlsx
from tests.factories import EmployeeFactory
from tests.workforce.fixtures.importfiles import row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class WorkerKilled(BaseException):
    """What SIGKILL does to a worker mid-import: nothing after it runs (not
    an Exception: no handler of the runner may catch it)."""


def _die_after_the_employees_are_written(*args, **kwargs):
    raise WorkerKilled  # the employees and their hire events are inserted, the transaction still open


def killed(job_id):
    """Run the job on a worker that dies in the middle of writing it."""
    with mock.patch("lms.workforce.importing.events_imported.send", _die_after_the_employees_are_written):
        with pytest.raises(WorkerKilled):
            importjob_run(job_id)


def later(settings, times=1):
    """The clock once a dead worker's heartbeat is past the stale limit
    (``times`` such periods from now)."""
    return mock.patch(
        "django.utils.timezone.now",
        return_value=timezone.now() + times * dt.timedelta(seconds=settings.ANXUN_JOB_STALE_SECONDS + 60),
    )


@pytest.fixture
def job(ent_a, alice):
    upload = SimpleUploadedFile("员工名单.xlsx", xlsx_bytes([row(n) for n in range(1, 7)]))
    return importjob_create(enterprise=ent_a, upload=upload, actor=alice)


def test_a_killed_run_writes_nothing_and_the_requeue_runs_it_again_once(
    job, settings, django_capture_on_commit_callbacks
):
    killed(job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts, job.processed_rows) == ("running", 1, 6)  # checked, then killed writing
    assert not Employee.objects.exists() and not EmploymentEvent.objects.exists()  # all or nothing
    assert importjob_run(job.pk) is None  # its heartbeat is recent: the worker may be alive
    assert requeue_stale_import_jobs_task() == 0

    with later(settings), django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_import_jobs_task() == 1  # back to pending, and run (Celery eager) after commit

    job.refresh_from_db()
    assert (job.status, job.attempts, job.created_count, job.errors) == ("succeeded", 2, 6, [])
    nos = list(Employee.objects.order_by("employee_no").values_list("employee_no", flat=True))
    assert nos == [f"{n:05d}" for n in range(1, 7)]  # every row written exactly once
    assert EmploymentEvent.objects.filter(type="hire").count() == 6
    assert run_import_job(job.pk) is None and Employee.objects.count() == 6  # a late redelivery does nothing


def test_the_task_delivered_again_after_the_death_resumes_at_once(job, settings):
    killed(job.pk)
    with later(settings):
        assert run_import_job(job.pk) == "succeeded"  # a stale running job is claimable
    job.refresh_from_db()
    assert job.attempts == 2 and Employee.objects.count() == 6


def test_after_the_last_attempt_the_job_fails_and_the_uploader_is_told(
    job, alice, alice_client, settings, django_capture_on_commit_callbacks
):
    settings.ANXUN_JOB_MAX_ATTEMPTS = 2
    killed(job.pk)
    with later(settings):
        killed(job.pk)  # delivered again, killed again
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 2)

    with later(settings, times=2), django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_import_jobs_task() == 1

    job.refresh_from_db()
    assert job.status == "failed" and job.error == "后台任务 2 次执行均中断，已停止重试。"
    assert not Employee.objects.exists()
    notice = Notice.objects.get(user=alice)
    page = reverse("workforce_import:job", args=[job.pk])
    assert notice.title == "导入未能完成：员工名单.xlsx" and notice.link == page
    assert "2 次执行均中断" in notice.body and notice.key == f"import-job:{job.pk}:abandoned"
    html = alice_client.get(page).content.decode()
    assert "有错误，未导入" in html and "后台任务 2 次执行均中断，已停止重试。" in html
    assert 'type="file"' in html  # upload again from here

    with later(settings, times=3), django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_import_jobs_task() == 0  # told once
    assert Notice.objects.count() == 1 and run_import_job(job.pk) is None


def test_a_double_submit_of_the_same_file_is_one_job(alice_client, ent_a, settings, django_capture_on_commit_callbacks):
    settings.ANXUN_IMPORT_ASYNC_THRESHOLD = 0  # every file goes to a worker
    data = xlsx_bytes([row(1), row(2)])
    with django_capture_on_commit_callbacks() as queued:
        first = alice_client.post("/admin/workforce/import/", {"enterprise": ent_a.pk, "file": SimpleUploadedFile("a.xlsx", data)})
        second = alice_client.post("/admin/workforce/import/", {"enterprise": ent_a.pk, "file": SimpleUploadedFile("b.xlsx", data)})

    job = ImportJob.objects.get()
    assert first["Location"] == second["Location"] == reverse("workforce_import:job", args=[job.pk])
    for callback in queued:  # both tabs' tasks reach the worker
        callback()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.created_count) == ("succeeded", 1, 2)
    assert Employee.objects.count() == 2 and EmploymentEvent.objects.count() == 2


def test_the_same_file_into_another_enterprise_is_its_own_job(ent_a, ent_b, settings):
    data = xlsx_bytes([row(1)])
    one = importjob_create(enterprise=ent_a, upload=SimpleUploadedFile("a.xlsx", data), actor=None)
    two = importjob_create(enterprise=ent_b, upload=SimpleUploadedFile("a.xlsx", data), actor=None)
    assert one.pk != two.pk and ImportJob.objects.count() == 2


# --- historical records: upload → job → result -------------------------------------

RECORDS = "/admin/archive/import/"


@pytest.fixture
def people(ent_a):
    return [
        EmployeeFactory(enterprise=ent_a, employee_no="A0101", name="张伟"),
        EmployeeFactory(enterprise=ent_a, employee_no="A0102", name="李娜"),
    ]


def _on_a_worker(client, url, data, settings, capture):
    settings.ANXUN_IMPORT_ASYNC_THRESHOLD = 0
    with capture() as queued:
        response = client.post(url, data)
    assert response.status_code == 302
    job = ImportJob.objects.latest("pk")
    assert job.status == "pending"  # queued, not run in the request
    status = client.get(response["Location"] + "status.json").json()
    assert (status["status"], status["finished"]) == ("pending", False)
    assert 'data-progress-url="' in client.get(response["Location"]).content.decode()  # the poller
    for callback in queued:
        callback()
    job.refresh_from_db()
    return job, client.get(response["Location"])


def test_records_import_runs_as_a_job_and_shows_its_result(
    alice_client, ent_a, people, settings, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("纸质档案.xlsx", records_xlsx([record_row(), record_row("A0102")]))
    job, page = _on_a_worker(alice_client, RECORDS, {"enterprise": ent_a.pk, "file": upload}, settings,
                             django_capture_on_commit_callbacks)

    assert (job.kind, job.status, job.target_id, job.created_count) == ("records", "succeeded", ent_a.pk, 2)
    html = page.content.decode()
    assert "导入成功" in html and '<td data-count="created">2</td>' in html
    assert TrainingRecord.objects.count() == 2
    assert alice_client.get(reverse("archive_import:status", args=[job.pk])).json()["finished"] is True


def test_records_job_with_bad_rows_writes_nothing_and_lists_every_one(
    alice_client, ent_a, people, settings, django_capture_on_commit_callbacks
):
    rows = [record_row(), record_row("A9999"), record_row("A0102", 教育层级="", 学时="1000")]
    upload = SimpleUploadedFile("纸质档案.xlsx", records_xlsx(rows))
    job, page = _on_a_worker(alice_client, RECORDS, {"enterprise": ent_a.pk, "file": upload}, settings,
                             django_capture_on_commit_callbacks)

    assert job.status == "failed" and len(job.errors) == 3
    html = page.content.decode()
    assert "“纸质档案.xlsx”有错误，未导入任何记录。请修改后重新上传。" in html and "共 3 处错误" in html
    assert "<tr><td>3</td><td>工号</td><td>工号“A9999”在本企业不存在（请先导入员工名单）</td></tr>" in html
    assert "<tr><td>4</td><td>教育层级</td>" in html and "<tr><td>4</td><td>学时</td>" in html
    assert not TrainingRecord.objects.exists()


def test_a_killed_records_import_writes_nothing_and_reruns_once(ent_a, alice, people, settings):
    upload = SimpleUploadedFile("纸质档案.xlsx", records_xlsx([record_row(), record_row("A0102")]))
    job = importjob_create(enterprise=ent_a, upload=upload, actor=alice, spec=RECORD_SPEC)
    with mock.patch("lms.archive.importing.records_appended.send", _die_after_the_employees_are_written):
        with pytest.raises(WorkerKilled):
            importjob_run(job.pk)
    assert not TrainingRecord.objects.exists()
    with later(settings):
        assert run_import_job(job.pk) == "succeeded"
    assert TrainingRecord.objects.count() == 2


# --- questions: upload → preview → confirm → job → result ------------------------------

QUESTIONS = "/admin/exams/import/"


@pytest.fixture
def sam_client(client, sam):  # noqa: F811
    return login_with_mfa(client, sam)


def _preview(client, bank, rows):
    """Upload a question file; its preview's confirmation token."""
    preview = client.post(QUESTIONS, {"bank": bank.pk, "file": SimpleUploadedFile("题库.xlsx", questions_xlsx(rows))})
    token = preview.context["token"]
    assert token
    return token


def test_questions_import_runs_as_a_job_after_the_preview(
    sam_client, bank_a, settings, django_capture_on_commit_callbacks  # noqa: F811
):
    token = _preview(sam_client, bank_a, [q(), q(stem="第二题？")])
    job, page = _on_a_worker(sam_client, reverse("exams_import:confirm"), {"token": token}, settings,
                             django_capture_on_commit_callbacks)

    assert (job.kind, job.status, job.target_id, job.created_count) == ("questions", "succeeded", bank_a.pk, 2)
    assert job.options == {"fmt": "xlsx", "skip_duplicates": False}
    html = page.content.decode()
    assert "已向题库“安全生产通用题库”导入 2 道题（跳过 0 道，新建分类 0 个）。" in html
    assert Question.objects.filter(bank=bank_a).count() == 2


def test_questions_job_refused_when_the_bank_changed_lists_every_bad_row(
    sam_client, bank_a, settings, django_capture_on_commit_callbacks  # noqa: F811
):
    token = _preview(sam_client, bank_a, [q(), q(stem="第二题？")])
    # Meanwhile someone imports the same two questions.
    other = importjob_create(
        enterprise=bank_a.enterprise, target=bank_a, actor=None, spec=QUESTION_SPEC,
        upload=SimpleUploadedFile("别人的.xlsx", questions_xlsx([q(), q(stem="第二题？")])),
    )
    assert importjob_run(other.pk).status == "succeeded"

    job, page = _on_a_worker(sam_client, reverse("exams_import:confirm"), {"token": token}, settings,
                             django_capture_on_commit_callbacks)

    assert job.status == "failed" and [e["number"] for e in job.errors] == [2, 3]
    html = page.content.decode()
    assert "文件有错误，不能导入，未写入任何题目。请修改后重新上传。" in html and "共 2 处错误" in html
    assert html.count("题库中已有相同题目") == 2
    assert Question.objects.filter(bank=bank_a).count() == 2  # nothing written twice


def test_a_dry_run_and_the_real_import_of_one_file_are_two_jobs(ent_a, alice, people):
    data = records_xlsx([record_row()])
    check = importjob_create(enterprise=ent_a, upload=SimpleUploadedFile("a.xlsx", data), actor=alice,
                             spec=RECORD_SPEC, options={"dry_run": True})
    real = importjob_create(enterprise=ent_a, upload=SimpleUploadedFile("a.xlsx", data), actor=alice,
                            spec=RECORD_SPEC, options={"dry_run": False})
    again = importjob_create(enterprise=ent_a, upload=SimpleUploadedFile("a.xlsx", data), actor=alice,
                             spec=RECORD_SPEC, options={"dry_run": False})
    assert check.pk != real.pk and again.pk == real.pk
    assert importjob_run(check.pk).status == "succeeded" and not TrainingRecord.objects.exists()
    assert importjob_run(real.pk).status == "succeeded" and TrainingRecord.objects.count() == 1
