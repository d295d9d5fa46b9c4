"""Online learning over the API: the course catalogue and a person's
enrolments with their progress."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from courses import services
from courses.models import Enrolment, LessonProgress
from lms.archive.models import TrainingRecord

from ..factories import EmployeeFactory, make_course

COURSES = "/api/v1/courses/"


def enrolments_url(employee_no):
    return f"/api/v1/employees/{employee_no}/enrolments/"


def titles(response):
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.fixture
def catalogue(ent_a, ent_b):
    """A platform course, a private course of A and of B, and a platform
    course still in draft."""
    return {
        "platform": make_course(title="车间级安全教育（通用）", category="induction_workshop", lessons=2, min_minutes=15,
                                credit_hours=Decimal("3")),
        "a": make_course(title="华兴化工 班组级安全教育", category="induction_team", enterprise=ent_a),
        "b": make_course(title="东方机械 班组级安全教育", category="induction_team", enterprise=ent_b),
        "draft": make_course(title="草稿课程", category="warning", live=False),
    }


# --- the catalogue ------------------------------------------------------------------


def test_tokens_see_platform_courses_and_their_own_enterprises_private_ones(
    catalogue, as_token, token_a, token_b
):
    assert titles(as_token(token_a[1]).get(COURSES)) == ["车间级安全教育（通用）", "华兴化工 班组级安全教育"]
    assert titles(as_token(token_b[1]).get(COURSES)) == ["车间级安全教育（通用）", "东方机械 班组级安全教育"]


def test_people_see_what_their_enterprise_may_study(catalogue, as_user, bob, alice, charlie):
    # A plain employee reads the catalogue they already see in 在线课程.
    assert titles(as_user(bob).get(COURSES)) == ["车间级安全教育（通用）", "华兴化工 班组级安全教育"]
    assert titles(as_user(alice).get(COURSES)) == ["车间级安全教育（通用）", "华兴化工 班组级安全教育"]
    assert titles(as_user(charlie).get(COURSES)) == ["车间级安全教育（通用）", "东方机械 班组级安全教育"]


def test_catalogue_refuses_regulators_and_anonymous_callers(catalogue, as_user, api, regulator):
    response = as_user(regulator).get(COURSES)
    assert response.status_code == 403
    assert "监管" in response.json()["detail"]
    assert api.get(COURSES).status_code == 401


def test_course_fields(catalogue, client_a):
    row = next(r for r in client_a.get(COURSES).json()["results"] if r["id"] == catalogue["platform"].pk)
    assert row["category"] == "induction_workshop" and row["category_label"] == "车间级安全教育"
    assert (row["credit_hours"], row["record_kind"], row["record_level"]) == ("3.0", "induction", "workshop")
    assert row["enterprise"] is None
    assert (row["lesson_count"], row["total_min_minutes"]) == (2, 30)
    assert row["url"].startswith("http") and row["url"].endswith(catalogue["platform"].url)
    private = next(r for r in client_a.get(COURSES).json()["results"] if r["id"] == catalogue["a"].pk)
    assert (private["enterprise"], private["category_label"], private["record_level"]) == ("hxchem", "班组级安全教育", "team")
    assert (private["lesson_count"], private["total_min_minutes"]) == (1, 10)


def test_catalogue_filters_by_category_and_rejects_unknown_ones(catalogue, client_a):
    assert titles(client_a.get(COURSES, {"category": "induction_team"})) == ["华兴化工 班组级安全教育"]
    assert titles(client_a.get(COURSES, {"category": "warning"})) == []  # the draft is not listed
    response = client_a.get(COURSES, {"category": "cooking"})
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


def test_catalogue_is_paginated(catalogue, client_a):
    page = client_a.get(COURSES, {"limit": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and "offset=1" in page["next"]


@pytest.mark.parametrize("size", [2, 8])
def test_catalogue_queries_do_not_grow_with_courses(ent_a, client_a, size, django_assert_max_num_queries):
    for _ in range(size):
        make_course(lessons=2)
        make_course(enterprise=ent_a, lessons=1)
    with django_assert_max_num_queries(7):
        response = client_a.get(COURSES)
    assert response.json()["count"] == 2 * size


# --- a person's enrolments ------------------------------------------------------------


def _progress(enrolment, lesson, seconds, done=False):
    return LessonProgress.objects.create(
        enrolment=enrolment, lesson=lesson, seconds=seconds, completed_at=timezone.now() if done else None
    )


@pytest.fixture
def bob_enrolled(bob, catalogue):
    """Bob studies the two-lesson platform course (one lesson done) and has
    finished A's private course (a record in his file)."""
    employee = bob.employee
    active = Enrolment.objects.create(
        employee=employee, course=catalogue["platform"], source=Enrolment.Source.OBLIGATION, due_date=dt.date(2026, 12, 1)
    )
    first, second = catalogue["platform"].get_lessons()
    _progress(active, first, 900, done=True)
    _progress(active, second, 120)
    finished = Enrolment.objects.create(employee=employee, course=catalogue["a"], source=Enrolment.Source.SELF)
    _progress(finished, catalogue["a"].get_lessons().get(), 600, done=True)
    record = services.enrolment_complete(enrolment=finished)
    assert record is not None
    return employee, active, finished, record


