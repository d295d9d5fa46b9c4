"""签发证书 in the back office: HR issues with a basis by 档案序号 (errors on
the field), starts a batch and sees its progress; outsiders and plain
employees cannot."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate, CertificateKind, IssuanceBatch
from certificates.selectors import certificate_type_for
from lms.archive.services import record_append
from tests.compliance.helpers import D, at, train
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

ISSUE = reverse("certificate_issue:index")
BATCH = reverse("certificate_issue:batch_add")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_hr_issues_with_records_as_basis(alice, ent_a):
    emp = EmployeeFactory(enterprise=ent_a, employee_no="I1")
    record = train(emp, "induction", 24, D(2026, 3, 3), level="company")
    client = login_with_mfa(Client(), alice)
    assert client.get(ISSUE).status_code == 200
    t = certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION)
    bad = client.post(ISSUE, {"employee": emp.pk, "type": t.pk, "record_seqs": "1,99"})
    assert bad.status_code == 200 and "没有序号 99" in bad.content.decode()
    none = client.post(ISSUE, {"employee": emp.pk, "type": t.pk})
    assert none.status_code == 200 and "请选择发证依据" in none.content.decode()
    photo = io.BytesIO()
    Image.new("RGB", (90, 120), (30, 60, 90)).save(photo, "PNG")
    response = client.post(ISSUE, {"employee": emp.pk, "type": t.pk, "record_seqs": str(record.seq),
                                   "basis_note": "三级教育合格",
                                   "photo": SimpleUploadedFile("me.png", photo.getvalue(), content_type="image/png")})
    assert response.status_code == 302
    cert = Certificate.objects.get(employee=emp)
    assert list(cert.basis_records.all()) == [record] and cert.registered_by == alice
    assert cert.photo and cert.photo.name.endswith(".png")


def test_hr_starts_a_batch_and_sees_progress(alice, ent_a, django_capture_on_commit_callbacks):
    for i in range(2):
        emp = EmployeeFactory(enterprise=ent_a, employee_no=f"Q{i}")
        record_append(employee=emp, actor=None, evaluate=False, kind="induction", level="company", title="厂级",
                      content="内容", start_at=at(D(2026, 11, 2), 8), end_at=at(D(2026, 11, 2), 17), place="教室",
                      hours=8, trainer="王", assessment_method="笔试", assessment_result="passed", source="offline",
                      source_ref=f"offline_session:3/attendance:{i}")
    client = login_with_mfa(Client(), alice)
    t = certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION)
    assert "exam" in client.post(BATCH, {"type": t.pk}).content.decode()  # neither source: field error
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BATCH, {"type": t.pk, "session": 3})
    assert response.status_code == 302
    batch = IssuanceBatch.objects.get()
    assert batch.issued_count == 2 and batch.status == IssuanceBatch.Status.SUCCEEDED
    page = client.get(response["Location"]).content.decode()
    assert "已完成" in page and "下载全部证书" in page and "2 / 2" in page.replace("</span>", "").replace(
        '<span data-field="processed">', "").replace('<span data-field="total">', "")


def test_outsiders_and_employees_cannot_issue(alice, charlie, bob, ent_a):
    emp = EmployeeFactory(enterprise=ent_a, employee_no="I2")
    record = train(emp, "induction", 24, D(2026, 3, 3), level="company")
    t = certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION)
    outsider = login_with_mfa(Client(), charlie)
    response = outsider.post(ISSUE, {"employee": emp.pk, "type": t.pk, "record_seqs": str(record.seq)})
    assert response.status_code == 200 and not Certificate.objects.filter(employee=emp).exists()  # not a choice
    employee = login_with_mfa(Client(), bob)
    assert employee.get(ISSUE).status_code in (302, 403)
