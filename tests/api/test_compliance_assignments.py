"""POST /api/v1/assignments/: the API's door to a post, through the clearance gate."""

import pytest

from lms.accounts.roles import Role
from lms.compliance.models import ClearanceCheck
from lms.workforce import services
from lms.workforce.models import HazardLevel, PostAssignment

from ..compliance.helpers import D, event, hire, induct, train
from ..factories import (
    EmployeeFactory,
    MembershipFactory,
    PostFactory,
    UserFactory,
    enable_totp,
)
from .conftest import json_post

ASSIGNMENTS = "/api/v1/assignments/"


def body(**overrides):
    return {"employee_no": "A0100", "post_code": "A-OP", "start_date": "2026-03-04", **overrides}


@pytest.fixture
def newcomer(ent_a, tree_a):
    """陈晨 (A0100), hired on 2026-03-02 for A-OP; no training yet."""
    employee = EmployeeFactory(
        enterprise=ent_a, employee_no="A0100", name="陈晨", org_unit=tree_a[2], hire_date=D(2026, 3, 2)
    )
    hire(employee, tree_a[3])
    return employee


@pytest.fixture
def trained(newcomer, tree_a):
    induct(newcomer, tree_a[3], D(2026, 3, 3), 24)
    return newcomer


# --- the gate ----------------------------------------------------------------------


def test_untrained_hire_is_refused_with_409_and_reasons(client_a, newcomer):
    response = json_post(client_a, ASSIGNMENTS, body())
    assert response.status_code == 409, response.json()
    refused = response.json()
    assert {k: refused[k] for k in ("cleared", "enterprise", "employee_no", "post_code", "date")} == {
        "cleared": False,
        "enterprise": "hxchem",
        "employee_no": "A0100",
        "post_code": "A-OP",
        "date": "2026-03-04",
    }
    assert [r["code"] for r in refused["reasons"]] == ["INDUCTION_LEVEL_MISSING"] * 3
    assert {r["required_hours"] for r in refused["reasons"]} == {"24"}
    assert any(r["message"] == "班组级安全教育未完成" for r in refused["reasons"])
    assert not PostAssignment.objects.filter(employee=newcomer).exists()


def test_the_409_body_has_the_same_shape_as_the_clearance_answer(client_a, newcomer):
    refused = json_post(client_a, ASSIGNMENTS, body()).json()
    checked = client_a.get("/api/v1/employees/A0100/clearance/", {"post": "A-OP", "date": "2026-03-04"}).json()
    assert refused == checked


def test_trained_hire_is_placed_with_201(client_a, trained):
    response = json_post(client_a, ASSIGNMENTS, body())
    assert response.status_code == 201, response.json()
    placed = response.json()
    assert {k: v for k, v in placed.items() if k not in ("id", "created_at")} == {
        "enterprise": "hxchem",
        "employee_no": "A0100",
        "employee_name": "陈晨",
        "post_code": "A-OP",
        "post_name": "操作工",
        "kind": "regular",
        "start_date": "2026-03-04",
        "end_date": None,
        "mentor_employee_no": None,
    }
    assignment = PostAssignment.objects.get(pk=placed["id"])
    assert (assignment.employee, assignment.post.code, assignment.created_by) == (trained, "A-OP", None)
    # The gate kept its answer in the person's clearance history.
    check = ClearanceCheck.objects.get(purpose="assignment")
    assert check.cleared and check.on_date == D(2026, 3, 4)


def test_hr_session_places_and_is_named_as_creator(as_user, alice, trained):
    response = json_post(as_user(alice), ASSIGNMENTS, body())
    assert response.status_code == 201, response.json()
    assert PostAssignment.objects.get(pk=response.json()["id"]).created_by == alice


def test_double_post_places_once(client_a, trained):
    first = json_post(client_a, ASSIGNMENTS, body())
    second = json_post(client_a, ASSIGNMENTS, body())
    assert first.status_code == 201
    assert second.status_code in (400, 409)
    assert second.json()["errors"] == {"post_code": ["该员工已在此岗位上"]}
    assert PostAssignment.objects.filter(employee=trained).count() == 1


