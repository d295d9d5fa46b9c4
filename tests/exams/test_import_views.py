"""The back-office question import: upload → preview → confirm, and who may use it."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from exams.import_views import SESSION_KEY
from exams.models import Question, QuestionBank
from exams.question_services import bank_create
from lms.workforce.models import ImportJob
from tests.conftest import login_with_mfa
from tests.factories import UserFactory, enable_totp

from .question_helpers import GIFT_FIXTURE, bank_a, bank_b, q, sam, sue, xlsx_bytes  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/exams/import/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sam_client(client, sam):
    return login_with_mfa(client, sam)


def xlsx_upload(rows, name="题库.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def upload(client, bank, file, **extra):
    return client.post(UPLOAD, {"bank": bank.pk, "file": file, **extra})


def pending_files(settings):
    root = Path(settings.MEDIA_ROOT) / "exams" / "question-imports"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_urls_are_mounted_under_the_admin():
    assert reverse("exams_import:upload") == UPLOAD
    assert reverse("exams_import:confirm") == UPLOAD + "confirm/"
    assert reverse("exams_import:template") == UPLOAD + "template.xlsx"
    assert reverse("exams_import:export", args=[3, "xlsx"]) == UPLOAD + "export/3/xlsx/"


def test_upload_page_offers_only_the_editors_banks(sam_client, bank_a, bank_b):
    bank_create(enterprise=None, name="平台题库", actor=None)
    response = sam_client.get(UPLOAD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "导入题库" in html and "w-slim-header" in html
    assert list(response.context["form"].fields["bank"].queryset) == [bank_a]
    assert f'value="{bank_a.pk}" selected' in html
    assert bank_b.name not in html and "平台题库" not in html
    assert reverse("exams_import:template") in html and 'accept=".xlsx,.csv,.xml,.gift,.txt"' in html


def test_superusers_may_import_into_platform_banks(client):
    root = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    enable_totp(root)
    platform = bank_create(enterprise=None, name="平台题库", actor=None)
    login_with_mfa(client, root)

    response = client.get(UPLOAD)
    assert platform in response.context["form"].fields["bank"].queryset
    preview = upload(client, platform, xlsx_upload([q()]))
    client.post(reverse("exams_import:confirm"), {"token": preview.context["token"]})
    assert Question.objects.filter(bank=platform).count() == 1


def test_preview_then_confirm_imports_once(sam_client, bank_a, settings):
    preview = upload(sam_client, bank_a, xlsx_upload([q(category="消防"), q(stem="第二题？"), q(stem="第二题？")]))

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "检查通过：确认后将导入 2 道题。" in html and "现在还没有写入任何题目" in html
    assert '<td data-count="created">2</td>' in html and '<td data-count="skipped">1</td>' in html
    assert '<td data-count="new_categories">1</td>' in html
    assert "与第 3 行完全相同，已跳过" in html
    assert not Question.objects.exists()  # the preview writes nothing
    token = preview.context["token"]
    assert token in html and len(pending_files(settings)) == 1

    done = sam_client.post(reverse("exams_import:confirm"), {"token": token}, follow=True)
    job = ImportJob.objects.get(kind="questions")
    assert done.redirect_chain[-1][0] == reverse("exams_import:job", args=[job.pk])  # the import job's page
    assert (job.status, job.target_id, job.enterprise_id, job.created_count) == ("succeeded", bank_a.pk,
                                                                                  bank_a.enterprise_id, 2)
    assert "已向题库“安全生产通用题库”导入 2 道题（跳过 1 道，新建分类 1 个）。" in done.content.decode()
    assert Question.objects.filter(bank=bank_a).count() == 2
    assert pending_files(settings) == [] and sam_client.session[SESSION_KEY] == {}

    again = sam_client.post(reverse("exams_import:confirm"), {"token": token}, follow=True)
    assert "这次上传已失效" in again.content.decode()
    assert Question.objects.count() == 2  # a replayed confirmation imports nothing


def test_a_file_with_errors_lists_them_and_offers_no_confirmation(sam_client, bank_a, settings):
    rows = [q(), q(stem="第二题？", answer="E"), q("问答题", stem="第三题？")]
    preview = upload(sam_client, bank_a, xlsx_upload(rows))

    html = preview.content.decode()
    assert "文件有错误，不能导入，未写入任何题目" in html and "共 2 处错误" in html
    assert "答案 E 没有对应的选项" in html and "未知题型“问答题”" in html
    assert "确认导入" not in html and preview.context["token"] == ""
    assert not Question.objects.exists() and pending_files(settings) == []


def test_moodle_gift_preview_lists_skipped_items_with_reasons(sam_client, bank_a):
    gift = SimpleUploadedFile("questions.gift.txt", Path(GIFT_FIXTURE).read_bytes())
    preview = upload(sam_client, bank_a, gift)

    html = preview.content.decode()
    assert "不支持的题型：问答题（essay）" in html and "不支持的题型：匹配题（matching）" in html
    assert "不支持的题型：数值题（numerical）" in html and "第 1 题（Q8）" in html
    assert '<td data-count="created">5</td>' in html
    sam_client.post(reverse("exams_import:confirm"), {"token": preview.context["token"]})
    assert Question.objects.filter(bank=bank_a).count() == 5


def test_skip_duplicates_checkbox(sam_client, bank_a):
    first = upload(sam_client, bank_a, xlsx_upload([q()]))
    sam_client.post(reverse("exams_import:confirm"), {"token": first.context["token"]})

    refused = upload(sam_client, bank_a, xlsx_upload([q(), q(stem="新题？")]))
    assert "题库中已有相同题目" in refused.content.decode() and refused.context["token"] == ""
    accepted = upload(sam_client, bank_a, xlsx_upload([q(), q(stem="新题？")]), skip_duplicates="on")
    assert "题库中已有相同题目，已跳过" in accepted.content.decode()
    sam_client.post(reverse("exams_import:confirm"), {"token": accepted.context["token"]})
    assert Question.objects.filter(bank=bank_a).count() == 2


def test_cancel_forgets_the_upload(sam_client, bank_a, settings):
    preview = upload(sam_client, bank_a, xlsx_upload([q()]))
    sam_client.post(reverse("exams_import:cancel"), {"token": preview.context["token"]})

    assert pending_files(settings) == []
    sam_client.post(reverse("exams_import:confirm"), {"token": preview.context["token"]})
    assert not Question.objects.exists()


def test_malformed_xml_and_unknown_files(sam_client, bank_a):
    bad = upload(sam_client, bank_a, SimpleUploadedFile("bad.xml", b"<quiz><question></quiz>"))
    assert "文件不是有效的 XML，已整体拒绝导入：第 1 行第 " in bad.content.decode()
    assert "整个文件" in bad.content.decode()

    odd = upload(sam_client, bank_a, SimpleUploadedFile("题库.xls", b"\xd0\xcf\x11\xe0"))
    assert odd.status_code == 200 and "不支持旧版 Excel" in odd.content.decode()
    assert "token" not in odd.context or not odd.context.get("token")
    assert not Question.objects.exists()


def test_another_enterprises_editor_cannot_import_into_or_export_a_bank(client, sue, bank_a, bank_b, sam):
    login_with_mfa(client, sue)

    response = upload(client, bank_a, xlsx_upload([q()]))
    assert response.status_code == 200 and "token" not in response.context
    assert "bank" in response.context["form"].errors
    assert client.get(reverse("exams_import:export", args=[bank_a.pk, "xlsx"])).status_code == 404
    assert not Question.objects.exists()


def test_a_token_from_another_session_is_useless(client, sam_client, sue, bank_a):
    preview = upload(sam_client, bank_a, xlsx_upload([q()]))
    from django.test import Client

    other = login_with_mfa(Client(), sue)
    response = other.post(reverse("exams_import:confirm"), {"token": preview.context["token"]}, follow=True)
    assert "这次上传已失效" in response.content.decode()
    assert not Question.objects.exists()


def test_hr_without_exam_permission_gets_403(client, alice, charlie, bank_a):
    for user in (alice, charlie):
        login_with_mfa(client, user)
        for url in (UPLOAD, reverse("exams_import:template"), reverse("exams_import:export", args=[bank_a.pk, "xlsx"])):
            assert client.get(url).status_code == 403, (user, url)
        response = upload(client, bank_a, xlsx_upload([q()]))
        assert response.status_code == 403 and "没有导入题库的权限" in response.content.decode()
        assert client.post(reverse("exams_import:confirm"), {"token": "x"}).status_code == 403
    assert not Question.objects.exists()


def test_a_plain_employee_never_reaches_the_pages(client, bob, bank_a):
    login_with_mfa(client, bob)
    for url in (UPLOAD, reverse("exams_import:template")):
        response = client.get(url)
        # Wagtail turns away users without back-office access (to its login page).
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = upload(client, bank_a, xlsx_upload([q()]))
    assert response.status_code == 302 and not Question.objects.exists()


def test_template_and_export_downloads(sam_client, bank_a):
    template = sam_client.get(reverse("exams_import:template"))
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.content)).worksheets[0][1]][:2] == ["题型*", "题干*"]

    preview = upload(sam_client, bank_a, xlsx_upload([q()]))
    sam_client.post(reverse("exams_import:confirm"), {"token": preview.context["token"]})
    xml = sam_client.get(reverse("exams_import:export", args=[bank_a.pk, "moodle-xml"]))
    assert xml.status_code == 200 and b"<quiz>" in xml.content and "发现有人触电".encode() in xml.content
    assert sam_client.get(reverse("exams_import:export", args=[bank_a.pk, "pdf"])).status_code == 404


def test_menu_item_shown_only_to_importers(sam_client, client, alice):
    assert UPLOAD in sam_client.get("/admin/").content.decode()
    sam_client.logout()
    login_with_mfa(client, alice)
    assert UPLOAD not in client.get("/admin/").content.decode()


def test_preview_of_many_errors_uses_few_queries(sam_client, bank_a, django_assert_max_num_queries):
    rows = [q(stem=f"第 {n} 题？", answer="Z") for n in range(300)]
    with django_assert_max_num_queries(25):
        response = upload(sam_client, bank_a, xlsx_upload(rows))
    assert response.content.decode().count("答案 Z 没有对应的选项") == 300
    assert QuestionBank.objects.count() == 1
