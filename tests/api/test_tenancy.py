"""Another enterprise's data is invisible and untouchable, by session and by token."""

import pytest

from lms.accounts.roles import Role
from lms.workforce.models import Employee, EmploymentEvent

from ..factories import EmployeeFactory, MembershipFactory, UserFactory, enable_totp
from .conftest import json_patch, json_post

EMPLOYEES = "/api/v1/employees/"


@pytest.fixture(params=["charlie", "token_b"])
def outsider(request, as_user, as_token):
    """Someone of enterprise B: HR charlie's session, or B's write token."""
    if request.param == "charlie":
        return as_user(request.getfixturevalue("charlie"))
    return as_token(request.getfixturevalue("token_b")[1])


def test_outsider_lists_only_own_rows(outsider, staff_a, tree_b):
    EmployeeFactory(enterprise=tree_b[0].enterprise, employee_no="B0001", org_unit=tree_b[2])
    employees = outsider.get(EMPLOYEES)
    assert employees.status_code == 200
    assert [row["employee_no"] for row in employees.json()["results"]] == ["B0001"]
    assert outsider.get(EMPLOYEES, {"enterprise": "hxchem"}).json()["count"] == 0
    assert outsider.get(EMPLOYEES, {"search": "张伟"}).json()["count"] == 0
    posts = outsider.get("/api/v1/posts/").json()["results"]
    assert [p["code"] for p in posts] == ["B-OP"]
    units = outsider.get("/api/v1/org-units/").json()["results"]
    assert {u["code"] for u in units} == {"B-C", "B-W1", "B-T1"}
    assert "A-" not in outsider.get("/api/v1/org-units/", {"enterprise": "hxchem"}).content.decode()


def test_outsider_gets_404_for_a_employee(outsider, staff_a, tree_b):
    response = outsider.get(f"{EMPLOYEES}A0002/")
    assert response.status_code == 404
    assert "李娜" not in response.content.decode()
    assert outsider.get(f"{EMPLOYEES}A0002/", {"enterprise": "hxchem"}).status_code == 404


def test_outsider_cannot_patch_a_employee(outsider, staff_a, tree_b):
    response = json_patch(outsider, f"{EMPLOYEES}A0002/", {"name": "被篡改"})
    assert response.status_code == 404
    assert Employee.objects.get(employee_no="A0002").name == "李娜"


def test_outsider_cannot_record_event_for_a_employee(outsider, staff_a, tree_b):
    response = json_post(outsider, "/api/v1/events/", {"employee_no": "A0002", "type": "leave", "date": "2026-01-10"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"employee_no": ["未找到该工号的员工"]}
    naming_a = json_post(
        outsider,
        "/api/v1/events/",
        {"enterprise": "hxchem", "employee_no": "A0002", "type": "leave", "date": "2026-01-10"},
    )
    assert naming_a.status_code == 400
    assert not EmploymentEvent.objects.exists()
    assert Employee.objects.get(employee_no="A0002").status == "active"


def test_outsider_cannot_create_in_a(outsider, staff_a, tree_b):
    body = {
        "enterprise": "hxchem",
        "employee_no": "X1",
        "name": "混入者",
        "id_number": "11010119900307803X",
        "hire_date": "2026-01-05",
        "org_unit_code": "A-T1",
    }
    response = json_post(outsider, EMPLOYEES, body)
    assert response.status_code == 400
    assert response.json()["errors"]["enterprise"] == ["企业不存在，或您无权修改该企业的数据"]
    # Without naming the enterprise it lands in B, where A's unit code does not exist.
    response = json_post(outsider, EMPLOYEES, {k: v for k, v in body.items() if k != "enterprise"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"org_unit_code": ["该企业没有此编码的单位"]}
    assert not Employee.objects.filter(employee_no="X1").exists()


def test_token_of_b_sees_same_employee_no_only_in_b(as_token, token_b, staff_a, staff_b):
    response = as_token(token_b[1]).get(f"{EMPLOYEES}A0001/")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["enterprise"]) == ("赵六", "dfmfg")


@pytest.fixture
def dave(ent_a, ent_b):
    """HR in both A and B (a group HR department)."""
    user = UserFactory(email="dave@example.com")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR)
    MembershipFactory(user=user, enterprise=ent_b, role=Role.HR)
    enable_totp(user)
    return user


def test_multi_enterprise_user_must_pick_the_enterprise(as_user, dave, staff_a, staff_b):
    client = as_user(dave)
    assert client.get(EMPLOYEES).json()["count"] == 4
    ambiguous = client.get(f"{EMPLOYEES}A0001/")
    assert ambiguous.status_code == 400
    assert ambiguous.json()["errors"] == {"enterprise": ["请指定企业"]}
    assert client.get(f"{EMPLOYEES}A0001/", {"enterprise": "dfmfg"}).json()["name"] == "赵六"
    assert client.get(f"{EMPLOYEES}A0001/", {"enterprise": "hxchem"}).json()["name"] == "张伟"

    patch = json_patch(client, f"{EMPLOYEES}A0001/", {"name": "改名"})
    assert patch.status_code == 400 and patch.json()["errors"] == {"enterprise": ["请指定企业"]}
    assert json_patch(client, f"{EMPLOYEES}A0001/?enterprise=dfmfg", {"name": "赵六六"}).status_code == 200
    assert Employee.objects.get(enterprise__code="hxchem", employee_no="A0001").name == "张伟"

    event = {"employee_no": "A0001", "type": "leave", "date": "2026-01-10"}
    assert json_post(client, "/api/v1/events/", event).json()["errors"] == {"enterprise": ["请指定企业"]}
    assert json_post(client, "/api/v1/events/", {**event, "enterprise": "hxchem"}).status_code == 201
    assert Employee.objects.get(enterprise__code="hxchem", employee_no="A0001").status == "on_leave"
    assert Employee.objects.get(enterprise__code="dfmfg", employee_no="A0001").status == "active"

    new = {"employee_no": "N1", "name": "新人", "id_number": "11010119900307803X", "hire_date": "2026-01-05"}
    assert json_post(client, EMPLOYEES, new).json()["errors"] == {"enterprise": ["请指定企业"]}
    created = json_post(client, EMPLOYEES, {**new, "enterprise": "dfmfg"})
    assert created.status_code == 201 and created.json()["enterprise"] == "dfmfg"


def test_hr_in_b_and_trainer_in_a_cannot_write_a(as_user, ent_a, charlie, staff_a):
    MembershipFactory(user=charlie, enterprise=ent_a, role=Role.TRAINER)
    client = as_user(charlie)
    assert client.get(f"{EMPLOYEES}A0002/").status_code == 200  # trainers read the workforce
    response = json_patch(client, f"{EMPLOYEES}A0002/", {"name": "被篡改"})
    assert response.status_code == 403
    assert (
        json_post(
            client, "/api/v1/events/", {"employee_no": "A0002", "type": "leave", "date": "2026-01-10"}
        ).status_code
        == 400
    )
    assert Employee.objects.get(employee_no="A0002").name == "李娜"
    assert not EmploymentEvent.objects.exists()
