"""GET /api/v1/employees/{employee_no}/clearance/: may this person work this post on this date?"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from lms.accounts.roles import Role
from lms.compliance.models import ClearanceCheck

from ..compliance.helpers import D, hire, induct
from ..factories import (
    EmployeeFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    enable_totp,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def url(no="A0100"):
    return f"/api/v1/employees/{no}/clearance/"


@pytest.fixture
def newcomer(ent_a, tree_a):
    """陈晨 (A0100), hired on 2026-03-02 for A-OP; no training yet."""
    employee = EmployeeFactory(
        enterprise=ent_a, employee_no="A0100", name="陈晨", org_unit=tree_a[2], hire_date=D(2026, 3, 2)
    )
    hire(employee, tree_a[3])
    return employee


def test_untrained_hire_is_refused_with_machine_readable_reasons(client_a, newcomer):
    response = client_a.get(url(), {"post": "A-OP", "date": "2026-03-04"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {k: body[k] for k in ("cleared", "enterprise", "employee_no", "post_code", "post_name", "date")} == {
        "cleared": False,
        "enterprise": "hxchem",
        "employee_no": "A0100",
        "post_code": "A-OP",
        "post_name": "操作工",
        "date": "2026-03-04",
    }
    assert [r["code"] for r in body["reasons"]] == ["INDUCTION_LEVEL_MISSING"] * 3
    workshop = next(r for r in body["reasons"] if "车间级" in r["message"])
    # A high-risk enterprise owes 72 hours: 24 per level, due 30 days after the hire.
    assert workshop["message"] == "车间级安全教育未完成"
    assert (workshop["required_hours"], workshop["completed_hours"], workshop["due_date"]) == ("24", "0", "2026-04-01")
    assert "24 学时" in workshop["satisfy"] and workshop["obligation_id"]
    assert set(workshop) == {
        "code",
        "message",
        "satisfy",
        "obligation_id",
        "required_hours",
        "completed_hours",
        "due_date",
        "certificate_id",
    }


def test_trained_hire_is_cleared(client_a, newcomer, tree_a):
    induct(newcomer, tree_a[3], D(2026, 3, 3), 24)
    body = client_a.get(url(), {"post": "A-OP", "date": "2026-03-04"}).json()
    assert (body["cleared"], body["reasons"]) == (True, [])


def test_partly_trained_hire_sees_the_missing_hours(client_a, newcomer, tree_a):
    induct(newcomer, tree_a[3], D(2026, 3, 3), 20)
    body = client_a.get(url(), {"post": "A-OP", "date": "2026-03-04"}).json()
    assert body["cleared"] is False
    assert {r["code"] for r in body["reasons"]} == {"HOURS_SHORT"}
    assert all("还差 4 学时" in r["message"] for r in body["reasons"])


def test_every_check_is_kept_in_the_clearance_history(as_user, alice, client_a, newcomer):
    client_a.get(url(), {"post": "A-OP", "date": "2026-03-04"})
    as_user(alice).get(url(), {"post": "A-OP", "date": "2026-03-05"})
    checks = list(ClearanceCheck.objects.order_by("on_date"))
    assert [(c.on_date, c.cleared, c.purpose) for c in checks] == [
        (D(2026, 3, 4), False, "api"),
        (D(2026, 3, 5), False, "api"),
    ]
    assert checks[0].checked_by is None and checks[1].checked_by == alice
    assert [r["code"] for r in checks[0].reasons] == ["INDUCTION_LEVEL_MISSING"] * 3
    assert checks[0].employee == newcomer and checks[0].post.code == "A-OP"


def test_date_defaults_to_today_in_beijing(client_a, newcomer, monkeypatch):
    # 20:00 UTC on 23 November is already 24 November in Asia/Shanghai.
    late_evening_utc = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_evening_utc)
    body = client_a.get(url(), {"post": "A-OP"}).json()
    assert body["date"] == "2026-11-24"
    assert ClearanceCheck.objects.get().on_date == D(2026, 11, 24)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "post", None),
        ({"post": ""}, "post", None),
        ({"post": "NOPE"}, "post", "该企业没有此编码的岗位"),
        ({"post": "B-OP"}, "post", "该企业没有此编码的岗位"),
        ({"post": "A-OLD"}, "post", "岗位已停用"),
        ({"post": "P" * 500}, "post", None),
        ({"post": "A-OP", "date": "2026-13-01"}, "date", None),
        ({"post": "A-OP", "date": "yesterday"}, "date", None),
        ({"post": "A-OP", "date": "2026-03-04T08:00:00"}, "date", None),
        ({"post": "A-OP", "date": "\x00"}, "date", None),
    ],
)
def test_bad_post_or_date_is_a_field_error_in_chinese(client_a, newcomer, tree_a, tree_b, params, field, message):
    PostFactory(enterprise=newcomer.enterprise, org_unit=tree_a[2], code="A-OLD", is_active=False)
    response = client_a.get(url(), params)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(CJK.search(m) for m in errors[field]), errors
    if message:
        assert errors[field] == [message]
    assert not ClearanceCheck.objects.exists()


@pytest.fixture(params=["charlie", "token_b"])
def outsider(request, as_user, as_token):
    if request.param == "charlie":
        return as_user(request.getfixturevalue("charlie"))
    return as_token(request.getfixturevalue("token_b")[1])


def test_outsider_gets_404_and_nothing_is_recorded(outsider, newcomer, tree_b):
    for params in ({"post": "A-OP"}, {"post": "B-OP"}, {"post": "A-OP", "enterprise": "hxchem"}, {}):
        response = outsider.get(url(), params)
        assert response.status_code == 404, params
        assert "陈晨" not in response.content.decode()
    assert not ClearanceCheck.objects.exists()


def test_read_only_token_and_trainer_may_check(as_token, token_a_ro, as_user, charlie, ent_a, newcomer):
    assert as_token(token_a_ro[1]).get(url(), {"post": "A-OP"}).status_code == 200
    MembershipFactory(user=charlie, enterprise=ent_a, role=Role.TRAINER)
    assert as_user(charlie).get(url(), {"post": "A-OP"}).status_code == 200


def test_plain_employee_regulator_and_anonymous_are_refused(api, as_user, bob, regulator, newcomer):
    assert as_user(bob).get(url(), {"post": "A-OP"}).status_code == 403
    assert as_user(regulator).get(url(), {"post": "A-OP"}).status_code == 403
    assert api.get(url(), {"post": "A-OP"}).status_code in (401, 403)
    assert not ClearanceCheck.objects.exists()


def test_ambiguous_employee_no_needs_the_enterprise(as_user, ent_a, ent_b, newcomer, tree_b):
    EmployeeFactory(enterprise=ent_b, employee_no="A0100", name="赵六", org_unit=tree_b[2])
    dave = UserFactory(email="dave@example.com")
    MembershipFactory(user=dave, enterprise=ent_a, role=Role.HR)
    MembershipFactory(user=dave, enterprise=ent_b, role=Role.HR)
    enable_totp(dave)
    client = as_user(dave)
    ambiguous = client.get(url(), {"post": "A-OP"})
    assert ambiguous.status_code == 400 and ambiguous.json()["errors"] == {"enterprise": ["请指定企业"]}
    assert client.get(url(), {"post": "A-OP", "enterprise": "hxchem"}).json()["employee_no"] == "A0100"
    # 赵六 of B asked about A's post: not a post of his enterprise.
    other = client.get(url(), {"post": "A-OP", "enterprise": "dfmfg"})
    assert other.status_code == 400 and other.json()["errors"] == {"post": ["该企业没有此编码的岗位"]}
    zhao = client.get(url(), {"post": "B-OP", "enterprise": "dfmfg"}).json()
    assert (zhao["enterprise"], zhao["employee_no"], zhao["post_code"]) == ("dfmfg", "A0100", "B-OP")


def test_weird_employee_no_is_404(client_a, newcomer):
    for no in ("%00", "..", "x" * 500, "张伟"):
        assert client_a.get(url(no), {"post": "A-OP"}).status_code == 404, no
