"""The API never returns a full 身份证号 (个保法 §28): not in the employee
endpoints, not inside a certificate number, and there is no endpoint that
reveals one."""

import datetime as dt

import pytest

from certificates.services import certificate_register
from lms.workforce.validators import mask_id_number

from .conftest import ZHANG_ID
from .openapi import violations

pytestmark = pytest.mark.django_db


def register_with_id_number(zhang):
    return certificate_register(
        employee=zhang, kind="special_operation", category="electrician", number=f"T{ZHANG_ID}",
        authority="苏州市应急管理局", issued_on=dt.date(2025, 1, 6), valid_until=dt.date(2031, 1, 5), actor=None,
    )


def test_certificate_endpoints_show_the_number_masked(client_a, staff_a):
    zhang = staff_a[0]
    register_with_id_number(zhang)
    for url in ("/api/v1/certificates/", "/api/v1/employees/A0001/certificates/"):
        response = client_a.get(url)
        assert response.status_code == 200
        assert ZHANG_ID not in response.content.decode() and ZHANG_ID[6:14] + ZHANG_ID[14:] not in response.content.decode()
        row = response.json()["results"][0]
        assert (row["number"], row["number_masked"]) == (f"T{mask_id_number(ZHANG_ID)}", True)
        assert not violations(row, "CertificateOut"), url


def test_employee_endpoints_never_carry_the_full_number(client_a, staff_a):
    for url in ("/api/v1/employees/", "/api/v1/employees/A0001/"):
        body = client_a.get(url).content.decode()
        assert ZHANG_ID not in body and mask_id_number(ZHANG_ID) in body


def test_no_endpoint_reveals_an_id_number():
    from .openapi import load_schema

    paths = load_schema()["paths"]
    assert not [p for p in paths if "reveal" in p or "id-number" in p or "id_number" in p]
