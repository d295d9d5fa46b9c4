"""Real answers of the API against the schema it publishes, for the cases
the schemathesis run (test_schemathesis.py) found wrong: a certificate held
for no particular post, an apprenticeship that has not ended."""

import datetime as dt

import pytest

from ..apprenticeship.conftest import apprentice, hired_on, master, reactor, started  # noqa: F401  (fixtures)
from ..compliance.helpers import certificate
from .openapi import violations


def test_a_certificate_for_no_post_has_a_null_post_code_as_documented(client_a, staff_a):
    zhang = staff_a[0]
    certificate(zhang, "electrician", dt.date(2025, 1, 6), dt.date(2031, 1, 5), number="T-0001")
    for url in ("/api/v1/certificates/", "/api/v1/employees/A0001/certificates/"):
        page = client_a.get(url).json()
        assert page["results"][0]["post_code"] is None
        assert not violations(page["results"][0], "CertificateOut"), url


@pytest.mark.usefixtures("started")
def test_a_running_apprenticeship_has_a_blank_end_reason_as_documented(client_a, apprentice):  # noqa: F811
    row = client_a.get(f"/api/v1/employees/{apprentice.employee_no}/apprenticeships/").json()["results"][0]
    assert (row["status"], row["end_reason"]) == ("running", "")
    assert not violations(row, "ApprenticeshipOut")
