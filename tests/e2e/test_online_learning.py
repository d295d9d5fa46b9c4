"""A new worker studies online on a phone: logs in, opens 我的学习 and sees
the workshop-level induction they owe, opens the lesson, the player's
heartbeats earn the lesson's minimum time (shortened here: one study minute
is one second, one 学时 one minute, a heartbeat every second), answers the
check question, and the hours and the online record land in 我的学习 and
the portal — with the obligation met."""

import os
from decimal import Decimal

import pytest

from courses import services
from courses.models import Enrolment, LessonProgress
from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation
from tests.e2e.conftest import log_in
from tests.factories import make_course

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COURSE_TITLE = "车间级安全教育（试学）"
QUESTION = ("进入车间作业前，首先应当做的是：", [("了解本车间的危险区域和安全警示标志", True), ("直接开始操作设备", False)])
SCREENSHOTS = "/tmp/e2e-learning-{}.png"


def test_worker_finishes_a_short_lesson_on_a_phone_and_sees_the_hours_and_record(
    phone, live_server, short_study, worker
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    employee = worker.employee
    owed = Obligation.objects.get(employee=employee, kind="induction", level="workshop")
    assert owed.status == "open" and owed.exam_required
    hours = owed.min_hours  # 8 学时 per level in general industry
    course = make_course(title=COURSE_TITLE, category="induction_workshop", credit_hours=hours, lessons=1,
                         min_minutes=int(hours), question=QUESTION, counts_as_assessment=True)
    lesson = course.get_lessons().get()
    assert services.enrolments_from_obligations(employee_ids=[employee.pk]) == 1
    page = phone

    log_in(page, live_server.url, worker)  # a plain employee needs no second factor

    # 我的学习: what is owed, with the hours still missing and the course to study.
    page.goto(f"{live_server.url}/learn/")
    page.get_by_role("heading", name="我的学习").wait_for()
    todo = page.locator(".todo", has_text="车间级")
    assert f"还需 {hours.normalize():f} 学时" in todo.inner_text()
    todo.get_by_role("link", name=f"学习《{COURSE_TITLE}》").click()
    page.wait_for_url(f"**{lesson.url}")

    # The player: heartbeats run the study clock; the check question is answered on the server.
    page.get_by_role("heading", name=lesson.title).wait_for()
    page.locator("#study-status", has_text="计时").wait_for()
    # Once the minimum time is studied, the player asks for the check question.
    page.locator("#study-status", has_text="请完成本课时的随堂测验").wait_for(timeout=40000)
    assert page.locator("#lesson-done").is_hidden()
    assert not LessonProgress.objects.get(enrolment__employee=employee, lesson=lesson).completed_at
    page.get_by_label(QUESTION[1][0][0], exact=True).check()
    page.get_by_role("button", name="提交答案").click()
    page.locator(".q-result", has_text="回答正确").wait_for()
    page.locator("#lesson-done").wait_for(state="visible")
    assert page.get_by_role("button", name="提交答案").count() == 0
    assert page.locator("#study-status").inner_text() == "本课时已学完"
    page.screenshot(path=SCREENSHOTS.format("lesson"), full_page=True)

    progress = LessonProgress.objects.get(enrolment__employee=employee, lesson=lesson)
    assert progress.seconds >= lesson.required_seconds and progress.completed_at is not None
    assert progress.revision_id == lesson.live_revision_id
    enrolment = Enrolment.objects.get(employee=employee, course=course)
    assert enrolment.status == "completed" and enrolment.record_id is not None
    record = TrainingRecord.objects.get(employee=employee)
    assert (record.kind, record.level, record.source, record.hours) == ("induction", "workshop", "online", hours)
    assert record.assessment_result == "passed" and record.title == COURSE_TITLE
    owed.refresh_from_db()
    assert owed.status == "met" and owed.completed_hours == hours

    # Back in 我的学习: the workshop level is no longer owed, the hours and the record are there.
    page.goto(f"{live_server.url}/learn/")
    page.get_by_role("heading", name="我的培训记录").wait_for()
    assert page.locator(".todo", has_text="车间级").count() == 0
    assert page.locator(".todo", has_text="厂级").count() == 1
    # This year's hours: 8 studied of the 24 the induction (hired today, whatever the due date) asks.
    assert page.locator(".hours-figure").inner_text() == f"{hours.normalize():f} / {3 * hours.normalize():f} 学时"
    assert f"还差 {2 * hours.normalize():f} 学时" in page.locator(".learning-card", has_text="年学时").inner_text()
    records = page.locator(".record-list li")
    assert records.count() == 1
    text = records.first.inner_text()
    assert COURSE_TITLE in text and f"{hours.normalize():f} 学时" in text and "合格" in text and "在线" in text
    page.screenshot(path=SCREENSHOTS.format("done"), full_page=True)

    # The portal shows the same summary.
    page.goto(f"{live_server.url}/portal/")
    page.locator(".record-list li", has_text=COURSE_TITLE).wait_for()
    assert hours == Decimal(page.locator(".hours-figure strong").inner_text())
    page.screenshot(path=SCREENSHOTS.format("portal"), full_page=True)
