"""The daily enrolment job, audience by unit, the course catalogue and the
demo courses."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from courses import services
from courses.demo import seed_courses
from courses.models import CourseIndexPage, CoursePage, Enrolment, LessonPage
from courses.tasks import enrol_from_obligations_task
from tests.conftest import login_with_mfa
from tests.factories import make_course
from tests.factories import make_worker

pytestmark = pytest.mark.django_db


def test_the_daily_job_enrols_from_obligations_and_assignments_once(charlie, ent_b, tree_b, worker):
    workshop = make_course(category="induction_workshop")
    refresher = make_course(category="refresher")
    services.course_assign(actor=charlie, course=refresher, org_unit=tree_b[0], due_date=dt.date(2026, 12, 31))
    newcomer = make_worker(ent_b, tree_b[1], "赵六", "W009")  # joined the unit after the assignment
    assert not Enrolment.objects.filter(employee=newcomer, course=refresher).exists()
    enrol_from_obligations_task()
    assert set(Enrolment.objects.filter(employee=newcomer).values_list("course_id", flat=True)) == {workshop.pk, refresher.pk}
    assert set(Enrolment.objects.filter(employee=worker).values_list("course_id", flat=True)) == {workshop.pk, refresher.pk}
    assert enrol_from_obligations_task() == 0
    assert enrol_from_obligations_task([worker.pk]) == 0


def test_a_course_for_one_unit_enrols_only_the_people_there(ent_b, tree_b, worker):
    company, workshop_unit, team, _post = tree_b
    office = make_worker(ent_b, company, "钱七", "W010")
    course = make_course(category="induction_workshop", enterprise=ent_b, audience_units=[workshop_unit])
    assert list(CoursePage.objects.get(pk=course.pk).audience_units.all()) == [workshop_unit]
    services.enrolments_from_obligations()
    assert [e.employee for e in Enrolment.objects.filter(course=course)] == [worker]  # 甲班 is in 一车间
    assert not Enrolment.objects.filter(employee=office).exists()


def test_the_catalogue_lists_shared_and_own_courses_only(learner, ent_a, ent_b):
    make_course(title="平台课程：警示教育", category="warning")
    make_course(title="东方机械 自有课程", category="warning", enterprise=ent_b)
    make_course(title="华兴化工 自有课程", category="warning", enterprise=ent_a)
    make_course(title="草稿课程", category="warning", live=False)
    index = CourseIndexPage.objects.get()
    html = login_with_mfa(Client(), learner).get(index.url).content.decode()
    assert "平台课程：警示教育" in html and "东方机械 自有课程" in html
    assert "华兴化工 自有课程" not in html and "草稿课程" not in html
    assert Client().get(index.url).status_code == 302  # login required


def test_a_lesson_without_enrolment_sends_the_learner_to_the_course(learner):
    course = make_course(category="warning")
    lesson = LessonPage.objects.child_of(course).get()
    response = login_with_mfa(Client(), learner).get(lesson.url)
    assert response.status_code == 302 and response["Location"].rstrip("/").endswith(course.url.rstrip("/"))


def test_someone_without_an_employee_record_cannot_enrol(alice):
    course = make_course(category="warning")
    response = login_with_mfa(Client(), alice).post(reverse("courses:course_enrol", args=[course.pk]))
    assert response.status_code == 403
    assert "您没有可以学习该课程的员工身份" in response.content.decode()


def test_demo_courses_are_seeded_once(ent_a, worker):
    first = seed_courses(log=lambda *a: None)
    assert first["created"] == 1 + 3 + 4 + 3 + 2  # index, 3 courses with 3+2+1 lessons, 1 private with 2
    assert CoursePage.objects.live().filter(enterprise=ent_a).count() == 1
    assert first["enrolled"] >= 1  # 张三 owes the workshop induction
    pages = CoursePage.objects.count() + LessonPage.objects.count()
    again = seed_courses(log=lambda *a: None)
    assert (again["created"], again["enrolled"]) == (0, 0)
    assert CoursePage.objects.count() + LessonPage.objects.count() == pages
