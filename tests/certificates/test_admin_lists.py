"""HR's certificate lists in the back office: by unit (with the units
below), expiring or due for review in the next N days, lapsed while on post
(the clearance gate's answer), and the Excel export; scoped per enterprise."""

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from certificates.models import CertificateKind
from certificates.services import certificate_register, certificate_revoke
from lms.workforce.models import SpecialOperation
from tests.compliance.helpers import D, hire, induct
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, OrgUnitFactory, PostAssignmentFactory, PostFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("certificate:index")


@pytest.fixture
def setup(ent_a, tree_a, tree_b, ent_b):
    company, workshop, team, _post = tree_a
    other_workshop = OrgUnitFactory(enterprise=ent_a, kind="workshop", parent=company, code="A-W2", name="二车间")
    weld = PostFactory(enterprise=ent_a, org_unit=team, code="A-WELD", name="焊工",
                       special_operation=SpecialOperation.WELDING)
    today = dt.date.today()

    def person(no, name, unit, **cert):
        emp = EmployeeFactory(enterprise=ent_a, employee_no=no, name=name, org_unit=unit, hire_date=D(2024, 3, 1))
        hire(emp, weld)
        induct(emp, weld, D(2024, 3, 2), 24)
        PostAssignmentFactory(employee=emp, post=weld, start_date=D(2024, 3, 5))
        c = certificate_register(employee=emp, kind=CertificateKind.SPECIAL_OPERATION, category=SpecialOperation.WELDING,
                                 number=f"T{no}", authority="江苏省应急管理厅", issued_on=D(2024, 6, 1),
                                 actor=None, **cert)
        return emp, c

    _, soon = person("W1", "张近", team, valid_until=today + dt.timedelta(days=20))
    _, review = person("W2", "李审", team, valid_until=D(2029, 1, 9), next_review_due=today + dt.timedelta(days=45))
    _, far = person("W3", "王远", other_workshop, valid_until=D(2029, 1, 9))
    _, revoked = person("W4", "赵吊", team, valid_until=D(2029, 1, 9))
    certificate_revoke(certificate=revoked, reason="违章", actor=None)
    # Another enterprise's certificate never shows.
    outsider = EmployeeFactory(enterprise=ent_b, employee_no="B1", org_unit=tree_b[2])
    certificate_register(employee=outsider, kind=CertificateKind.SPECIAL_EQUIPMENT, number="B-1", authority="杭州市",
                         issued_on=D(2024, 1, 1), valid_until=today + dt.timedelta(days=10), actor=None)
    return {"workshop": workshop, "other_workshop": other_workshop, "soon": soon, "review": review, "far": far,
            "revoked": revoked}


def numbers(response):
    html = response.content.decode()
    return sorted(n for n in ("TW1", "TW2", "TW3", "TW4", "B-1") if n in html)


def test_filters_by_unit_expiry_window_and_lapse(alice, setup):
    client = login_with_mfa(Client(), alice)
    assert numbers(client.get(INDEX)) == ["TW1", "TW2", "TW3", "TW4"]
    assert numbers(client.get(INDEX, {"unit": setup["workshop"].pk})) == ["TW1", "TW2", "TW4"]  # team below it
    assert numbers(client.get(INDEX, {"unit": setup["other_workshop"].pk})) == ["TW3"]
    assert numbers(client.get(INDEX, {"expiring_days": 30})) == ["TW1"]
    assert numbers(client.get(INDEX, {"expiring_days": 60})) == ["TW1", "TW2"]  # review within 60 days
    assert numbers(client.get(INDEX, {"lapsed_on_post": "true"})) == ["TW4"]
    assert client.get(INDEX, {"expiring_days": "abc"}).status_code == 200  # a field error, not a 500


def test_excel_export_has_the_listed_certificates_and_masked_nothing_extra(alice, setup):
    client = login_with_mfa(Client(), alice)
    response = client.get(INDEX, {"export": "xlsx", "expiring_days": 60})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)
                                              if response.streaming else response.content)).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("工号", "持证人", "单位", "证书")
    assert sorted(r[6] for r in rows[1:]) == ["TW1", "TW2"]
    assert "有效" in {r[-1] for r in rows[1:]}


def test_other_enterprise_hr_sees_none_of_them(charlie, setup):
    client = login_with_mfa(Client(), charlie)
    assert numbers(client.get(INDEX)) == ["B-1"]
    # A unit of another enterprise is not a choice: the filter refuses it.
    assert numbers(client.get(INDEX, {"unit": setup["workshop"].pk})) in (["B-1"], [])


def test_plain_employee_has_no_certificate_list(bob, setup):
    client = login_with_mfa(Client(), bob)
    assert client.get(INDEX).status_code in (302, 403)


def test_hr_reissues_and_downloads_internal_certificates(alice, charlie, ent_a):
    from certificates.selectors import certificate_type_for
    from certificates.services import certificate_issue
    from tests.compliance.helpers import train

    emp = EmployeeFactory(enterprise=ent_a, employee_no="R1")
    record = train(emp, "induction", 24, D(2026, 3, 3), level="company")
    cert = certificate_issue(employee=emp, type=certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION),
                             basis_records=[record], actor=None)
    client = login_with_mfa(Client(), alice)
    pdf = client.get(reverse("certificate:pdf", args=[cert.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    response = client.post(reverse("certificate:reissue", args=[cert.pk]), {"reason": "遗失补发"})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.status == "superseded" and cert.replaced_by.get().basis_note.startswith("换发：遗失补发")
    assert client.post(reverse("certificate:reissue", args=[cert.pk]), {"reason": ""}).status_code == 200
    outsider = login_with_mfa(Client(), charlie)
    assert outsider.get(reverse("certificate:pdf", args=[cert.pk])).status_code == 404
    assert outsider.post(reverse("certificate:reissue", args=[cert.pk]), {"reason": "x"}).status_code == 404