def test_hr_reads_an_employees_enrolments_with_progress(bob_enrolled, as_user, alice):
    employee, active, finished, record = bob_enrolled
    response = as_user(alice).get(enrolments_url(employee.employee_no))
    assert response.status_code == 200, response.content
    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(rows) == {active.pk, finished.pk}
    row = rows[active.pk]
    assert (row["course"], row["course_title"]) == (active.course_id, "车间级安全教育（通用）")
    assert (row["source"], row["status"], row["due_date"]) == ("obligation", "active", "2026-12-01")
    assert (row["lessons_done"], row["lessons_total"], row["seconds"]) == (1, 2, 1020)
    assert row["completed_at"] is None and row["record"] is None
    done = rows[finished.pk]
    assert (done["status"], done["source"], done["lessons_done"], done["lessons_total"]) == ("completed", "self", 1, 1)
    assert done["record"] == record.pk and done["completed_at"] is not None
    assert TrainingRecord.objects.get(pk=done["record"]).employee == employee


def test_enrolments_filter_by_status(bob_enrolled, client_a):
    employee, active, finished, _record = bob_enrolled
    url = enrolments_url(employee.employee_no)
    assert [r["id"] for r in client_a.get(url, {"status": "completed"}).json()["results"]] == [finished.pk]
    assert [r["id"] for r in client_a.get(url, {"status": "active"}).json()["results"]] == [active.pk]
    response = client_a.get(url, {"status": "paused"})
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_enrolments_of_another_enterprises_employee_are_a_404(bob_enrolled, as_user, as_token, charlie, token_b):
    employee = bob_enrolled[0]
    assert as_user(charlie).get(enrolments_url(employee.employee_no)).status_code == 404
    assert as_token(token_b[1]).get(enrolments_url(employee.employee_no)).status_code == 404
    assert as_user(charlie).get(enrolments_url("NOPE1")).status_code == 404


def test_enrolments_refuse_plain_employees_and_regulators(bob_enrolled, as_user, api, bob, regulator):
    employee = bob_enrolled[0]
    # Like the employee detail endpoint: a plain employee (even reading themself) has no API access.
    assert as_user(bob).get(enrolments_url(employee.employee_no)).status_code == 403
    assert as_user(bob).get(f"/api/v1/employees/{employee.employee_no}/").status_code == 403
    assert as_user(regulator).get(enrolments_url(employee.employee_no)).status_code == 403
    assert api.get(enrolments_url(employee.employee_no)).status_code == 401


def test_the_same_number_in_another_enterprise_is_never_read(bob_enrolled, catalogue, as_user, alice, ent_b):
    employee, active, finished, _record = bob_enrolled
    twin = EmployeeFactory(enterprise=ent_b, employee_no=employee.employee_no, name="赵六")
    Enrolment.objects.create(employee=twin, course=catalogue["b"], source=Enrolment.Source.SELF)
    rows = as_user(alice).get(enrolments_url(employee.employee_no)).json()["results"]
    assert {r["id"] for r in rows} == {active.pk, finished.pk}
    assert as_user(alice).get(enrolments_url(employee.employee_no), {"enterprise": "dfmfg"}).status_code == 404


@pytest.mark.parametrize("size", [2, 10])
def test_enrolment_queries_do_not_grow_with_rows(bob, ent_a, client_a, size, django_assert_max_num_queries):
    for _ in range(size):
        course = make_course(lessons=2, enterprise=ent_a)
        enrolment = Enrolment.objects.create(employee=bob.employee, course=course, source=Enrolment.Source.ASSIGNMENT,
                                             due_date=dt.date(2026, 12, 1))
        for lesson in course.get_lessons():
            _progress(enrolment, lesson, 60, done=True)
    with django_assert_max_num_queries(8):
        response = client_a.get(enrolments_url(bob.employee.employee_no))
    rows = response.json()["results"]
    assert len(rows) == size and all((r["lessons_done"], r["lessons_total"], r["seconds"]) == (2, 2, 120) for r in rows)


# --- schema ----------------------------------------------------------------------------


def test_schema_describes_both_endpoints_with_examples():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=io.StringIO())
    schema = yaml.safe_load(out.getvalue())
    courses = schema["paths"]["/api/v1/courses/"]["get"]
    enrolments = schema["paths"]["/api/v1/employees/{employee_no}/enrolments/"]["get"]
    assert (courses["summary"], enrolments["summary"]) == ("课程列表", "员工选课与学习进度")
    assert {p["name"] for p in courses["parameters"]} >= {"category", "limit", "offset"}
    assert {p["name"] for p in enrolments["parameters"]} >= {"employee_no", "status", "enterprise"}
    example = courses["responses"]["200"]["content"]["application/json"]["examples"]["平台共享的车间级课程"]
    assert example["value"]["results"][0]["category_label"] == "车间级安全教育"
    fields = schema["components"]["schemas"]["EnrolmentOut"]["properties"]
    assert {"lessons_done", "lessons_total", "seconds", "record", "course_title"} <= set(fields)
