"""Recording employment events over the API."""

import datetime as dt

import pytest

from lms.workforce.models import Employee, EmploymentEvent, PostAssignment

from ..factories import PostFactory
from .conftest import json_post

EVENTS = "/api/v1/events/"


def test_leave_event_is_recorded_from_the_api_and_ends_assignments(client_a, staff_a):
    response = json_post(
        client_a, EVENTS, {"employee_no": "A0001", "type": "leave", "date": "2026-01-10", "note": "病假"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("enterprise", "employee_no", "type", "date", "post_code", "note", "source")} == {
        "enterprise": "hxchem",
        "employee_no": "A0001",
        "type": "leave",
        "date": "2026-01-10",
        "post_code": None,
        "note": "病假",
        "source": "api",
    }
    event = EmploymentEvent.objects.get(pk=body["id"])
    assert event.source == "api" and event.recorded_by is None
    zhang = Employee.objects.get(employee_no="A0001")
    assert zhang.status == "on_leave"
    assert PostAssignment.objects.get(employee=zhang).end_date == dt.date(2026, 1, 9)


def test_transfer_names_the_new_post_and_ends_the_old(as_user, alice, staff_a, tree_a):
    PostFactory(enterprise=staff_a[0].enterprise, org_unit=tree_a[2], code="A-WELD", name="焊工")
    response = json_post(
        as_user(alice),
        EVENTS,
        {"employee_no": "A0001", "type": "transfer", "date": "2026-01-10", "post_code": "A-WELD"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["post_code"] == "A-WELD"
    event = EmploymentEvent.objects.get()
    assert event.recorded_by == alice and event.post.code == "A-WELD"
    # The old post ends; the new one is entered through the clearance gate, not here.
    assert list(PostAssignment.objects.filter(end_date__isnull=True)) == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"type": "transfer"}, "post_code", "转岗必须填写目标岗位"),
        ({"type": "transfer", "post_code": "NOPE"}, "post_code", "该企业没有此编码的岗位"),
        ({"type": "transfer", "post_code": "B-OP"}, "post_code", "该企业没有此编码的岗位"),
        ({"employee_no": "GHOST"}, "employee_no", "未找到该工号的员工"),
        ({"date": "2026-13-01"}, "date", None),
        ({"date": "yesterday"}, "date", None),
        ({"date": "2023-01-01"}, "date", "日期不能早于入职日期"),
        ({"date": "2099-01-01"}, "date", "日期不能晚于一年以后"),
        ({"type": "sacked"}, "type", None),
        ({"type": "return"}, "type", "该员工未处于离岗状态，无需复岗"),
        ({"type": "hire"}, "type", None),
        ({"note": "长" * 501}, "note", None),
        ({"mood": "bad"}, "mood", "未知字段，不能写入"),
    ],
)
def test_event_field_errors_write_nothing(client_a, staff_a, tree_b, body, field, message):
    if body.get("type") == "hire":
        # A hire event already exists for this employee once created through the service.
        json_post(client_a, EVENTS, {"employee_no": "A0001", "type": "hire", "date": "2024-03-01"})
    before = EmploymentEvent.objects.count()
    response = json_post(client_a, EVENTS, {"employee_no": "A0001", "type": "leave", "date": "2026-01-10", **body})
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    if message:
        assert response.json()["errors"][field] == [message]
    assert EmploymentEvent.objects.count() == before
    assert Employee.objects.get(employee_no="A0001").status == "active"


def test_event_for_employee_on_leave_can_return(client_a, staff_a):
    response = json_post(client_a, EVENTS, {"employee_no": "A0003", "type": "return", "date": "2026-01-10"})
    assert response.status_code == 201
    assert Employee.objects.get(employee_no="A0003").status == "active"


@pytest.mark.rule("retrain.fatal_accident")
def test_fatal_accident_is_recorded_from_the_api_and_the_principal_owes_retraining(client_a, staff_a, ent_a):
    from lms.compliance.models import Obligation, ObligationKind

    from ..factories import EmployeeFactory

    boss = EmployeeFactory(enterprise=ent_a, employee_no="A0100", is_principal=True, hire_date=dt.date(2024, 1, 2))
    response = json_post(client_a, EVENTS, {"employee_no": "A0001", "type": "fatal_accident", "date": "2026-03-01"})
    assert response.status_code == 201, response.json()
    [owed] = Obligation.objects.filter(kind=ObligationKind.FATAL_ACCIDENT_RETRAINING)
    assert owed.employee == boss and owed.min_hours == 16  # high-risk: 令3 §9 annual hours
