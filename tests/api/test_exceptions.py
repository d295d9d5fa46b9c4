"""Service exceptions reach API clients as 400/403/409 with Chinese reasons."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from lms.api.exceptions import exception_handler
from lms.workforce.models import Employee
from lms.workforce.services import WorkforceError


class _View:
    service_error_fields = {"post": "post_code"}


def test_service_field_errors_are_renamed_to_api_fields():
    response = exception_handler(WorkforceError({"post": "转岗必须填写目标岗位", "__all__": "冲突"}), {"view": _View()})
    assert response.status_code == 400
    assert response.data == {
        "detail": "请求数据有误：post_code",
        "code": "invalid",
        "errors": {"post_code": ["转岗必须填写目标岗位"], "non_field_errors": ["冲突"]},
    }


def test_plain_validation_error_is_non_field_error():
    response = exception_handler(ValidationError("该岗位分配已结束"), {"view": None})
    assert (response.status_code, response.data) == (
        400,
        {"detail": "该岗位分配已结束", "code": "invalid", "errors": {"non_field_errors": ["该岗位分配已结束"]}},
    )


def test_permission_denied_is_403_with_message():
    response = exception_handler(PermissionDenied("您无权修改该企业的数据"), {"view": None})
    assert response.status_code == 403
    assert response.data == {"detail": "您无权修改该企业的数据", "code": "permission_denied", "errors": {}}


def test_lost_race_on_a_constraint_is_409(client_a, staff_a, monkeypatch):
    def racing_create(**kwargs):
        raise IntegrityError(
            "UNIQUE constraint failed: workforce_employee.enterprise_id, workforce_employee.employee_no"
        )

    monkeypatch.setattr("lms.workforce.services.employee_create", racing_create)
    body = {"employee_no": "A0100", "name": "陈晨", "id_number": "31010419950618042X", "hire_date": "2026-02-01"}
    response = client_a.post("/api/v1/employees/", body, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "数据冲突（可能已被他人同时修改），请刷新后重试"
    assert not Employee.objects.filter(employee_no="A0100").exists()
