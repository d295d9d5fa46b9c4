"""Real answers of the API against the schema it publishes: the cases the
schemathesis run (test_schemathesis.py) found wrong — a certificate held
for no particular post, an apprenticeship that has not ended — and error
answers that run does not provoke with its valid token (no credential, an
unknown token, a malformed body)."""

import datetime as dt

import pytest

from ..apprenticeship.conftest import apprentice, hired_on, master, reactor, started  # noqa: F401  (fixtures)
from ..compliance.helpers import certificate
from .openapi import load_schema, violations


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


def _documented(path, method, code):
    operation = load_schema()["paths"][path][method]
    return operation["responses"][str(code)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_request, path, method, code",
    [
        (lambda c: c.get("/api/v1/employees/"), "/api/v1/employees/", "get", 401),
        (lambda c: c.get("/api/v1/posts/", HTTP_AUTHORIZATION="Token ax_nope"), "/api/v1/posts/", "get", 401),
    ],
)
def test_unauthenticated_answers_are_as_documented(api, make_request, path, method, code):
    response = make_request(api)
    documented = _documented(path, method, code)
    assert response.status_code == code
    assert response["WWW-Authenticate"] == "Token" and "WWW-Authenticate" in documented["headers"]
    assert not violations(response.json(), documented["content"]["application/json"]["schema"])


def test_error_answers_of_a_write_are_as_documented(client_a, staff_a):
    path, url = "/api/v1/employees/{employee_no}/", "/api/v1/employees/A0001/"
    answers = {
        400: client_a.patch(url, {"employee_no": "A0009", "phone": "12"}, format="json"),
        404: client_a.patch("/api/v1/employees/NOPE/", {"name": "某人"}, format="json"),
    }
    parse_error = client_a.patch(url, "{not json", content_type="application/json")
    assert parse_error.status_code == 400 and "detail" in parse_error.json()
    for code, response in [*answers.items(), (400, parse_error)]:
        assert response.status_code == code
        schema = _documented(path, "patch", code)["content"]["application/json"]["schema"]
        assert not violations(response.json(), schema), (code, response.json())