def test_employee_on_leave_is_refused(client_a, trained):
    event(trained, "leave", D(2026, 3, 3))
    response = json_post(client_a, ASSIGNMENTS, body())
    assert response.status_code == 400
    assert response.json()["errors"] == {"employee_no": ["员工处于离岗状态，须先记录复岗"]}
    assert not PostAssignment.objects.exists()


# --- apprentices -------------------------------------------------------------------


@pytest.fixture
def reactor(ent_a, tree_a):
    """A red-level post that requires two months of apprenticeship."""
    return PostFactory(
        enterprise=ent_a,
        org_unit=tree_a[2],
        code="A-REACT",
        name="反应釜操作工",
        apprenticeship_months=2,
        hazard_level=HazardLevel.RED,
    )


def _veteran(enterprise, team, post, employee_no, hired, placed):
    """Someone inducted, signed off as apprentice, and on ``post`` since ``placed``."""
    employee = EmployeeFactory(enterprise=enterprise, employee_no=employee_no, org_unit=team, hire_date=hired)
    hire(employee, post)
    induct(employee, post, hired, 24)
    train(employee, "apprenticeship", 0, placed, post=post)
    services.assignment_create(employee=employee, post=post, start_date=placed, actor=None)
    return employee


@pytest.fixture
def master(ent_a, tree_a, reactor):
    """老周 (M001): on A-REACT since 2020, cleared for it."""
    return _veteran(ent_a, tree_a[2], reactor, "M001", D(2020, 1, 6), D(2020, 3, 10))


@pytest.fixture
def apprentice(ent_a, tree_a, reactor):
    """小刘 (A0200): hired 2026-03-02 for A-REACT, inducted; owes only the apprenticeship."""
    employee = EmployeeFactory(enterprise=ent_a, employee_no="A0200", org_unit=tree_a[2], hire_date=D(2026, 3, 2))
    hire(employee, reactor)
    induct(employee, reactor, D(2026, 3, 3), 24)
    return employee


def apprentice_body(**overrides):
    return body(
        **{"employee_no": "A0200", "post_code": "A-REACT", "kind": "apprentice", "mentor_no": "M001", **overrides}
    )


def test_apprentice_is_placed_under_a_cleared_senior_mentor(client_a, master, apprentice):
    response = json_post(client_a, ASSIGNMENTS, apprentice_body())
    assert response.status_code == 201, response.json()
    placed = response.json()
    assert (placed["kind"], placed["mentor_employee_no"], placed["post_code"]) == ("apprentice", "M001", "A-REACT")
    assignment = PostAssignment.objects.get(pk=placed["id"])
    assert assignment.mentor == master and assignment.employee == apprentice


def test_apprentice_may_not_be_placed_as_regular(client_a, master, apprentice):
    response = json_post(client_a, ASSIGNMENTS, body(employee_no="A0200", post_code="A-REACT"))
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["APPRENTICESHIP_INCOMPLETE"]
    assert not PostAssignment.objects.filter(employee=apprentice).exists()


def test_apprentice_without_induction_is_refused_even_with_a_mentor(client_a, ent_a, tree_a, reactor, master):
    raw = EmployeeFactory(enterprise=ent_a, employee_no="A0300", org_unit=tree_a[2], hire_date=D(2026, 3, 2))
    hire(raw, reactor)
    response = json_post(client_a, ASSIGNMENTS, apprentice_body(employee_no="A0300"))
    assert response.status_code == 409
    assert {r["code"] for r in response.json()["reasons"]} >= {"INDUCTION_LEVEL_MISSING"}
    assert not PostAssignment.objects.filter(employee=raw).exists()


def test_mentor_less_than_three_years_on_the_post_is_refused(client_a, ent_a, tree_a, reactor, apprentice):
    _veteran(ent_a, tree_a[2], reactor, "M002", D(2025, 1, 6), D(2025, 3, 10))
    response = json_post(client_a, ASSIGNMENTS, apprentice_body(mentor_no="M002"))
    assert response.status_code == 400
    assert response.json()["errors"] == {"mentor_no": ["师傅在该岗位工作不满 3 年"]}
    assert not PostAssignment.objects.filter(employee=apprentice).exists()


