"""The published OpenAPI description and its Swagger UI."""

import io

import yaml
from django.core.management import call_command

from .openapi import load_schema, operations, violations


def test_schema_generates_without_warnings_or_errors():
    out, err = io.StringIO(), io.StringIO()
    # --fail-on-warn raises SchemaGenerationError on any warning or error.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=err)
    assert "Warning" not in err.getvalue() and "Error" not in err.getvalue(), err.getvalue()
    schema = yaml.safe_load(out.getvalue())
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/employees/",
        "/api/v1/employees/{employee_no}/",
        "/api/v1/posts/",
        "/api/v1/org-units/",
        "/api/v1/events/",
        "/api/v1/employees/{employee_no}/clearance/",
        "/api/v1/employees/{employee_no}/records/",
        "/api/v1/employees/{employee_no}/obligations/",
        "/api/v1/assignments/",
        "/api/v1/exams/",
        "/api/v1/employees/{employee_no}/exam-results/",
        "/api/v1/courses/",
        "/api/v1/employees/{employee_no}/enrolments/",
        "/api/v1/certificates/",
        "/api/v1/employees/{employee_no}/certificates/",
        "/api/v1/verify/{code}/",
        "/api/v1/employees/{employee_no}/apprenticeships/",
        "/api/v1/warning-campaigns/",
    }
    assert schema["paths"]["/api/v1/employees/"]["post"]["summary"] == "新增员工"
    token = schema["components"]["securitySchemes"]["enterpriseToken"]
    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "Authorization")
    employee = schema["components"]["schemas"]["EmployeeOut"]["properties"]
    assert "id_number_masked" in employee and "id_number" not in employee and "phone" not in employee
    example = schema["paths"]["/api/v1/events/"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert example["转岗"]["value"]["type"] == "transfer"


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/employees/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content.lower()
    # Swagger UI's start-up script is a file of its own (CSP: no inline script).
    assert b"/api/schema/" in client.get("/api/docs/?script=").content


# --- every operation documented, every example honest -----------------------------


def test_every_operation_has_a_summary_a_description_and_documents_its_errors():
    schema = load_schema()
    for path, method, op in operations(schema):
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description") and op.get("tags"), where
        codes = set(op["responses"])
        public = not op.get("security")
        expected = {"404", "429"} if public else {"400", "401", "403", "429"}
        if "{employee_no}" in path or "{code}" in path:
            expected.add("404")
        if method in ("post", "patch"):
            expected |= {"409", "413"}
        assert expected <= codes, (where, expected - codes)
        success = [c for c in codes if c.startswith("2")]
        assert len(success) == 1, where
        for code, response in op["responses"].items():
            assert response.get("description"), (where, code)
            content = response["content"]["application/json"]
            # Every documented response, success or error, shows what it looks like.
            assert content.get("examples"), (where, code)
            if code.startswith("4"):
                assert content["schema"]["$ref"].rsplit("/", 1)[1] in {"Error", "AssignmentConflict"}
        if "401" in codes:
            assert op["responses"]["401"]["headers"]["WWW-Authenticate"]["required"] is True
        assert op["responses"]["429"]["headers"]["Retry-After"]["required"] is True
        if "requestBody" in op:
            assert op["requestBody"]["content"]["application/json"].get("examples"), where


def test_error_bodies_are_described_as_the_api_sends_them():
    components = load_schema()["components"]["schemas"]
    assert sorted(components["Error"]["required"]) == ["code", "detail", "errors"]
    assert components["Error"]["properties"]["errors"]["additionalProperties"] == {
        "type": "array", "items": {"type": "string"}
    }
    assert "BadRequest" not in components and "FieldErrors" not in components  # one shape for every error
    assert not violations({"detail": "未找到该员工", "code": "not_found", "errors": {}}, "Error")
    assert not violations({"detail": "请先启用两步验证", "code": "mfa_required", "errors": {}}, "Error")
    assert not violations(
        {"detail": "请求数据有误", "code": "invalid", "errors": {"post_code": ["该企业没有此编码的岗位"]}}, "Error"
    )
    assert violations({"detail": "x", "code": "invalid", "errors": {"post_code": "不是列表"}}, "Error")
    assert violations({"post_code": ["旧格式"]}, "Error")


SINGLE_OBJECTS = {"/api/v1/employees/{employee_no}/", "/api/v1/employees/{employee_no}/clearance/"}


def test_list_responses_are_pages_with_the_limit_ceiling_documented():
    schema = load_schema()
    lists = 0
    for path, method, op in operations(schema):
        if method != "get" or path in SINGLE_OBJECTS or "{code}" in path:
            continue
        lists += 1
        limit = next(p for p in op["parameters"] if p["name"] == "limit")
        assert "500" in limit["description"], path
        assert any(p["name"] == "offset" for p in op["parameters"]), path
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(page["required"]) == {"count", "next", "previous", "results"}, path
        assert page["properties"]["results"]["type"] == "array", path
    assert lists == 13


def _examples(schema):
    """(where, example value, schema) for every documented example."""
    for path, method, op in operations(schema):
        where = f"{method.upper()} {path}"
        for parameter in op.get("parameters", []):
            for name, example in parameter.get("examples", {}).items():
                yield f"{where} parameter {parameter['name']} {name}", example["value"], parameter["schema"]
        bodies = [("request", op["requestBody"])] if "requestBody" in op else []
        bodies += list(op["responses"].items())
        for code, body in bodies:
            content = body.get("content", {}).get("application/json", {})
            for name, example in content.get("examples", {}).items():
                yield f"{where} {code} {name}", example["value"], content["schema"]


def test_every_documented_example_matches_its_schema():
    schema = load_schema()
    checked = 0
    for where, value, value_schema in _examples(schema):
        assert not violations(value, value_schema, schema), (where, violations(value, value_schema, schema))
        checked += 1
    assert checked > 80
