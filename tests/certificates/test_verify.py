"""Public verification (/verify/<code>/ and /api/v1/verify/<code>/): no
login, every printed field, holder name and ID number masked and nothing
else personal, the status with its date; unknown codes get a clear 404;
rate-limited. The holder's page 我的证书 and the certificate API endpoints,
with their denials."""

import datetime as dt

import pytest
from django.urls import reverse

from certificates.models import Certificate, CertificateKind, CertificateType
from certificates.selectors import certificate_type_for
from certificates.services import _issue, certificate_issue, certificate_revoke, certificate_suspend
from tests.compliance.helpers import D, train
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, make_api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(ent_b, tree_b):
    return EmployeeFactory(enterprise=ent_b, name="李小明", employee_no="DF0042", phone="13912345678",
                           org_unit=tree_b[2])


@pytest.fixture
def valid_cert(ent_b, tree_b, holder):
    record = train(holder, "induction", 8, D(2026, 3, 3), level="company")
    return certificate_issue(employee=holder, type=certificate_type_for(ent_b, CertificateKind.POST), post=tree_b[3],
                             basis_records=[record], level="初级", actor=None)


def page(client, code):
    return client.get(reverse("certificate-verify", args=[code]))


def test_valid_certificate_shows_every_printed_field_masked_and_nothing_more(client, valid_cert, holder):
    response = page(client, valid_cert.verification_code)
    assert response.status_code == 200
    html = response.content.decode()
    for expected in ("上岗合格证", valid_cert.number, "李*明", holder.id_number_masked, "操作工", "初级",
                     "东方机械制造有限公司", valid_cert.issued_on.strftime("%Y-%m-%d"), "长期有效", "有效"):
        assert expected in html, expected
    for secret in ("李小明", holder.id_number, "DF0042", "13912345678", "甲班"):
        assert secret not in html, secret
    assert response["X-Robots-Tag"] == "noindex"


def test_expired_certificate_says_so_with_the_date(client, ent_b, holder):
    yearly = CertificateType.objects.create(enterprise=ent_b, code="NP", name="年度再培训合格证",
                                            kind=CertificateKind.REFRESHER_COMPLETION, validity_months=12)
    cert = _issue(employee=holder, type=yearly, via="manual", actor=None, cycle="2024", basis_key="t",
                  issued_on=D(2024, 6, 1))
    assert cert.valid_until == D(2025, 5, 31)
    html = page(client, cert.verification_code).content.decode()
    assert "已过期" in html and "自 2025-06-01 起失效" in html


def test_revoked_and_suspended_certificates_show_state_and_date(client, valid_cert):
    certificate_suspend(certificate=valid_cert, reason="违章作业", actor=None)
    today = dt.date.today().strftime("%Y-%m-%d")
    html = page(client, valid_cert.verification_code).content.decode()
    assert "暂停" in html and f"{today} 起暂停" in html
    certificate_revoke(certificate=valid_cert, reason="培训记录不实", actor=None)
    html = page(client, valid_cert.verification_code).content.decode()
    assert "已吊销/注销" in html and today in html
    assert "培训记录不实" not in html  # the reason is internal


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "1", "x" * 300, "%00abc", "abc'--"])
def test_unknown_code_gets_a_clear_not_found_page(client, valid_cert, code):
    response = client.get(f"/verify/{code}/")
    assert response.status_code == 404
    assert "未找到该证书" in response.content.decode()


def test_codes_are_long_random_and_not_sequential(valid_cert, ent_b, tree_b):
    other = EmployeeFactory(enterprise=ent_b)
    record = train(other, "induction", 8, D(2026, 3, 3), level="company")
    second = certificate_issue(employee=other, type=certificate_type_for(ent_b, CertificateKind.POST), post=tree_b[3],
                               basis_records=[record], actor=None)
    a, b = valid_cert.verification_code, second.verification_code
    assert len(a) >= 32 and len(b) >= 32
    assert sum(x == y for x, y in zip(a, b)) < 8


def test_verification_is_rate_limited(client, valid_cert, settings):
    settings.CERTIFICATE_VERIFY_RATE = "3/min"
    codes = [page(client, valid_cert.verification_code).status_code for _ in range(3)]
    codes.append(client.get(f"/api/v1/verify/{valid_cert.verification_code}/").status_code)
    assert codes == [200, 200, 200, 429]
    response = page(client, "nope" * 8)
    assert response.status_code == 429 and "查询过于频繁" in response.content.decode()


