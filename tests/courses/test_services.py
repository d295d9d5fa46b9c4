"""courses.services: study sessions (one live per person), heartbeats,
lesson and course completion into the archive, enrolment from obligations
and HR assignments. Time is passed in (``now=``)."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from courses import services, timing
from courses.models import CourseAssignment, Enrolment, LessonProgress, StudySession
from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation
from tests.factories import MembershipFactory, PostAssignmentFactory, PostFactory, make_course
from tests.factories import make_worker

from .conftest import QUESTION, STUDY_SECONDS, T0, Learner, add_video_lesson, answer, lesson_of, make_video

pytestmark = pytest.mark.django_db


def workshop_obligation(worker):
    return Obligation.objects.get(employee=worker, kind="induction", level="workshop")


# --- sessions -----------------------------------------------------------------


def test_a_second_tab_supersedes_the_first_which_then_earns_nothing(learner, lesson):
    first = Learner(learner, lesson)
    first.beat(0)
    assert first.beat(30)["credited"] == 30
    second = Learner(learner, lesson, now=first.now + dt.timedelta(seconds=5))
    with pytest.raises(services.SessionGone) as gone:
        first.beat(25)
    assert gone.value.code == StudySession.Status.SUPERSEDED
    assert "其他页面或设备" in gone.value.messages[0]
    second.beat(0)
    assert second.beat(30)["credited"] == 30
    progress = LessonProgress.objects.get()
    assert progress.seconds == 60
    assert list(StudySession.objects.filter(status="live").values_list("pk", flat=True)) == [second.session.pk]


def test_the_database_allows_one_live_session_per_person(learner, lesson):
    s = Learner(learner, lesson).session
    with pytest.raises(IntegrityError), transaction.atomic():
        StudySession.objects.create(user=learner, progress=s.progress, status=StudySession.Status.LIVE)


def test_another_lesson_in_another_tab_also_stops_the_first(learner):
    course = make_course(category="induction_workshop", lessons=2, min_minutes=60)
    one, two = lesson_of(course, 1), lesson_of(course, 2)
    a = Learner(learner, one)
    a.beat(0)
    Learner(learner, two, now=a.now)
    with pytest.raises(services.SessionGone):
        a.beat(30)


def test_logging_in_elsewhere_ends_the_session(learner, lesson):
    tab = Learner(learner, lesson)
    tab.beat(0)
    Client().force_login(learner)  # the person logs in on another device
    with pytest.raises(services.SessionGone) as gone:
        tab.beat(30)
    assert gone.value.code == StudySession.Status.LOGGED_OUT
    assert gone.value.messages[0] == "已在其他设备登录"
    assert LessonProgress.objects.get().seconds == 0


def test_a_heartbeat_from_another_login_session_is_refused(learner, lesson):
    tab = Learner(learner, lesson, login_key="key-a")
    tab.beat(0)
    tab.login_key = "key-b"
    with pytest.raises(services.SessionGone) as gone:
        tab.beat(30)
    assert gone.value.code == StudySession.Status.LOGGED_OUT


def test_someone_elses_token_is_not_found(learner, lesson, ent_b, tree_b):
    other = make_worker(ent_b, tree_b[2], "李四", "W002").user
    tab = Learner(learner, lesson)
    with pytest.raises(services.StudyError) as err:
        services.study_heartbeat(user=other, token=tab.session.token, beat=timing.Beat(seq=1), login_key="login-1",
                                 now=T0)
    assert err.value.code == "not_found"


def test_concurrent_heartbeats_with_the_same_sequence_number_credit_once(learner, lesson):
    tab = Learner(learner, lesson)
    tab.beat(0)
    real_beat = timing.beat
    replies = []

    def interleaved(state, b, **kw):
        # The other request reads the same session and commits first.
        timing.beat = real_beat
        replies.append(services.study_heartbeat(user=learner, token=tab.session.token, beat=b, login_key="login-1",
                                                now=kw["now"]))
        return real_beat(state, b, **kw)

    with mock.patch.object(timing, "beat", interleaved):
        late = tab.beat(30)
    assert replies[0]["accepted"] and replies[0]["credited"] == 30
    assert (late["accepted"], late["credited"], late["reason"]) == (False, 0, "replay")
    assert LessonProgress.objects.get().seconds == 30
    assert StudySession.objects.get().credited == 30


def test_the_daily_cap_counts_every_session_of_the_day(learner, lesson, settings):
    settings.ANXUN_STUDY_DAILY_CAP_MINUTES = 1  # 60 s a day
    a = Learner(learner, lesson)
    a.beat(0)
    assert a.beat(30)["credited"] == 30
    b = Learner(learner, lesson, now=a.now)
    b.beat(0)
    assert b.beat(30)["credited"] == 30
    capped = b.beat(30)
    assert (capped["credited"], capped["reason"]) == (0, "daily_cap")
    tomorrow = Learner(learner, lesson, now=T0 + dt.timedelta(days=1))
    tomorrow.beat(0)
    assert tomorrow.beat(30)["credited"] == 30


# --- lesson completion ------------------------------------------------------------


def test_lesson_needs_the_required_time_and_every_check_question(learner, lesson):
    tab = Learner(learner, lesson)
    tab.beat(0)
    for _ in range(6):
        tab.beat(30)
    assert answer(learner, lesson)["completed"] is False  # answered, 180 of 360 s
    reply = tab.study(STUDY_SECONDS - 180)
    assert reply["completed"] is True
    assert reply["seconds"] == STUDY_SECONDS
    progress = LessonProgress.objects.get()
    assert progress.completed_at == tab.now
    assert progress.revision_id == lesson.live_revision_id


def test_time_alone_does_not_finish_a_lesson_with_an_unanswered_question(learner, lesson):
    tab = Learner(learner, lesson)
    reply = tab.study(STUDY_SECONDS + 60)
    assert reply["seconds"] >= STUDY_SECONDS and reply["completed"] is False
    result = answer(learner, lesson)
    assert result == {"correct": True, "message": "回答正确", "explanation": mock.ANY, "completed": True}


def test_a_wrong_answer_does_not_count_and_must_wait_before_retrying(learner, lesson):
    Learner(learner, lesson).study(STUDY_SECONDS)
    block_id = lesson.questions()[0][0]
    wrong = services.lesson_answer(user=learner, lesson=lesson, block_id=block_id, choices=[1])
    assert wrong == {"correct": False, "message": "回答错误，请重新学习本课时内容后再答"}
    with pytest.raises(services.StudyError) as err:
        services.lesson_answer(user=learner, lesson=lesson, block_id=block_id, choices=[0])
    assert "秒后可重试" in err.value.message_dict["choices"][0]
    assert LessonProgress.objects.get().answers == {}


def test_a_video_lesson_needs_the_video_watched(learner, course):
    video_lesson = add_video_lesson(course, make_video(60), min_minutes=60)
    tab = Learner(learner, video_lesson)
    assert tab.session.media_seconds == 60
    tab.beat(0, position=0, playing=False)
    reply = tab.beat(30, position=0, playing=False)  # paused at 0: the clock does not run
    assert (reply["seconds"], reply["reason"]) == (0, "paused")
    tab.beat(0, position=0, playing=True)
    tab.beat(30, position=30, playing=True)
    reply = tab.beat(30, position=60, playing=True)
    assert reply["seconds"] == 60 and reply["completed"] is True


def test_a_video_lesson_with_enough_time_but_unwatched_video_is_not_done(learner, course):
    video_lesson = add_video_lesson(course, make_video(600), min_minutes=60)
    tab = Learner(learner, video_lesson)
    tab.beat(0, position=0, playing=True)
    for i in range(1, 5):
        reply = tab.beat(30, position=30.0 * i, playing=True)
    assert reply["seconds"] == 120 and reply["completed"] is False


# --- course completion into the archive -------------------------------------------


def _finish(user, lesson, now=T0):
    tab = Learner(user, lesson, now=now)
    tab.study(STUDY_SECONDS)
    return answer(user, lesson, now=tab.now + dt.timedelta(seconds=10)), tab


def test_finishing_the_course_writes_one_online_record_that_meets_the_obligation(learner, worker, course, lesson):
    services.enrolments_from_obligations()
    enrolment = Enrolment.objects.get(employee=worker, course=course)
    assert enrolment.obligation == workshop_obligation(worker)
    result, tab = _finish(learner, lesson)
    assert result["completed"] is True
    record = TrainingRecord.objects.get(employee=worker)
    assert record.source == "online"
    assert (record.kind, record.level, record.hours) == ("induction", "workshop", Decimal("8.0"))
    assert record.assessment_result == "passed"
    course.refresh_from_db()
    assert record.source_ref == f"course:{course.pk}@{course.live_revision_id} lessons:{lesson.pk}@{lesson.live_revision_id}"
    assert f"版本 #{lesson.live_revision_id}" in record.content
    enrolment.refresh_from_db()
    done_at = tab.now + dt.timedelta(seconds=10)
    assert (enrolment.status, enrolment.record_id, enrolment.completed_at) == ("completed", record.pk, done_at)
    assert (record.start_at, record.end_at) == (T0, done_at)
    obligation = workshop_obligation(worker)
    assert obligation.status == Obligation.Status.MET
    assert obligation.completed_hours == Decimal("8")
    assert list(obligation.records.all()) == [record]
    # The other levels are still owed.
    assert Obligation.objects.get(employee=worker, level="company").status == Obligation.Status.OPEN
    assert not StudySession.objects.filter(status="live").exists()


def test_completing_twice_double_submit_writes_one_record(learner, worker, course, lesson):
    _finish(learner, lesson)
    enrolment = Enrolment.objects.get(employee=worker, course=course)
    again = services.enrolment_complete(enrolment=enrolment, now=T0 + dt.timedelta(hours=1))
    stale = Enrolment.objects.get(pk=enrolment.pk)
    stale.status = Enrolment.Status.ACTIVE  # a second request that loaded the enrolment earlier
    third = services.enrolment_complete(enrolment=stale)
    assert TrainingRecord.objects.filter(employee=worker).count() == 1
    assert again == third == TrainingRecord.objects.get(employee=worker)
    progress = LessonProgress.objects.get()
    assert services.lesson_complete(progress=progress, revision_id=progress.revision_id) is True
    assert TrainingRecord.objects.filter(employee=worker).count() == 1


def test_the_course_is_complete_only_after_its_last_lesson(learner, worker):
    course = make_course(category="induction_company", credit_hours=Decimal("8"), lessons=2, min_minutes=180,
                         question=QUESTION, counts_as_assessment=True)
    one, two = lesson_of(course, 1), lesson_of(course, 2)
    tab = Learner(learner, one)
    tab.study(180)
    assert answer(learner, one)["completed"] is True
    assert not TrainingRecord.objects.exists()
    tab2 = Learner(learner, two, now=tab.now + dt.timedelta(minutes=5))
    tab2.study(180)
    answer(learner, two)
    record = TrainingRecord.objects.get()
    assert record.hours == Decimal("8.0")
    assert record.source_ref.endswith(f"lessons:{one.pk}@{one.live_revision_id},{two.pk}@{two.live_revision_id}")
    assert Obligation.objects.get(employee=worker, level="company").status == Obligation.Status.MET


def test_record_hours_never_exceed_the_time_studied(learner, worker):
    course = make_course(category="induction_team", credit_hours=Decimal("8"), min_minutes=90)
    tab = Learner(learner, lesson_of(course))
    tab.study(90)
    record = TrainingRecord.objects.get()
    assert record.hours == Decimal("2.0")  # 90 s of study = 2 学时, not the course's 8
    assert record.assessment_result == "none"
    assert Obligation.objects.get(employee=worker, level="team").status == Obligation.Status.OPEN


# --- enrolment from obligations -------------------------------------------------------


def test_enrolment_from_obligations_matches_kind_level_audience_and_owner(worker, ent_a, ent_b):
    workshop = make_course(category="induction_workshop")
    company = make_course(category="induction_company")
    own_private = make_course(category="induction_team", enterprise=ent_b)
    make_course(category="induction_team", enterprise=ent_a)  # another enterprise's private course
    make_course(category="refresher")  # no refresher owed
    make_course(category="induction_company", audience_role="principal")  # 张三 is no principal
    make_course(category="induction_company", audience_risk_class="high_risk")  # B is general industry
    make_course(category="induction_company", live=False)  # draft
    created = services.enrolments_from_obligations()
    enrolled = dict(Enrolment.objects.filter(employee=worker).values_list("course_id", "obligation__level"))
    assert enrolled == {workshop.pk: "workshop", company.pk: "company", own_private.pk: "team"}
    assert created == 3
    assert all(e.due_date == e.obligation.due_date and e.source == "obligation"
               for e in Enrolment.objects.select_related("obligation"))
    # Idempotent, also for one person.
    assert services.enrolments_from_obligations() == 0
    assert services.enrolments_from_obligations(employee_ids=[worker.pk]) == 0
    assert Enrolment.objects.count() == 3


def test_a_completed_enrolment_is_not_renewed_for_the_same_obligation(learner, worker, course, lesson):
    services.enrolments_from_obligations()
    Enrolment.objects.filter(employee=worker).update(status="completed", completed_at=T0)
    assert services.enrolments_from_obligations() == 0


def test_people_who_left_are_not_enrolled(worker, course):
    worker.status = "left"
    worker.save()
    assert services.enrolments_from_obligations() == 0


# --- HR assignments -----------------------------------------------------------------------


def test_hr_assigns_a_course_to_a_unit_and_its_sub_units(charlie, ent_b, tree_b, worker):
    company, workshop_unit, team, _post = tree_b
    elsewhere = make_worker(ent_b, company, "王五", "W003")
    refresher = make_course(category="refresher")
    assignment = services.course_assign(actor=charlie, course=refresher, org_unit=workshop_unit,
                                        due_date=dt.date(2026, 12, 31))
    enrolled = Enrolment.objects.filter(course=refresher)
    assert [e.employee for e in enrolled] == [worker]  # 甲班 is under 一车间; 王五 sits at company level
    assert enrolled[0].source == "assignment" and enrolled[0].due_date == dt.date(2026, 12, 31)
    assert services.assignments_apply(assignments=[assignment]) == 0
    assert services.assignments_apply() == 0
    assert not Enrolment.objects.filter(employee=elsewhere).exists()


def test_hr_assigns_a_course_to_a_post(charlie, ent_b, tree_b, worker):
    post = PostFactory(enterprise=ent_b, org_unit=tree_b[2], code="B-WELD", name="焊工")
    PostAssignmentFactory(employee=worker, post=post, start_date=dt.date(2026, 11, 3))
    warning = make_course(category="warning")
    services.course_assign(actor=charlie, course=warning, post=post, due_date=dt.date(2026, 12, 31))
    assert [e.employee for e in Enrolment.objects.filter(course=warning)] == [worker]


def test_assignment_denials(charlie, alice, ent_a, ent_b, tree_a, tree_b):
    refresher = make_course(category="refresher")
    with pytest.raises(PermissionDenied):
        services.course_assign(actor=charlie, course=refresher, org_unit=tree_a[0], due_date=dt.date(2026, 12, 31))
    private_a = make_course(category="refresher", enterprise=ent_a)
    with pytest.raises(ValidationError) as err:
        services.course_assign(actor=charlie, course=private_a, org_unit=tree_b[0], due_date=dt.date(2026, 12, 31))
    assert "本企业" in err.value.message_dict["course"][0]
    with pytest.raises(ValidationError):
        services.course_assign(actor=charlie, course=refresher, due_date=dt.date(2026, 12, 31))
    employee_user = MembershipFactory(enterprise=ent_b, role=Role.EMPLOYEE).user
    with pytest.raises(PermissionDenied):
        services.course_assign(actor=employee_user, course=refresher, org_unit=tree_b[0], due_date=dt.date(2026, 12, 31))
    assert not CourseAssignment.objects.exists()


# --- private courses ------------------------------------------------------------------


def test_another_enterprises_private_course_cannot_be_studied(learner, ent_a):
    private_a = make_course(category="induction_workshop", enterprise=ent_a)
    with pytest.raises(PermissionDenied):
        services.study_start(user=learner, lesson=lesson_of(private_a), login_key="k", now=T0)
    assert not Enrolment.objects.exists()
