"""The back-office import pages: upload, job status, template download."""

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from lms.accounts.roles import Role
from lms.workforce.importing import importjob_create
from lms.workforce.models import Employee, ImportJob
from tests.conftest import login_with_mfa
from tests.factories import MembershipFactory, UserFactory

from .fixtures.importfiles import HEADERS, row, xlsx_bytes

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/workforce/import/"


def xlsx_upload(rows, name="员工名单.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows))


@pytest.fixture
def trainer_client(client, ent_a):
    """A user who may enter the back office but not import."""
    trainer = UserFactory(email="trainer@example.com")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    return login_with_mfa(client, trainer)


def test_urls_are_mounted_under_the_admin():
    assert reverse("workforce_import:upload") == UPLOAD
    assert reverse("workforce_import:template") == UPLOAD + "template.xlsx"
    assert reverse("workforce_import:job", args=[3]) == UPLOAD + "3/"
    assert reverse("workforce_import:status", args=[3]) == UPLOAD + "3/status.json"


def test_upload_page_offers_own_enterprise_preselected_and_the_template(alice_client, ent_a, ent_b):
    response = alice_client.get(UPLOAD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "导入员工" in html and "w-slim-header" in html  # Wagtail's own admin header
    form = response.context["form"]
    assert list(form.fields["enterprise"].queryset) == [ent_a]
    assert form.fields["enterprise"].initial == ent_a.pk
    assert f'value="{ent_a.pk}" selected' in html
    assert ent_b.name not in html
    assert reverse("workforce_import:template") in html
    assert 'accept=".xlsx,.csv"' in html


def test_upload_of_a_good_file_imports_and_shows_counts(alice_client, ent_a, tree_a):
    response = alice_client.post(
        UPLOAD, {"enterprise": ent_a.pk, "file": xlsx_upload([row(1, 岗位编码=tree_a[3].code), row(2)])}
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("workforce_import:job", args=[job.pk])
    assert job.status == ImportJob.Status.SUCCEEDED and job.created_count == 2
    assert Employee.objects.filter(enterprise=ent_a).count() == 2

    page = alice_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "导入成功" in html and "新增" in html and "更新" in html and "未变化" in html
    assert '<td data-count="created">2</td>' in html
    assert "查看员工列表" in html


def test_upload_with_bad_rows_imports_nothing_and_lists_every_error(alice_client, ent_a, tree_a):
    rows = [row(1), row(2, 身份证号="110101199003071235"), row(3), row(4, 入职日期="明天", 用工形式="临时工")]
    response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": xlsx_upload(rows)})

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert Employee.objects.count() == 0
    page = alice_client.get(response["Location"])
    html = page.content.decode()
    assert "文件有错误，未导入任何数据。请修改后重新上传。" in html
    assert "<th>行号</th><th>列</th><th>原因</th>" in html
    assert "<tr><td>3</td><td>身份证号</td><td>身份证号校验位错误</td></tr>" in html
    assert "<tr><td>5</td><td>用工形式</td>" in html
    assert "<tr><td>5</td><td>入职日期</td>" in html
    # The form is offered again, with the same enterprise.
    assert page.context["form"] is not None and 'type="file"' in html
    assert reverse("workforce_import:upload") in html


def test_upload_of_an_unsupported_file_is_a_form_error(alice_client, ent_a):
    response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": SimpleUploadedFile("名单.pdf", b"%PDF")})

    assert response.status_code == 200
    assert "不支持的文件类型“.pdf”" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_of_a_damaged_xlsx_is_a_form_error(alice_client, ent_a):
    response = alice_client.post(
        UPLOAD, {"enterprise": ent_a.pk, "file": SimpleUploadedFile("名单.xlsx", b"not a zip")}
    )

    assert response.status_code == 200
    assert "无法打开该 Excel 文件" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_hr_cannot_upload_into_another_enterprise(alice_client, ent_b):
    response = alice_client.post(UPLOAD, {"enterprise": ent_b.pk, "file": xlsx_upload([row(1)])})

    assert response.status_code == 200
    assert response.context["form"].errors["enterprise"]
    assert ImportJob.objects.count() == 0 and Employee.objects.count() == 0


def test_large_upload_is_queued_and_finishes_on_the_worker(
    alice_client, ent_a, settings, django_capture_on_commit_callbacks
):
    settings.ANXUN_IMPORT_ASYNC_THRESHOLD = 5
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": xlsx_upload([row(n) for n in range(8)])})

    job = ImportJob.objects.get()
    assert len(callbacks) == 1
    assert job.status == ImportJob.Status.PENDING and job.total_rows == 8
    # While queued, the page shows a progress bar that polls the status URL.
    page = alice_client.get(response["Location"]).content.decode()
    status_url = reverse("workforce_import:status", args=[job.pk])
    # The poller is a static file (CSP: no inline script); it reads the status URL from a data- attribute.
    assert 'role="progressbar"' in page and status_url in page and "kernel/job_progress.js" in page
    assert alice_client.get(status_url).json() == {
        "status": "pending",
        "status_label": "排队中",
        "processed": 0,
        "total": 8,
        "percent": 0,
        "finished": False,
        "error": "",
    }

    callbacks[0]()  # the commit happens; Celery runs eagerly in tests

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED and job.created_count == 8
    assert Employee.objects.count() == 8
    status = alice_client.get(status_url).json()
    assert status["finished"] is True and status["percent"] == 100


def test_large_upload_through_a_real_commit_ends_succeeded(
    alice_client, ent_a, settings, django_capture_on_commit_callbacks
):
    settings.ANXUN_IMPORT_ASYNC_THRESHOLD = 5
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": xlsx_upload([row(n) for n in range(8)])})
    assert ImportJob.objects.get().status == ImportJob.Status.SUCCEEDED


def test_outsider_gets_404_for_the_job_and_its_status(client, alice, charlie, ent_a):
    job = importjob_create(enterprise=ent_a, upload=xlsx_upload([row(1)]), actor=alice)
    login_with_mfa(client, charlie)

    assert client.get(reverse("workforce_import:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("workforce_import:status", args=[job.pk])).status_code == 404


def test_plain_employee_never_reaches_the_import_pages(client, bob, ent_a):
    login_with_mfa(client, bob)
    for url in (UPLOAD, reverse("workforce_import:template")):
        response = client.get(url)
        # Wagtail turns away users without back-office access (to its login page).
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(UPLOAD, {"enterprise": ent_a.pk, "file": xlsx_upload([row(1)])})
    assert response.status_code == 302
    assert ImportJob.objects.count() == 0 and Employee.objects.filter(employee_no="00001").count() == 0


def test_back_office_user_without_import_permission_gets_403(trainer_client, alice, ent_a):
    job = importjob_create(enterprise=ent_a, upload=xlsx_upload([row(1)]), actor=alice)
    for url in (
        UPLOAD,
        reverse("workforce_import:template"),
        reverse("workforce_import:job", args=[job.pk]),
        reverse("workforce_import:status", args=[job.pk]),
    ):
        assert trainer_client.get(url).status_code == 403, url
    response = trainer_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": xlsx_upload([row(1)])})
    assert response.status_code == 403
    assert "没有导入员工的权限" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_template_download_is_an_xlsx_with_the_headers(alice_client):
    response = alice_client.get(reverse("workforce_import:template"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('员工导入模板.xlsx')}" in disposition
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.worksheets[0][1]] == HEADERS
    assert "填写说明" in workbook.sheetnames


def test_menu_item_shown_only_to_importers(alice_client, client, ent_a):
    assert UPLOAD in alice_client.get("/admin/").content.decode()
    alice_client.logout()
    trainer = UserFactory(email="t2@example.com")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    login_with_mfa(client, trainer)
    assert UPLOAD not in client.get("/admin/").content.decode()


def test_job_page_with_many_errors_uses_few_queries(alice_client, ent_a, django_assert_max_num_queries):
    rows = [row(n, 姓名="") for n in range(300)]
    alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": xlsx_upload(rows)})
    job = ImportJob.objects.get()
    assert len(job.errors) == 300
    with django_assert_max_num_queries(25):
        page = alice_client.get(reverse("workforce_import:job", args=[job.pk]))
    assert page.content.decode().count("必填项不能为空") == 300
