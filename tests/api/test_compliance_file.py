"""A person's file over the API: training records and obligations."""

import pytest

from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord

from ..compliance.helpers import D, event, hire, induct, train
from ..factories import EmployeeFactory, MembershipFactory, UserFactory, enable_totp

RECORDS = "/api/v1/employees/A0100/records/"
OBLIGATIONS = "/api/v1/employees/A0100/obligations/"


@pytest.fixture
def newcomer(ent_a, tree_a):
    """陈晨 (A0100), hired on 2026-03-02 for A-OP."""
    employee = EmployeeFactory(
        enterprise=ent_a, employee_no="A0100", name="陈晨", org_unit=tree_a[2], hire_date=D(2026, 3, 2)
    )
    hire(employee, tree_a[3])
    return employee


@pytest.fixture
def outsiders_file(ent_b, tree_b):
    """Someone in B with a record and obligations: must never show up for A."""
    other = EmployeeFactory(enterprise=ent_b, employee_no="B0100", name="赵六", org_unit=tree_b[2])
    hire(other, tree_b[3])
    train(other, "induction", 8, D(2024, 3, 2), level="company")
    return other


# --- records -----------------------------------------------------------------------


def test_records_are_listed_oldest_first_with_the_archive_fields(client_a, newcomer, tree_a, outsiders_file):
    post = tree_a[3]
    train(newcomer, "induction", 24, D(2026, 3, 3), level="company")
    wrong = train(newcomer, "induction", 24, D(2026, 3, 4), level="workshop", post=post)
    train(newcomer, "induction", 20, D(2026, 3, 4), level="workshop", post=post, corrects=wrong)
    response = client_a.get(RECORDS)
    assert response.status_code == 200, response.json()
    page = response.json()
    assert page["count"] == 3
    rows = page["results"]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    first, second, third = rows
    assert {k: second[k] for k in ("kind", "level", "post_code", "hours", "place", "trainer")} == {
        "kind": "induction",
        "level": "workshop",
        "post_code": "A-OP",
        "hours": "24.0",
        "place": "培训教室",
        "trainer": "王老师",
    }
    assert (first["post_code"], first["corrects"]) == (None, None)
    assert (second["assessment_method"], second["assessment_result"], second["source"]) == ("笔试", "passed", "offline")
    assert second["start_at"].startswith("2026-03-04T08:00:00") and second["start_at"].endswith("+08:00")
    # The correction is a new record that points at the one it corrects.
    assert third["corrects"] == second["id"] and third["hours"] == "20.0"
    # Each record carries the person's hash chain.
    assert first["prev_hash"] == "0" * 64
    assert second["prev_hash"] == first["hash"] and third["prev_hash"] == second["hash"]
    assert set(first) >= {
        "title",
        "content",
        "end_at",
        "participants",
        "score",
        "recorded_at",
        "recorded_by_name",
    }
    assert "赵六" not in response.content.decode()


def test_records_filter_by_kind(client_a, newcomer):
    train(newcomer, "induction", 24, D(2026, 3, 3), level="company")
    train(newcomer, "warning", 2, D(2026, 3, 5))
    rows = client_a.get(RECORDS, {"kind": "warning"}).json()["results"]
    assert [r["kind"] for r in rows] == ["warning"]
    assert client_a.get(RECORDS, {"kind": "party"}).status_code == 400


def test_person_without_records_has_an_empty_file(client_a, newcomer):
    assert client_a.get(RECORDS).json() == {"count": 0, "next": None, "previous": None, "results": []}


# --- obligations --------------------------------------------------------------------


def test_obligations_show_hours_status_rule_and_event(client_a, newcomer, tree_a, outsiders_file):
    train(newcomer, "induction", 24, D(2026, 3, 3), level="company")
    train(newcomer, "induction", 10, D(2026, 3, 4), level="workshop", post=tree_a[3])
    response = client_a.get(OBLIGATIONS)
    assert response.status_code == 200, response.json()
    rows = {r["level"]: r for r in response.json()["results"]}
    assert set(rows) == {"company", "workshop", "team"}
    company, workshop, team = rows["company"], rows["workshop"], rows["team"]
    assert (company["status"], company["completed_hours"], company["exam_passed"]) == ("met", "24.0", True)
    assert company["met_at"] is not None and company["post_code"] is None
    assert {k: workshop[k] for k in ("kind", "post_code", "min_hours", "completed_hours", "status")} == {
        "kind": "induction",
        "post_code": "A-OP",
        "min_hours": "24.0",
        "completed_hours": "10.0",
        "status": "open",
    }
    assert (team["start_date"], team["due_date"], team["end_date"], team["cycle"]) == (
        "2026-03-02",
        "2026-04-01",
        None,
        "",
    )
    assert team["exam_required"] is True and team["blocks_post"] is True
    assert (team["event_type"], team["event_date"]) == ("hire", "2026-03-02")
    assert team["rule"]["code"] == "induction" and team["rule"]["version"] >= 1
    assert "令3" in team["rule"]["source"] and team["rule"]["jurisdiction"]
    assert "B0100" not in response.content.decode()