def test_api_verify_without_login(client, valid_cert, holder):
    response = client.get(f"/api/v1/verify/{valid_cert.verification_code}/")
    assert response.status_code == 200
    data = response.json()
    assert data["holder_name"] == "李*明" and data["id_number"] == holder.id_number_masked
    assert data["number"] == valid_cert.number and data["post"] == "操作工" and data["level"] == "初级"
    assert data["status"] == "valid" and data["valid_until"] is None
    assert "DF0042" not in response.content.decode() and holder.id_number not in response.content.decode()
    certificate_revoke(certificate=valid_cert, reason="x", actor=None)
    data = client.get(f"/api/v1/verify/{valid_cert.verification_code}/").json()
    assert data["status"] == "revoked" and data["status_date"] == dt.date.today().isoformat()
    missing = client.get("/api/v1/verify/" + "Z" * 32 + "/")
    assert missing.status_code == 404 and missing.json()["detail"] == "未找到该证书"


# --- 我的证书 ---------------------------------------------------------------------


@pytest.fixture
def bob_cert(bob, ent_a, tree_a):
    record = train(bob.employee, "induction", 24, D(2026, 3, 3), level="company")
    return certificate_issue(employee=bob.employee, type=certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION),
                             basis_records=[record], actor=None)


def test_my_certificates_lists_downloads_and_shares(client, bob, bob_cert, valid_cert):
    login_with_mfa(client, bob)
    html = client.get(reverse("certificates:mine")).content.decode()
    assert bob_cert.number in html and valid_cert.number not in html
    assert f"/verify/{bob_cert.verification_code}/" in html
    response = client.get(reverse("certificates:download", args=[bob_cert.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # Someone else's certificate: not found, not forbidden (no hint that it exists).
    assert client.get(reverse("certificates:download", args=[valid_cert.pk])).status_code == 404


def test_my_certificates_needs_login(client):
    response = client.get(reverse("certificates:mine"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- API ------------------------------------------------------------------------------


def test_api_lists_a_persons_certificates_within_the_tokens_enterprise(client, ent_a, ent_b, valid_cert, holder):
    _token, key = make_api_token(ent_b, can_write=False)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    data = client.get("/api/v1/employees/DF0042/certificates/", **auth).json()
    assert [c["number"] for c in data["results"]] == [valid_cert.number]
    assert data["results"][0]["verify_url"].endswith(f"/verify/{valid_cert.verification_code}/")
    data = client.get("/api/v1/certificates/?employee_no=DF0042", **auth).json()
    assert [c["number"] for c in data["results"]] == [valid_cert.number]

    _other, other_key = make_api_token(ent_a)
    other = {"HTTP_AUTHORIZATION": f"Token {other_key}"}
    assert client.get("/api/v1/employees/DF0042/certificates/", **other).status_code == 404
    assert client.get("/api/v1/certificates/?employee_no=DF0042", **other).json()["results"] == []
    bad = client.get("/api/v1/certificates/?expiring_within_days=abc", **auth)
    assert bad.status_code == 400 and "expiring_within_days" in bad.json()["errors"]


def test_api_certificates_refuse_plain_employees_and_anonymous(client, bob, bob_cert):
    assert client.get("/api/v1/certificates/").status_code in (401, 403)
    login_with_mfa(client, bob)
    assert client.get("/api/v1/certificates/").status_code == 403


def test_api_certificate_list_has_flat_queries(client, ent_b, tree_b, valid_cert, django_assert_max_num_queries):
    for i in range(5):
        emp = EmployeeFactory(enterprise=ent_b)
        record = train(emp, "induction", 8, D(2026, 3, 3), level="company")
        certificate_issue(employee=emp, type=certificate_type_for(ent_b, CertificateKind.POST), post=tree_b[3],
                          basis_records=[record], actor=None)
    _token, key = make_api_token(ent_b, can_write=False)
    with django_assert_max_num_queries(8):
        data = client.get("/api/v1/certificates/", HTTP_AUTHORIZATION=f"Token {key}").json()
    assert data["count"] == Certificate.objects.filter(employee__enterprise=ent_b).count() == 6