def test_mentor_not_on_the_post_is_refused(client_a, ent_a, tree_a, reactor, apprentice):
    # Trained and signed off for the post long ago, but not working it.
    idle = EmployeeFactory(enterprise=ent_a, employee_no="M003", org_unit=tree_a[2], hire_date=D(2015, 1, 5))
    hire(idle, reactor)
    induct(idle, reactor, D(2015, 1, 6), 24)
    train(idle, "apprenticeship", 0, D(2015, 3, 10), post=reactor)
    response = json_post(client_a, ASSIGNMENTS, apprentice_body(mentor_no="M003"))
    assert response.status_code == 400
    assert response.json()["errors"] == {"mentor_no": ["师傅必须正在该岗位上工作"]}
    assert not PostAssignment.objects.filter(employee=apprentice).exists()


def test_mentor_who_lost_clearance_is_refused(client_a, reactor, master, apprentice):
    # New equipment on the post: the mentor owes 四新 training before working it again.
    event(master, "new_process", D(2026, 3, 1), post=reactor)
    response = json_post(client_a, ASSIGNMENTS, apprentice_body())
    assert response.status_code == 400
    assert response.json()["errors"] == {"mentor_no": ["师傅本人未取得该岗位的上岗资格"]}
    assert not PostAssignment.objects.filter(employee=apprentice).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mentor_no": None}, "师带徒上岗必须指定师傅"),
        ({"mentor_no": ""}, "师带徒上岗必须指定师傅"),
        ({"mentor_no": "GHOST"}, "未找到该工号的师傅"),
        ({"mentor_no": "B0001"}, "未找到该工号的师傅"),
        ({"mentor_no": "A0200"}, "师傅必须是同一企业的其他员工"),
        ({"kind": "regular", "employee_no": "A0100", "post_code": "A-OP"}, "只有师带徒上岗才指定师傅"),
    ],
)
def test_mentor_errors(client_a, ent_b, tree_b, master, apprentice, trained, overrides, message):
    EmployeeFactory(enterprise=ent_b, employee_no="B0001", org_unit=tree_b[2], hire_date=D(2010, 1, 4))
    before = PostAssignment.objects.count()
    response = json_post(client_a, ASSIGNMENTS, apprentice_body(**overrides))
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {"mentor_no": [message]}
    assert PostAssignment.objects.count() == before


# --- who may place -----------------------------------------------------------------


def test_read_only_token_is_403(as_token, token_a_ro, trained):
    response = json_post(as_token(token_a_ro[1]), ASSIGNMENTS, body())
    assert response.status_code == 403
    assert response.json()["detail"] == "该令牌为只读令牌，不能修改数据"
    assert not PostAssignment.objects.exists()


def test_plain_employee_trainer_and_regulator_are_403(as_user, bob, charlie, regulator, ent_a, trained):
    trainer = UserFactory(email="trainer@example.com")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    for user in (bob, regulator, trainer):
        assert json_post(as_user(user), ASSIGNMENTS, body()).status_code == 403, user
    MembershipFactory(user=charlie, enterprise=ent_a, role=Role.TRAINER)  # a trainer in A, HR only in B
    response = json_post(as_user(charlie), ASSIGNMENTS, body())
    # charlie may write somewhere (B), but A0100 is not among the people he may change.
    assert response.status_code == 400 and response.json()["errors"] == {"employee_no": ["未找到该工号的员工"]}
    assert not PostAssignment.objects.exists()


def test_anonymous_is_refused(api, trained):
    assert json_post(api, ASSIGNMENTS, body()).status_code in (401, 403)
    assert not PostAssignment.objects.exists()


@pytest.fixture(params=["charlie", "token_b"])
def outsider(request, as_user, as_token):
    if request.param == "charlie":
        return as_user(request.getfixturevalue("charlie"))
    return as_token(request.getfixturevalue("token_b")[1])


