"""GET /api/v1/exams/ and GET /api/v1/employees/{employee_no}/exam-results/:
scoped to the caller's enterprise, read-only, no answer keys."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from exams import services
from tests.conftest import login_with_mfa
from tests.factories import make_api_token

from .engine_helpers import (  # noqa: F401  (fixtures)
    answer_all,
    bank,
    bank_a,
    exam,
    fixed_paper,
    four_types,
    principal,
    single,
)

pytestmark = pytest.mark.django_db

EXAMS = "/api/v1/exams/"


def results_url(employee_no):
    return f"/api/v1/employees/{employee_no}/exam-results/"


def _token_client(enterprise):
    _token, key = make_api_token(enterprise, can_write=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def now_window():
    now = timezone.now()
    return {"opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(hours=2)}


@pytest.fixture
def exams_ab(ent_a, ent_b, four_types, now_window):
    paper_a = fixed_paper(ent_a, [(four_types[k], 25) for k in ("single", "multiple", "true_false", "fill")])
    open_a = exam(ent_a, paper_a, title="A 年度考试", **now_window)
    now = timezone.now()
    later_a = exam(
        ent_a, paper_a, title="A 下月考试", opens_at=now + dt.timedelta(days=30), closes_at=now + dt.timedelta(days=31)
    )
    b_bank = bank(ent_b, name="B 题库")
    exam_b = exam(ent_b, fixed_paper(ent_b, [(single(b_bank), 100)]), title="B 考试", **now_window)
    return open_a, later_a, exam_b


def test_exam_list_is_scoped_to_the_callers_enterprise(exams_ab, alice, ent_a, ent_b):
    open_a, later_a, exam_b = exams_ab
    hr = login_with_mfa(APIClient(), alice).get(EXAMS)
    assert hr.status_code == 200
    assert [e["title"] for e in hr.json()["results"]] == ["A 下月考试", "A 年度考试"]
    row = next(e for e in hr.json()["results"] if e["id"] == open_a.pk)
    assert row["enterprise"] == "hxchem" and row["state"] == "open" and row["question_count"] == 4
    assert row["total_points"] == "100.0" and row["pass_score"] == "80.0" and row["record_kind"] == "principal"
    assert row["audience"] == {"principals_and_safety_managers": True}
    token_b = _token_client(ent_b).get(EXAMS).json()["results"]
    assert [e["title"] for e in token_b] == ["B 考试"]
    assert [e["title"] for e in _token_client(ent_a).get(EXAMS, {"state": "upcoming"}).json()["results"]] == [
        "A 下月考试"
    ]
    assert _token_client(ent_a).get(EXAMS, {"state": "soon"}).status_code == 400
    assert _token_client(ent_a).get(EXAMS, {"enterprise": "dfmfg"}).json()["results"] == []


def test_exam_list_is_refused_to_plain_employees_and_anonymous(exams_ab, bob):
    assert APIClient().get(EXAMS).status_code in (401, 403)
    employee = APIClient()
    employee.force_login(bob)
    response = employee.get(EXAMS)
    assert response.status_code == 403 and "权限" in response.json()["detail"]


def test_exam_list_is_read_only(exams_ab, ent_a):
    _token, key = make_api_token(ent_a, can_write=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post(EXAMS, {}, format="json").status_code == 405


@pytest.mark.parametrize("size", [2, 12])
def test_exam_list_queries_do_not_grow(ent_a, four_types, now_window, size, django_assert_max_num_queries):
    paper = fixed_paper(ent_a, [(four_types["single"], 100)])
    for n in range(size):
        exam(ent_a, paper, title=f"考试 {n}", **now_window)
    client = _token_client(ent_a)
    client.get(EXAMS)
    with django_assert_max_num_queries(6):
        response = client.get(EXAMS, {"limit": 100})
    assert response.json()["count"] == size


def test_exam_results_of_one_person(exams_ab, principal, alice, charlie, ent_a, ent_b):
    open_a, _later, _b = exams_ab
    employee = principal.employee
    first = services.attempt_start(open_a, employee)
    answer_all(first, correct=False)
    first = services.attempt_submit(first)
    second = services.attempt_start(open_a, employee)  # still answering: not a result yet
    hr = login_with_mfa(APIClient(), alice).get(results_url(employee.employee_no))
    assert hr.status_code == 200
    rows = hr.json()["results"]
    assert len(rows) == 1 and rows[0]["id"] == first.pk and second.pk != first.pk
    row = rows[0]
    assert (row["exam"], row["exam_title"], row["enterprise"], row["number"]) == (open_a.pk, "A 年度考试", "hxchem", 1)
    assert (row["score"], row["max_score"], row["percent"], row["pass_score"], row["passed"]) == (
        "0.0",
        "100.0",
        "0.0",
        "80.0",
        False,
    )
    assert row["record"] == first.record_id and row["status"] == "graded"
    assert "answer" not in hr.content.decode().replace("answered", "")
    assert _token_client(ent_a).get(results_url(employee.employee_no), {"exam": open_a.pk}).json()["count"] == 1
    # Another enterprise: the 工号 does not exist for them.
    assert login_with_mfa(APIClient(), charlie).get(results_url(employee.employee_no)).status_code == 404
    assert _token_client(ent_b).get(results_url(employee.employee_no)).status_code == 404
