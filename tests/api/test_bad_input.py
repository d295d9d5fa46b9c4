"""Whatever a client sends, the answer is a 4xx with a reason, never a 500."""

import json

import pytest

from lms.workforce.models import Employee, EmploymentEvent

EMPLOYEES = "/api/v1/employees/"
EVENTS = "/api/v1/events/"


def raw_post(client, url, body: bytes | str, content_type="application/json"):
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "bad_json"),
        (b'{"employee_no": "A1",}', "bad_json"),
        (b"", "invalid"),  # no body is an empty object: every required field is named
        (b"\xff\xfe\x00garbage", "bad_encoding"),
        (b'{"employee_no": NaN}', "bad_json"),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep"),
    ],
    ids=["broken", "trailing-comma", "empty", "not-utf8", "nan", "deeply-nested"],
)
def test_malformed_bodies_are_400(client_a, staff_a, body, code):
    for url in (EMPLOYEES, EVENTS):
        response = raw_post(client_a, url, body)
        assert response.status_code == 400, (url, response.status_code)
        reply = response.json()
        assert set(reply) == {"detail", "code", "errors"}, reply
        assert reply["code"] == code and reply["detail"], (url, reply)
        assert bool(reply["errors"]) == (code == "invalid"), (url, reply)
    assert not EmploymentEvent.objects.exists()


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_400(client_a, staff_a, body):
    for url in (EMPLOYEES, EVENTS, f"{EMPLOYEES}A0001/"):
        method = "PATCH" if url.endswith("A0001/") else "POST"
        response = client_a.generic(method, url, body, content_type="application/json")
        assert response.status_code == 400, (url, body, response.status_code)


def test_form_encoded_body_is_415(client_a, staff_a):
    response = client_a.post(EVENTS, {"employee_no": "A0001", "type": "leave", "date": "2026-01-10"})
    assert response.status_code == 415
    assert not EmploymentEvent.objects.exists()


def test_body_over_the_upload_limit_is_413(client_a, staff_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"employee_no": "A0001", "type": "leave", "date": "2026-01-10", "note": "x" * 20_000})
    response = raw_post(client_a, EVENTS, body)
    assert response.status_code == 413
    assert not EmploymentEvent.objects.exists()


def valid_body(**overrides):
    return {
        "employee_no": "A0100",
        "name": "陈晨",
        "id_number": "31010419950618042X",
        "hire_date": "2026-02-01",
        **overrides,
    }


def test_the_valid_body_used_below_is_accepted(client_a, staff_a):
    # Control: each bad-input case below differs from this body in one field only.
    assert client_a.post(EMPLOYEES, valid_body(), format="json").status_code == 201


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": {"first": "张"}},
        {"name": ["张", "伟"]},
        {"name": "张" * 10_000},
        {"employee_no": "E" * 10_000},
        {"id_number": 110101199003078030},
        {"id_number": "1" * 100_000},
        {"hire_date": 20260101},
        {"hire_date": None},
        {"hire_date": "2026-02-01T00:00:00"},
        {"employment_type": ["regular"]},
        {"employment_type": {"a": 1}},
        {"is_principal": [True]},
        {"org_unit_code": 123456789012345678901234567890123},
        {"post_code": {"code": "A-OP"}},
        {"phone": 13800138000.5},
        {"name": "张\x00伟"},
        {"enterprise": ["hxchem"]},
    ],
)
def test_wrong_types_and_huge_values_are_field_errors(client_a, staff_a, overrides):
    response = client_a.post(EMPLOYEES, valid_body(**overrides), format="json")
    assert response.status_code == 400, (overrides, response.status_code)
    errors = response.json()["errors"]
    assert set(errors) == set(overrides), errors
    assert Employee.objects.count() == 3


@pytest.mark.parametrize(
    "params",
    [
        {"status": "x" * 5000},
        {"search": "x" * 5000},
        {"search": "张\x00"},
        {"org_unit": "\x00"},
        {"enterprise": "e" * 1000},
        {"employment_type": "'; DROP TABLE workforce_employee; --"},
    ],
)
def test_bad_query_parameters_are_400(client_a, staff_a, params):
    response = client_a.get(EMPLOYEES, params)
    assert response.status_code == 400
    assert Employee.objects.count() == 3


@pytest.mark.parametrize("params", [{"limit": "abc"}, {"limit": "-5"}, {"offset": "-1"}, {"limit": "100000000"}])
def test_odd_pagination_values_fall_back_to_sane_pages(client_a, staff_a, params):
    response = client_a.get(EMPLOYEES, params)
    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_weird_employee_no_in_path_is_404(client_a, staff_a):
    for no in ("%00", "..", "A0001%20", "x" * 500, "张伟", "A0001%0A"):
        assert client_a.get(f"{EMPLOYEES}{no}/").status_code == 404, no
    for enterprise in ("\x00", "hx chem", "e" * 500):
        assert client_a.get(f"{EMPLOYEES}A0001/", {"enterprise": enterprise}).status_code == 404, enterprise


def test_non_string_keys_and_nulls_in_patch(client_a, staff_a):
    response = client_a.patch(f"{EMPLOYEES}A0001/", {"name": None, "phone": None}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "phone"}
    assert Employee.objects.get(employee_no="A0001").name == "张伟"


def test_unknown_addresses_under_the_api_are_json_404s(client_a, staff_a):
    # A 工号 with a "/" in it matches no route: the API's JSON 404, not the site's HTML page.
    for url in (f"{EMPLOYEES}A0001%2Frecords/x/", f"{EMPLOYEES}a/b/", "/api/v1/nothing/", "/api/v2/employees/"):
        response = client_a.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json() == {"detail": "未找到。", "code": "not_found", "errors": {}}, url
    # Missing trailing slashes are still redirected to the real endpoint.
    response = client_a.get("/api/v1/posts")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/posts/")
