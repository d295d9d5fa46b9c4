"""The back-office page for importing historical training records."""

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, enable_totp

from .test_import_records import HEADERS, row, xlsx_bytes

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/archive/import/"


def upload(rows, name="纸质档案.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows))


@pytest.fixture
def people(ent_a):
    return [
        EmployeeFactory(enterprise=ent_a, employee_no="A0101", name="张伟"),
        EmployeeFactory(enterprise=ent_a, employee_no="A0102", name="李娜"),
    ]


def _member(client, enterprise, role, email):
    user = UserFactory(email=email)
    MembershipFactory(user=user, enterprise=enterprise, role=role)
    enable_totp(user)
    return login_with_mfa(client, user)


def test_urls_are_mounted_under_the_admin():
    assert reverse("archive_import:upload") == UPLOAD
    assert reverse("archive_import:template") == UPLOAD + "template.xlsx"


def test_page_offers_own_enterprise_preselected_and_the_template(alice_client, ent_a, ent_b):
    response = alice_client.get(UPLOAD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "导入历史培训档案" in html and "w-slim-header" in html  # Wagtail's own admin header
    form = response.context["form"]
    assert list(form.fields["enterprise"].queryset) == [ent_a]
    assert f'value="{ent_a.pk}" selected' in html and ent_b.name not in html
    assert reverse("archive_import:template") in html and 'accept=".xlsx,.csv"' in html
    assert "只检查，不导入" in html


def test_good_upload_writes_the_records_and_shows_counts(alice_client, alice, ent_a, people):
    response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row(), row("A0102")])}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "导入成功" in html and "纸质档案.xlsx" in html
    assert '<td data-count="created">2</td>' in html and '<td data-count="employees">2</td>' in html
    assert '<td data-count="skipped">0</td>' in html
    records = TrainingRecord.objects.order_by("employee__employee_no")
    assert [(r.employee.employee_no, r.source, r.recorded_by) for r in records] == [
        ("A0101", "historical", alice),
        ("A0102", "historical", alice),
    ]
    assert records[0].source_ref == "历史档案导入：纸质档案.xlsx 第 2 行"


def test_uploading_the_same_file_again_skips_every_row(alice_client, ent_a, people):
    alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row(), row("A0102")])}, follow=True)

    response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row(), row("A0102")])}, follow=True)

    html = response.content.decode()
    assert "文件中的记录都已在档案中，本次没有写入新记录。" in html
    assert '<td data-count="created">0</td>' in html and '<td data-count="skipped">2</td>' in html
    assert "2 行已在档案中，已跳过" in html and "已存在，跳过（与档案第 1 条记录相同）" in html
    assert TrainingRecord.objects.count() == 2


def test_bad_upload_writes_nothing_and_lists_every_error(alice_client, ent_a, people):
    rows = [row(), row("A9999"), row("A0102", 教育层级="", 学时="1000")]
    response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload(rows)}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "“纸质档案.xlsx”有错误，未导入任何记录。请修改后重新上传。" in html
    assert "共 3 处错误" in html
    assert "<tr><td>3</td><td>工号</td><td>工号“A9999”在本企业不存在（请先导入员工名单）</td></tr>" in html
    assert "<tr><td>4</td><td>教育层级</td>" in html and "<tr><td>4</td><td>学时</td>" in html
    assert 'type="file"' in html  # the form again
    assert TrainingRecord.objects.count() == 0


def test_dry_run_from_the_page_writes_nothing(alice_client, ent_a, people):
    response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row()]), "dry_run": "on"}, follow=True)
    html = response.content.decode()
    assert "检查通过，未写入任何记录" in html and '<td data-count="created">1</td>' in html
    assert TrainingRecord.objects.count() == 0


def test_unsupported_file_is_a_form_error(alice_client, ent_a):
    response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": SimpleUploadedFile("档案.pdf", b"%PDF")}, follow=True)
    assert response.status_code == 200 and "不支持的文件类型“.pdf”" in response.content.decode()


def test_outsider_cannot_import_into_another_enterprise(client, charlie, ent_a, people):
    login_with_mfa(client, charlie)
    page = client.get(UPLOAD)
    assert page.status_code == 200 and ent_a.name not in page.content.decode()

    response = client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row()])}, follow=True)

    assert response.status_code == 200
    assert response.context["form"].errors["enterprise"]
    assert TrainingRecord.objects.count() == 0


def test_plain_employee_is_turned_away(client, bob, ent_a, people):
    login_with_mfa(client, bob)
    for url in (UPLOAD, reverse("archive_import:template")):
        response = client.get(url)
        # Wagtail turns away users without back-office access (to its login page) ...
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        # ... and answers 403 to a script.
        assert client.get(url, headers={"x-requested-with": "XMLHttpRequest"}).status_code == 403
    response = client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row()])})
    assert response.status_code == 302
    assert TrainingRecord.objects.count() == 0


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SAFETY_MANAGER, Role.PRINCIPAL])
def test_back_office_roles_that_cannot_change_the_enterprise_get_403(client, ent_a, people, role):
    _member(client, ent_a, role, "office@example.com")
    for url in (UPLOAD, reverse("archive_import:template")):
        assert client.get(url).status_code == 403, url
    response = client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row()])}, follow=True)
    assert response.status_code == 403
    assert "没有导入培训档案的权限" in response.content.decode()
    assert TrainingRecord.objects.count() == 0


def test_enterprise_admin_may_import(client, ent_a, people):
    _member(client, ent_a, Role.ENTERPRISE_ADMIN, "admin@example.com")
    response = client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload([row()])}, follow=True)
    assert response.status_code == 200 and "导入成功" in response.content.decode()
    assert TrainingRecord.objects.count() == 1


def test_template_download_has_the_columns_and_the_notes(alice_client):
    response = alice_client.get(reverse("archive_import:template"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"filename*=utf-8''{quote('历史培训档案导入模板.xlsx')}" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["培训档案", "填写说明"]
    assert [c.value for c in workbook["培训档案"][1]] == HEADERS
    notes = [row[0].value for row in workbook["填写说明"].iter_rows(min_row=2)]
    assert "培训类别" in notes and "教育层级" in notes
    assert any(line and "已存在，跳过" in line for line in notes)


def test_menu_item_shown_only_to_importers(alice_client, client, ent_a):
    assert UPLOAD in alice_client.get("/admin/").content.decode()
    alice_client.logout()
    _member(client, ent_a, Role.TRAINER, "t2@example.com")
    assert UPLOAD not in client.get("/admin/").content.decode()


def test_checking_a_file_takes_no_query_per_row(alice_client, ent_a, people):
    def rows(count):
        return [
            row(
                "A0101",
                教育层级=("厂级", "车间级", "班组级")[n % 3],
                学时="-1",
                开始时间=f"2019-03-{1 + n // 3:02d} 08:00",
                结束时间=f"2019-03-{1 + n // 3:02d} 17:00",
            )
            for n in range(count)
        ]

    alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload(rows(3))}, follow=True)  # warm the admin's caches
    counts = []
    for count in (6, 60):
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.post(UPLOAD, {"enterprise": ent_a.pk, "file": upload(rows(count))}, follow=True)
        assert response.content.decode().count("学时应为 0 到 999.9") == count
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 40
