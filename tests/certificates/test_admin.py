"""证书 in the back office: register with a scan, suspend / revoke / reinstate /
review with a reason; no edit, no delete; filters; tenancy.

alice = HR of A, charlie = HR of B (the outsider), bob = plain employee of A.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates.models import Certificate, CertificateKind
from certificates.services import certificate_register, certificate_revoke
from lms.accounts.roles import Role
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance
from lms.workforce.models import SpecialOperation
from tests.compliance.helpers import hire, induct, train
from tests.conftest import _privileged, as_user
from tests.factories import EmployeeFactory, PostFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("certificate:index")
ADD = reverse("certificate:add")
HOME = reverse("wagtailadmin_home")
PDF = b"%PDF-1.4\n% certificate scan\n"
D = dt.date


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def url(view, cert):
    return reverse(f"certificate:{view}", args=(cert.pk,))


@pytest.fixture
def welder_post(ent_a, tree_a):
    return PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-WELD", name="焊工",
                       special_operation=SpecialOperation.WELDING)


@pytest.fixture
def welder(ent_a, tree_a, welder_post):
    employee = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], name="焊工老王", employee_no="W001",
                               hire_date=D(2024, 3, 1))
    hire(employee, welder_post)
    induct(employee, welder_post, D(2024, 3, 2), 24)
    return employee


@pytest.fixture
def emp_b(ent_b, tree_b):
    return EmployeeFactory(enterprise=ent_b, org_unit=tree_b[2], name="李四", employee_no="B001")


def register(employee, number="T-0001", **overrides):
    fields = {
        "employee": employee,
        "kind": CertificateKind.SPECIAL_OPERATION,
        "category": SpecialOperation.WELDING,
        "number": number,
        "authority": "江苏省应急管理厅",
        "issued_on": D(2024, 1, 10),
        "valid_until": D(2030, 1, 9),
        "next_review_due": D(2027, 1, 9),
        "actor": None,
        **overrides,
    }
    return certificate_register(**fields)


@pytest.fixture
def cert_a(welder):
    return register(welder)


@pytest.fixture
def cert_b(emp_b):
    return register(emp_b, number="B-0001", kind=CertificateKind.SPECIAL_EQUIPMENT, category="",
                    authority="杭州市市场监督管理局")


def cert_form(employee, **overrides):
    data = {
        "employee": employee.pk,
        "kind": CertificateKind.SPECIAL_OPERATION,
        "category": SpecialOperation.WELDING,
        "number": "T320505198501010011",
        "authority": "江苏省应急管理厅",
        "issued_on": "2024-01-10",
        "valid_until": "2030-01-09",
        "next_review_due": "2027-01-09",
        "scan": SimpleUploadedFile("操作证.pdf", PDF, content_type="application/pdf"),
        "replaces": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- registering -----------------------------------------------------------------------


def test_hr_registers_a_certificate_with_a_scan(alice, welder, welder_post):
    response = as_user(alice).post(ADD, cert_form(welder))
    assert response.status_code == 302, response.context["form"].errors
    cert = Certificate.objects.get(employee=welder)
    assert (cert.kind, cert.category, cert.status) == ("special_operation", "welding", "valid")
    assert cert.registered_by == alice and cert.scan
    entries = ModelLogEntry.objects.filter(action="anxun.certificate_register", object_id=str(cert.pk), user=alice)
    assert entries.exists()
    assert clearance(welder, welder_post).cleared
    response = as_user(alice).get(url("scan", cert))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


@pytest.mark.rule("cert.special_op_validity", "cert.special_op_review")
def test_hr_leaves_expiry_and_review_empty_and_the_type_gives_them(alice, welder):
    # 令30 §19–§21: 6 years, reviewed 3 years after issue — not only when typed in.
    response = as_user(alice).post(ADD, cert_form(welder, valid_until="", next_review_due=""))
    assert response.status_code == 302, response.context["form"].errors
    cert = Certificate.objects.get(employee=welder)
    assert (cert.valid_until, cert.next_review_due) == (D(2030, 1, 9), D(2027, 1, 10))
    response = as_user(alice).post(ADD, cert_form(welder, number="T-2", next_review_due="2027-06-01"))
    assert "next_review_due" in response.context["form"].errors


@pytest.mark.rule("cert.special_equipment")
def test_principal_competence_and_special_equipment_register_without_category(alice, welder):
    client = as_user(alice)
    for n, kind in enumerate((CertificateKind.PRINCIPAL_COMPETENCE, CertificateKind.SPECIAL_EQUIPMENT)):
        response = client.post(ADD, cert_form(welder, kind=kind, category="", number=f"K-{n}", next_review_due=""))
        assert response.status_code == 302, response.context["form"].errors
    assert set(Certificate.objects.values_list("kind", flat=True)) == {"principal_competence", "special_equipment"}


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"category": ""}, "category", "特种作业操作证必须填写作业类别"),
        ({"kind": CertificateKind.OTHER}, "category", "只有特种作业操作证填写作业类别"),
        ({"valid_until": "2023-01-01"}, "valid_until", "有效期不能早于发证日期"),
        ({"issued_on": "不是日期"}, "issued_on", ""),
        ({"scan": SimpleUploadedFile("x.exe", b"MZ")}, "scan", "只接受 PDF、JPG、PNG"),
    ],
)
def test_bad_input_is_a_form_error_not_a_crash(alice, welder, overrides, field, message):
    response = as_user(alice).post(ADD, cert_form(welder, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in errors[field][0]
    assert not Certificate.objects.exists()


def test_duplicate_number_is_a_form_error(alice, welder, cert_a):
    response = as_user(alice).post(ADD, cert_form(welder, number=cert_a.number))
    assert response.status_code == 200
    assert "已登记" in response.context["form"].errors["number"][0]


def test_outsider_cannot_register_for_another_enterprise(charlie, welder):
    client = as_user(charlie)
    assert welder not in client.get(ADD).context["form"].fields["employee"].queryset
    response = client.post(ADD, cert_form(welder))
    assert response.status_code == 200
    assert "employee" in response.context["form"].errors
    assert not Certificate.objects.exists()


# --- status actions ------------------------------------------------------------------------


def test_revoke_with_reason_closes_clearance_at_once(alice, welder, welder_post, cert_a):
    client = as_user(alice)
    page = client.get(url("inspect", cert_a)).content.decode()
    assert url("revoke", cert_a) in page and url("suspend", cert_a) in page
    assert url("reinstate", cert_a) not in page
    assert client.get(url("revoke", cert_a)).status_code == 200
    response = client.post(url("revoke", cert_a), {"reason": "发证机关通报吊销"})
    assert response.status_code == 302 and response["Location"] == url("inspect", cert_a)
    cert_a.refresh_from_db()
    assert cert_a.status == Certificate.Status.REVOKED and cert_a.status_reason == "发证机关通报吊销"
    assert clearance(welder, welder_post).codes == [Code.CERT_REVOKED]
    entry = ModelLogEntry.objects.get(action="anxun.certificate_revoke", object_id=str(cert_a.pk))
    assert entry.user == alice and entry.data["reason"] == "发证机关通报吊销"
    page = client.get(url("inspect", cert_a)).content.decode()
    assert "发证机关通报吊销" in page
    assert url("reinstate", cert_a) not in page and url("revoke", cert_a) not in page


def test_suspend_and_reinstate(alice, welder, welder_post, cert_a):
    client = as_user(alice)
    assert client.post(url("suspend", cert_a), {"reason": "违章作业，暂扣"}).status_code == 302
    assert clearance(welder, welder_post).codes == [Code.CERT_SUSPENDED]
    assert url("reinstate", cert_a) in client.get(url("inspect", cert_a)).content.decode()
    assert client.post(url("reinstate", cert_a), {"reason": "暂扣期满"}).status_code == 302
    cert_a.refresh_from_db()
    assert cert_a.status == Certificate.Status.VALID
    assert clearance(welder, welder_post).cleared


def test_empty_reason_is_a_form_error(alice, cert_a):
    response = as_user(alice).post(url("suspend", cert_a), {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    cert_a.refresh_from_db()
    assert cert_a.status == Certificate.Status.VALID


def test_refused_transition_is_shown_not_a_crash(alice, cert_a):
    certificate_revoke(certificate=cert_a, reason="注销", actor=None)
    response = as_user(alice).post(url("reinstate", cert_a), {"reason": "误操作"})
    assert response.status_code == 200
    assert "只有暂停中的证书可以恢复" in str(response.context["form"].non_field_errors())


def test_review_moves_the_next_review_date(alice, cert_a):
    # 令30 §21–§23: within 60 days before it is due, after ≥ 8 h of refresher training.
    Certificate.objects.filter(pk=cert_a.pk).update(next_review_due=timezone.localdate() + dt.timedelta(days=10))
    train(cert_a.employee, "special_operation", 8, timezone.localdate() - dt.timedelta(days=5))
    data = {"reviewed_on": timezone.localdate().isoformat(), "next_review_due": "2029-01-05"}
    response = as_user(alice).post(url("review", cert_a), data)
    assert response.status_code == 302
    cert_a.refresh_from_db()
    assert cert_a.next_review_due == D(2029, 1, 5)
    assert ModelLogEntry.objects.filter(action="anxun.certificate_review", object_id=str(cert_a.pk)).exists()


@pytest.mark.parametrize("view", ["inspect", "suspend", "revoke", "reinstate", "review", "scan", "history"])
def test_outsider_gets_404_for_another_enterprise_certificate(charlie, cert_a, view):
    assert as_user(charlie).get(url(view, cert_a)).status_code == 404


@pytest.mark.parametrize("view", ["suspend", "revoke"])
def test_outsider_post_changes_nothing(charlie, cert_a, view):
    assert as_user(charlie).post(url(view, cert_a), {"reason": "x"}).status_code == 404
    cert_a.refresh_from_db()
    assert cert_a.status == Certificate.Status.VALID


def test_trainer_has_no_certificate_pages(ent_a, cert_a):
    trainer = _privileged(ent_a, Role.TRAINER, "trainer@example.com")
    client = as_user(trainer)
    for target in (INDEX, url("inspect", cert_a), url("revoke", cert_a)):
        response = client.get(target)
        assert response.status_code == 302 and response["Location"] == HOME


def test_safety_manager_reads_but_cannot_revoke(ent_a, cert_a):
    # Changing certificates needs the CHANGE capability (HR, enterprise admin).
    sam = _privileged(ent_a, Role.SAFETY_MANAGER, "sam@example.com")
    client = as_user(sam)
    assert client.get(url("inspect", cert_a)).status_code == 200
    response = client.post(url("revoke", cert_a), {"reason": "x"})
    assert response.status_code == 302 and response["Location"] == HOME
    cert_a.refresh_from_db()
    assert cert_a.status == Certificate.Status.VALID


def test_employee_and_regulator_are_refused(bob, regulator, cert_a):
    for user in (bob, regulator):
        for target in (INDEX, ADD, url("inspect", cert_a)):
            response = as_user(user).get(target)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.rule("archive.retention")
def test_certificates_have_no_edit_or_delete(alice, cert_a):
    for view in ("edit", "delete"):
        with pytest.raises(NoReverseMatch):
            url(view, cert_a)
        assert as_user(alice).post(f"{INDEX}{view}/{cert_a.pk}/").status_code == 404
    assert Certificate.objects.filter(pk=cert_a.pk).exists()


# --- listing -------------------------------------------------------------------------------


def test_list_is_scoped_and_filters_kind_status_and_expiry(alice, charlie, welder, cert_a, cert_b):
    today = timezone.localdate()
    soon = register(welder, number="SOON", kind=CertificateKind.OTHER, category="",
                    issued_on=today - dt.timedelta(days=300), valid_until=today + dt.timedelta(days=30),
                    next_review_due=None)
    later = register(welder, number="LATER", kind=CertificateKind.OTHER, category="",
                     issued_on=today - dt.timedelta(days=300), valid_until=today + dt.timedelta(days=200),
                     next_review_due=None)
    client = as_user(alice)
    assert {c.pk for c in client.get(INDEX).context["object_list"]} == {cert_a.pk, soon.pk, later.pk}
    assert [c.pk for c in client.get(INDEX, {"expiring": "true"}).context["object_list"]] == [soon.pk]
    assert {c.pk for c in client.get(INDEX, {"kind": "other"}).context["object_list"]} == {soon.pk, later.pk}
    certificate_revoke(certificate=later, reason="注销", actor=None)
    assert [c.pk for c in client.get(INDEX, {"status": "revoked"}).context["object_list"]] == [later.pk]
    assert [c.pk for c in client.get(INDEX, {"q": "W001"}).context["object_list"]] != []

    response = as_user(charlie).get(INDEX)
    assert [c.pk for c in response.context["object_list"]] == [cert_b.pk]
    assert cert_a.number not in response.content.decode()


def test_list_queries_do_not_grow_with_rows(alice, welder, django_assert_max_num_queries):
    register(welder, number="N-0")
    client = as_user(alice)
    client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    for n in range(1, 15):
        register(welder, number=f"N-{n}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(INDEX)
    assert len(response.context["object_list"]) == 15
