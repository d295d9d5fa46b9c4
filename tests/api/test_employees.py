"""Employees over the API: list, detail, create, partial update."""

import datetime as dt

import pytest

from lms.workforce.models import Employee, EmploymentEvent, PostAssignment

from ..factories import EmployeeFactory, PostAssignmentFactory, PostFactory, make_id_number
from .conftest import ZHANG_ID, json_patch, json_post

EMPLOYEES = "/api/v1/employees/"
NEW_ID = make_id_number("310104", dt.date(1995, 6, 18), 42)


def new_employee(**overrides):
    body = {
        "employee_no": "A0100",
        "name": "陈晨",
        "id_number": NEW_ID,
        "phone": "139 1234 0000",
        "employment_type": "dispatched",
        "org_unit_code": "A-T1",
        "post_code": "A-OP",
        "hire_date": "2026-02-01",
        "is_principal": False,
        "is_safety_manager": True,
    }
    body.update(overrides)
    return body


# --- list ------------------------------------------------------------------------


def test_list_is_paginated_ordered_by_employee_no_and_masked(client_a, staff_a):
    response = client_a.get(EMPLOYEES, {"limit": 2})
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3
    assert [row["employee_no"] for row in page["results"]] == ["A0001", "A0002"]
    assert page["next"] and "offset=2" in page["next"]
    zhang = page["results"][0]
    assert zhang["id_number_masked"] == "110101********803X"
    assert zhang["phone_masked"] == "139****5678"
    assert "id_number" not in zhang and "phone" not in zhang
    assert ZHANG_ID not in response.content.decode()
    assert "13912345678" not in response.content.decode()
    second = client_a.get(EMPLOYEES, {"limit": 2, "offset": 2}).json()
    assert [row["employee_no"] for row in second["results"]] == ["A0003"]


def test_list_filters(client_a, staff_a):
    def numbers(**params):
        response = client_a.get(EMPLOYEES, params)
        assert response.status_code == 200, response.json()
        return [row["employee_no"] for row in response.json()["results"]]

    assert numbers(status="on_leave") == ["A0003"]
    assert numbers(employment_type="dispatched") == ["A0002"]
    assert numbers(org_unit="A-T1") == ["A0001", "A0003"]
    # A workshop finds its own people and those of its teams.
    assert numbers(org_unit="A-W1") == ["A0001", "A0002", "A0003"]
    assert numbers(search="李") == ["A0002"]
    assert numbers(search="0003") == ["A0003"]
    assert numbers(ordering="-employee_no") == ["A0003", "A0002", "A0001"]
    assert numbers(enterprise="hxchem", status="active") == ["A0001", "A0002"]
    assert numbers(enterprise="dfmfg") == []


def test_list_rejects_unknown_filter_values(client_a, staff_a):
    response = client_a.get(EMPLOYEES, {"status": "fired"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    assert client_a.get(EMPLOYEES, {"ordering": "id_number"}).status_code == 400


@pytest.mark.parametrize("size", [5, 40])
def test_list_queries_do_not_grow_with_rows(client_a, ent_a, tree_a, size, django_assert_max_num_queries):
    post = tree_a[3]

    for _i in range(size):
        employee = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2])
        PostAssignmentFactory(employee=employee, post=post, start_date=dt.date(2024, 3, 1))
    client_a.get(EMPLOYEES)  # the token's last_used_at write happens on first use only
    with django_assert_max_num_queries(5):
        response = client_a.get(EMPLOYEES, {"limit": 100})
    assert len(response.json()["results"]) == size
    assert all(row["current_assignments"][0]["post_code"] == "A-OP" for row in response.json()["results"])


@pytest.mark.parametrize("size", [5, 40])
def test_session_list_queries_do_not_grow_with_rows(as_user, alice, ent_a, tree_a, size, django_assert_max_num_queries):
    for _ in range(size):
        EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2])
    client = as_user(alice)
    with django_assert_max_num_queries(10):
        response = client.get(EMPLOYEES, {"limit": 100})
    assert response.json()["count"] == size