def test_obligations_filter_by_status(client_a, newcomer):
    train(newcomer, "induction", 24, D(2026, 3, 3), level="company")
    open_rows = client_a.get(OBLIGATIONS, {"status": "open"}).json()["results"]
    assert sorted(r["level"] for r in open_rows) == ["team", "workshop"]
    assert [r["level"] for r in client_a.get(OBLIGATIONS, {"status": "met"}).json()["results"]] == ["company"]
    assert client_a.get(OBLIGATIONS, {"status": "done!"}).status_code == 400


# --- no per-row queries --------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_record_list_queries_do_not_grow(client_a, newcomer, tree_a, size, django_assert_max_num_queries):
    for i in range(size):
        train(newcomer, "induction", 1, D(2026, 3, 3), level="workshop", post=tree_a[3] if i % 2 else None)
    client_a.get(RECORDS)  # the token's last_used_at write happens on first use only
    with django_assert_max_num_queries(5):
        response = client_a.get(RECORDS, {"limit": 100})
    assert len(response.json()["results"]) == size


@pytest.mark.parametrize("size", [3, 30])
def test_obligation_list_queries_do_not_grow(client_a, newcomer, tree_a, size, django_assert_max_num_queries):
    # The hire made 3 obligations; each new-process event adds one more.
    for _ in range(size - 3):
        event(newcomer, "new_process", D(2026, 3, 5), post=tree_a[3])
    client_a.get(OBLIGATIONS)
    with django_assert_max_num_queries(5):
        response = client_a.get(OBLIGATIONS, {"limit": 100})
    rows = response.json()["results"]
    assert len(rows) == size and all(r["rule"]["source"] and r["event_type"] for r in rows)


@pytest.mark.parametrize("url", [RECORDS, OBLIGATIONS])
def test_session_queries_are_bounded(as_user, alice, newcomer, tree_a, url, django_assert_max_num_queries):
    induct(newcomer, tree_a[3], D(2026, 3, 3), 8)
    client = as_user(alice)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.json()["count"] == 3


# --- who may read ----------------------------------------------------------------------


@pytest.fixture(params=["charlie", "token_b"])
def outsider(request, as_user, as_token):
    if request.param == "charlie":
        return as_user(request.getfixturevalue("charlie"))
    return as_token(request.getfixturevalue("token_b")[1])


@pytest.mark.parametrize("url", [RECORDS, OBLIGATIONS])
def test_outsider_gets_404(outsider, newcomer, url):
    train(newcomer, "induction", 24, D(2026, 3, 3), level="company")
    for params in ({}, {"enterprise": "hxchem"}, {"enterprise": "dfmfg"}):
        response = outsider.get(url, params)
        assert response.status_code == 404, params
        assert "培训教室" not in response.content.decode()


@pytest.mark.parametrize("url", [RECORDS, OBLIGATIONS])
def test_read_only_token_and_trainer_read(as_token, token_a_ro, as_user, charlie, ent_a, newcomer, url):
    assert as_token(token_a_ro[1]).get(url).status_code == 200
    MembershipFactory(user=charlie, enterprise=ent_a, role=Role.TRAINER)
    assert as_user(charlie).get(url).status_code == 200


@pytest.mark.parametrize("url", [RECORDS, OBLIGATIONS])
def test_plain_employee_regulator_and_anonymous_are_refused(api, as_user, bob, regulator, newcomer, url):
    assert as_user(bob).get(url).status_code == 403
    assert as_user(regulator).get(url).status_code == 403
    assert api.get(url).status_code in (401, 403)


@pytest.mark.parametrize("suffix", ["records/", "obligations/"])
def test_writes_are_not_allowed(client_a, newcomer, suffix):
    url = f"/api/v1/employees/A0100/{suffix}"
    assert client_a.post(url, {}, format="json").status_code == 405
    assert client_a.delete(url).status_code == 405
    assert TrainingRecord.objects.count() == 0


@pytest.mark.parametrize("suffix", ["records/", "obligations/"])
def test_ambiguous_or_weird_employee_no(as_user, client_a, ent_a, ent_b, tree_b, newcomer, suffix):
    for no in ("%00", "..", "x" * 500, "张伟", "A0100%0A"):
        assert client_a.get(f"/api/v1/employees/{no}/{suffix}").status_code == 404, no
    train(newcomer, "induction", 24, D(2026, 3, 3), level="company")
    EmployeeFactory(enterprise=ent_b, employee_no="A0100", name="赵六", org_unit=tree_b[2])
    dave = UserFactory(email="dave@example.com")
    MembershipFactory(user=dave, enterprise=ent_a, role=Role.HR)
    MembershipFactory(user=dave, enterprise=ent_b, role=Role.HR)
    enable_totp(dave)
    client = as_user(dave)
    url = f"/api/v1/employees/A0100/{suffix}"
    assert client.get(url).json()["errors"] == {"enterprise": ["请指定企业"]}
    assert client.get(url, {"enterprise": "hxchem"}).json()["count"] == (3 if suffix == "obligations/" else 1)
    assert client.get(url, {"enterprise": "dfmfg"}).json()["count"] == 0