def test_outsider_cannot_place_a_person_of_a(outsider, trained, tree_b):
    # Same answer whether the 工号 exists elsewhere or not at all: nothing about A leaks.
    response = json_post(outsider, ASSIGNMENTS, body())
    assert response.status_code == 400
    assert response.json()["errors"] == {"employee_no": ["未找到该工号的员工"]}
    naming_a = json_post(outsider, ASSIGNMENTS, body(enterprise="hxchem"))
    assert naming_a.status_code == 400
    assert naming_a.json()["errors"] == {"enterprise": ["企业不存在，或您无权修改该企业的数据"]}
    assert not PostAssignment.objects.exists()
    assert not ClearanceCheck.objects.exists()


def test_outsider_cannot_put_own_person_on_a_post_of_a(outsider, ent_b, tree_b, trained):
    EmployeeFactory(enterprise=ent_b, employee_no="B0001", org_unit=tree_b[2], hire_date=D(2024, 1, 2))
    response = json_post(outsider, ASSIGNMENTS, body(employee_no="B0001", post_code="A-OP"))
    assert response.status_code == 400
    assert response.json()["errors"] == {"post_code": ["该企业没有此编码的岗位"]}
    assert not PostAssignment.objects.exists()


def test_multi_enterprise_hr_must_name_the_enterprise(as_user, ent_a, ent_b, tree_b, trained):
    EmployeeFactory(enterprise=ent_b, employee_no="A0100", org_unit=tree_b[2], hire_date=D(2024, 1, 2))
    dave = UserFactory(email="dave@example.com")
    MembershipFactory(user=dave, enterprise=ent_a, role=Role.HR)
    MembershipFactory(user=dave, enterprise=ent_b, role=Role.HR)
    enable_totp(dave)
    client = as_user(dave)
    assert json_post(client, ASSIGNMENTS, body()).json()["errors"] == {"enterprise": ["请指定企业"]}
    placed = json_post(client, ASSIGNMENTS, body(enterprise="hxchem"))
    assert placed.status_code == 201 and placed.json()["enterprise"] == "hxchem"
    assert PostAssignment.objects.get().employee == trained


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"employee_no": None}, "employee_no"),
        ({"employee_no": "GHOST"}, "employee_no"),
        ({"employee_no": ["A0100"]}, "employee_no"),
        ({"employee_no": "E" * 10_000}, "employee_no"),
        ({"post_code": "NOPE"}, "post_code"),
        ({"post_code": "B-OP"}, "post_code"),
        ({"post_code": {"code": "A-OP"}}, "post_code"),
        ({"post_code": ""}, "post_code"),
        ({"post_code": "A-OLD"}, "post_code"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"start_date": 20260304}, "start_date"),
        ({"start_date": None}, "start_date"),
        ({"start_date": "2026-03-01"}, "start_date"),
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"kind": "boss"}, "kind"),
        ({"kind": ["regular"]}, "kind"),
        ({"mentor_no": {"no": 1}}, "mentor_no"),
        ({"end_date": "2026-12-31"}, "end_date"),
        ({"id": 5}, "id"),
    ],
)
def test_bad_input_is_a_field_error_never_a_500(client_a, trained, tree_a, tree_b, overrides, field):
    PostFactory(enterprise=trained.enterprise, org_unit=tree_a[2], code="A-OLD", is_active=False)
    response = json_post(client_a, ASSIGNMENTS, body(**overrides))
    assert response.status_code == 400, (overrides, response.status_code)
    assert field in response.json()["errors"], response.json()
    assert not PostAssignment.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null", b"[" * 100_000 + b"]" * 100_000])
def test_malformed_body_is_400(client_a, trained, raw):
    response = client_a.generic("POST", ASSIGNMENTS, raw, content_type="application/json")
    assert response.status_code == 400
    assert not PostAssignment.objects.exists()


def test_form_encoded_body_is_415(client_a, trained):
    assert client_a.post(ASSIGNMENTS, body()).status_code == 415
    assert not PostAssignment.objects.exists()