# --- detail ----------------------------------------------------------------------


def test_detail_shows_current_assignments_and_masks(client_a, staff_a, tree_a):
    zhang = staff_a[0]
    welding = PostFactory(enterprise=zhang.enterprise, org_unit=tree_a[2], code="A-WELD", name="焊工")
    from lms.workforce import services

    ended = PostAssignmentFactory(employee=zhang, post=welding, start_date=dt.date(2024, 4, 1))
    services.assignment_end(assignment=ended, end_date=dt.date(2024, 5, 1), actor=None)
    response = client_a.get(f"{EMPLOYEES}A0001/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "张伟"
    assert body["enterprise"] == "hxchem"
    assert body["org_unit_code"] == "A-T1"
    assert body["id_number_masked"] == "110101********803X"
    assert ZHANG_ID not in response.content.decode()
    assert body["current_assignments"] == [
        {
            "post_code": "A-OP",
            "post_name": "操作工",
            "kind": "regular",
            "start_date": "2024-03-01",
            "end_date": None,
            "mentor_employee_no": None,
        }
    ]


def test_detail_of_unknown_employee_is_404(client_a, staff_a):
    response = client_a.get(f"{EMPLOYEES}NOPE/")
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到该员工"


def test_put_and_delete_are_not_offered(client_a, staff_a):
    assert client_a.put(f"{EMPLOYEES}A0001/", {}, format="json").status_code == 405
    assert client_a.delete(f"{EMPLOYEES}A0001/").status_code == 405
    assert Employee.objects.filter(employee_no="A0001").exists()


# --- create ----------------------------------------------------------------------


def test_create_records_hire_event_with_intended_post_but_no_assignment(client_a, staff_a):
    response = json_post(client_a, EMPLOYEES, new_employee())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["employee_no"] == "A0100"
    assert body["id_number_masked"] == NEW_ID[:6] + "********" + NEW_ID[-4:]
    assert body["phone_masked"] == "139****0000"
    assert body["current_assignments"] == []
    assert response["Location"] == "/api/v1/employees/A0100/?enterprise=hxchem"
    employee = Employee.objects.get(employee_no="A0100")
    assert employee.phone == "+8613912340000"
    assert employee.is_safety_manager and employee.employment_type == "dispatched"
    hire = EmploymentEvent.objects.get(employee=employee)
    assert (hire.type, hire.date, hire.post.code, hire.source) == ("hire", dt.date(2026, 2, 1), "A-OP", "api")
    assert not PostAssignment.objects.filter(employee=employee).exists()


def test_create_without_org_unit_takes_the_posts_unit(client_a, staff_a):
    response = json_post(client_a, EMPLOYEES, new_employee(org_unit_code=None))
    assert response.status_code == 201
    assert response.json()["org_unit_code"] == "A-T1"


def test_session_create_by_alice_needs_no_enterprise(as_user, alice, staff_a):
    response = json_post(as_user(alice), EMPLOYEES, new_employee(post_code=""))
    assert response.status_code == 201, response.json()
    assert EmploymentEvent.objects.get(employee__employee_no="A0100").post is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": "110101199003078030"}, "id_number", "身份证号校验位错误"),
        ({"id_number": "12345"}, "id_number", "身份证号应为 18 位"),
        ({"id_number": ZHANG_ID}, "id_number", "该企业已有相同身份证号的员工"),
        ({"employee_no": "A0001"}, "employee_no", "该企业已有此工号的员工"),
        ({"employee_no": "工号 1"}, "employee_no", "编码只能包含字母、数字、下划线、点和短横线，最长 32 位"),
        ({"hire_date": "2026-02-30"}, "hire_date", None),
        ({"hire_date": "01/02/2026"}, "hire_date", None),
        ({"hire_date": "2099-01-01"}, "hire_date", "日期不能晚于一年以后"),
        ({"post_code": "NOPE"}, "post_code", "该企业没有此编码的岗位"),
        ({"org_unit_code": "B-T1"}, "org_unit_code", "该企业没有此编码的单位"),
        ({"employment_type": "slave"}, "employment_type", None),
        ({"phone": "12345"}, "phone", "手机号格式不正确（应为 11 位大陆手机号）"),
        ({"name": "   "}, "name", None),
        ({"is_principal": "maybe"}, "is_principal", None),
        ({"enterprise": "dfmfg"}, "enterprise", "企业不存在，或您无权修改该企业的数据"),
        ({"status": "on_leave"}, "status", "未知字段，不能写入"),
    ],
)
def test_create_field_errors(client_a, staff_a, tree_b, overrides, field, message):
    response = json_post(client_a, EMPLOYEES, new_employee(**overrides))
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert field in errors, errors
    if message:
        assert message in errors[field]
    assert all(isinstance(m, str) and m for m in errors[field])
    assert not Employee.objects.filter(employee_no=new_employee(**overrides)["employee_no"], name="陈晨").exists()
    assert not EmploymentEvent.objects.exists()


