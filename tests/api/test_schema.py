"""The published OpenAPI description and its Swagger UI."""

import io

import yaml
from django.core.management import call_command


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
    assert b"/api/schema/" in docs.content