def test_create_missing_fields_are_listed_in_chinese(client_a, staff_a):
    response = json_post(client_a, EMPLOYEES, {})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"employee_no", "name", "id_number", "hire_date"}
    assert errors["name"] == ["必需字段"]


def test_create_inactive_post_refused(client_a, staff_a, tree_a):
    post = tree_a[3]
    post.is_active = False
    post.save()
    response = json_post(client_a, EMPLOYEES, new_employee())
    assert response.status_code == 400
    assert response.json()["errors"]["post_code"] == ["岗位已停用"]


# --- partial update --------------------------------------------------------------


def test_patch_changes_editable_fields(client_a, staff_a, tree_a):
    other_id = make_id_number("110102", dt.date(1991, 1, 1), 7)
    response = json_patch(
        client_a,
        f"{EMPLOYEES}A0002/",
        {"name": "李娜娜", "phone": "+86 139-0000-1111", "org_unit_code": "A-T1", "id_number": other_id.lower()},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["org_unit_code"] == "A-T1"
    assert response.json()["phone_masked"] == "139****1111"
    li = Employee.objects.get(employee_no="A0002")
    assert (li.name, li.phone, li.org_unit.code, li.id_number) == ("李娜娜", "+8613900001111", "A-T1", other_id)


def test_patch_can_clear_org_unit(client_a, staff_a):
    response = json_patch(client_a, f"{EMPLOYEES}A0002/", {"org_unit_code": None})
    assert response.status_code == 200
    assert Employee.objects.get(employee_no="A0002").org_unit is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"employee_no": "A9999"}, "employee_no", "工号不可修改"),
        ({"status": "active"}, "status", "任职经历不能直接修改，请通过任职事件接口（/api/v1/events/）记录"),
        ({"post_code": "A-OP"}, "post_code", "任职经历不能直接修改，请通过任职事件接口（/api/v1/events/）记录"),
        ({"enterprise": "dfmfg"}, "enterprise", "所属企业不可修改"),
        ({"id_number": ZHANG_ID}, "id_number", "该企业已有相同身份证号的员工"),
        ({"id_number": "110101199003078030"}, "id_number", "身份证号校验位错误"),
        ({"hire_date": "2024-13-01"}, "hire_date", None),
        ({"org_unit_code": "B-T1"}, "org_unit_code", "该企业没有此编码的单位"),
        ({"favourite_colour": "red"}, "favourite_colour", "未知字段，不能写入"),
    ],
)
def test_patch_field_errors(client_a, staff_a, tree_b, body, field, message):
    before = Employee.objects.get(employee_no="A0002")
    response = json_patch(client_a, f"{EMPLOYEES}A0002/", {"name": "不应保存", **body})
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    if message:
        assert response.json()["errors"][field] == [message]
    after = Employee.objects.get(employee_no="A0002")
    assert (after.name, after.employee_no, after.status, after.updated_at) == (
        before.name,
        before.employee_no,
        before.status,
        before.updated_at,
    )
