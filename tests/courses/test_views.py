"""The learner's pages and the player's JSON endpoints: Chinese pages, field
errors (never a 500), denials (anonymous 401, someone else's session or
another enterprise's course 404) and flat query counts."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Enrolment, LessonProgress, StudySession
from tests.factories import make_course
from tests.factories import make_worker

from .conftest import QUESTION, lesson_of, question_id

pytestmark = pytest.mark.django_db
HEARTBEAT = "/learn/heartbeat/"


@pytest.fixture
def me(as_user, learner):
    return as_user(learner)


def post_json(client, url, data, raw=None):
    return client.post(url, data=raw if raw is not None else json.dumps(data), content_type="application/json")


def start(client, lesson) -> dict:
    response = client.post(reverse("courses:study_start", args=[lesson.pk]))
    assert response.status_code == 200, response.content
    return response.json()


# --- 我的学习 ------------------------------------------------------------------------


def test_my_learning_shows_what_i_owe_in_chinese(me, worker, course):
    services.enrolments_from_obligations()
    response = me.get(reverse("courses:my_learning"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的学习" in html
    assert "待完成：车间级三级安全教育（还需 8 学时，截止 12 月 2 日）" in html
    assert "待完成：厂级（公司级）三级安全教育（还需 8 学时，截止 12 月 2 日）" in html
    assert "待完成：班组级三级安全教育（还需 8 学时，截止 12 月 2 日）" in html
    assert "学习《车间级安全教育（通用）》" in html
    assert "已学完 0 / 1 课时" in html


def test_my_learning_shows_the_hours_and_the_record_once_done(me, learner, worker, course):
    services.enrolments_from_obligations()
    lesson = lesson_of(course)
    progress = LessonProgress.objects.create(enrolment=Enrolment.objects.get(course=course), lesson=lesson,
                                             seconds=360, answers={question_id(lesson): True})
    services.lesson_complete(progress=progress, revision_id=lesson.live_revision_id)
    html = me.get(reverse("courses:my_learning")).content.decode()
    assert "待完成：车间级三级安全教育" not in html
    assert "待完成：班组级三级安全教育（还需 8 学时" in html
    assert "车间级安全教育（通用）" in html and "在线学习" in html
    assert "<strong>8</strong> / 24 学时" in html


def test_my_learning_needs_a_login(client):
    response = client.get(reverse("courses:my_learning"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_my_learning_query_count_is_flat_as_enrolments_grow(me, worker):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert me.get(reverse("courses:my_learning")).status_code == 200
        return len(ctx.captured_queries)

    make_course(category="induction_workshop", lessons=2)
    services.enrolments_from_obligations()
    count()  # warm: the site root paths are cached after the first page
    one = count()
    for category in ("induction_company", "induction_team", "induction_team", "induction_company"):
        make_course(category=category, lessons=3)
    services.enrolments_from_obligations()
    for e in Enrolment.objects.all():
        for lesson in e.course.get_lessons():
            LessonProgress.objects.create(enrolment=e, lesson=lesson, seconds=30)
    assert Enrolment.objects.count() == 5
    assert count() == one


# --- the lesson player and its endpoints --------------------------------------------------


def test_lesson_page_plays_for_an_enrolled_learner(me, course):
    lesson = lesson_of(course)
    services.enrolments_from_obligations()
    response = me.get(lesson.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert lesson.title in html and QUESTION[0] in html
    assert "了解本车间的危险区域和安全警示标志" in html  # the options are shown…
    assert '"correct": true' not in html.lower() and "了解危险因素是车间级安全教育的第一项内容" not in html  # …not the key


def test_heartbeat_credits_time_through_the_endpoint(me, learner, lesson):
    token = start(me, lesson)["token"]
    first = post_json(me, HEARTBEAT, {"token": token, "seq": 1, "visible": True, "idle": 0})
    assert first.status_code == 200
    assert first.json()["reason"] == "first" and first.json()["message"] == "开始计时"
    StudySession.objects.filter(token=token).update(last_beat_at=timezone.now() - dt.timedelta(seconds=30))
    second = post_json(me, HEARTBEAT, {"token": token, "seq": 2, "visible": True, "idle": 3})
    assert second.status_code == 200
    assert second.json()["credited"] in (30, 31) and second.json()["seconds"] == second.json()["credited"]
    replay = post_json(me, HEARTBEAT, {"token": token, "seq": 2})
    assert replay.status_code == 409
    assert replay.json()["accepted"] is False and replay.json()["reason"] == "replay"


@pytest.mark.parametrize("body, field", [
    ({"seq": 1}, "token"),
    ({"token": "not-a-uuid", "seq": 1}, "token"),
    ({"token": "TOKEN"}, "seq"),
    ({"token": "TOKEN", "seq": "1"}, "seq"),
    ({"token": "TOKEN", "seq": 1.5}, "seq"),
    ({"token": "TOKEN", "seq": -1}, "seq"),
    ({"token": "TOKEN", "seq": True}, "seq"),
    ({"token": "TOKEN", "seq": 1, "position": "十秒"}, "position"),
    ({"token": "TOKEN", "seq": 1, "duration": [1]}, "duration"),
    ({"token": "TOKEN", "seq": 1, "idle": {"s": 1}}, "idle"),
    ({"token": "TOKEN", "seq": 1, "visible": "yes"}, "visible"),
    ({"token": "TOKEN", "seq": 1, "playing": 1}, "playing"),
    ({"token": "TOKEN", "seq": 1, "presence": 12}, "presence"),
    ({"token": "TOKEN", "seq": 1, "presence": "x" * 65}, "presence"),
])
def test_heartbeat_bad_fields_are_400_with_field_errors(me, lesson, body, field):
    token = start(me, lesson)["token"]
    body = {k: (token if v == "TOKEN" else v) for k, v in body.items()}
    response = post_json(me, HEARTBEAT, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert response.json()["errors"][field][0]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "\"text\"", "null", "{\"seq\": NaN}", "\xff".encode("latin-1"),
                                 "{\"token\": \"%s\", \"seq\": Infinity}"])
def test_heartbeat_malformed_bodies_are_400(me, lesson, raw):
    token = start(me, lesson)["token"]
    if isinstance(raw, str) and "%s" in raw:
        raw = raw % token
    response = post_json(me, HEARTBEAT, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_heartbeat_with_a_non_ascii_presence_answer_is_not_a_500(me, lesson):
    token = start(me, lesson)["token"]
    StudySession.objects.filter(token=token).update(presence_nonce="a" * 32,
                                                    presence_deadline=timezone.now() + dt.timedelta(seconds=60))
    response = post_json(me, HEARTBEAT, {"token": token, "seq": 1, "presence": "我在学习"})
    assert response.status_code == 200
    assert response.json()["presence"]["nonce"] == "a" * 32  # still asked


def test_heartbeat_too_large_is_413(me, lesson):
    token = start(me, lesson)["token"]
    response = post_json(me, HEARTBEAT, {"token": token, "seq": 1, "presence": "", "pad": "x" * 5000})
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_heartbeat_anonymous_is_401(client):
    response = post_json(client, HEARTBEAT, {"token": "00000000-0000-0000-0000-000000000000", "seq": 1})
    assert response.status_code == 401
    assert response.json()["gone"] is True and response.json()["errors"]["__all__"] == ["请先登录"]


def test_heartbeat_get_is_not_allowed(me):
    assert me.get(HEARTBEAT).status_code == 405


def test_heartbeat_with_another_users_token_is_404(as_user, learner, lesson, ent_b, tree_b):
    mine = start(as_user(learner), lesson)["token"]
    other = as_user(make_worker(ent_b, tree_b[2], "李四", "W002").user)
    response = post_json(other, HEARTBEAT, {"token": mine, "seq": 1})
    assert response.status_code == 404
    assert response.json()["gone"] is True
    assert StudySession.objects.get(token=mine).seq == 0


def test_a_second_tab_and_a_login_elsewhere_tell_the_first_tab_it_is_gone(as_user, learner, lesson):
    phone = as_user(learner)
    token = start(phone, lesson)["token"]
    start(phone, lesson)  # a second tab
    response = post_json(phone, HEARTBEAT, {"token": token, "seq": 1})
    assert response.status_code == 409
    assert response.json() == {"gone": True, "reason": "superseded", "message": "已在其他页面或设备学习",
                               "detail": "已在其他页面或设备学习", "code": "superseded", "errors": {}}
    token = start(phone, lesson)["token"]
    as_user(learner)  # logs in on a computer
    response = post_json(phone, HEARTBEAT, {"token": token, "seq": 1})
    assert response.status_code == 409
    assert response.json()["reason"] == "logged_out" and response.json()["message"] == "已在其他设备登录"


@pytest.mark.speed("heartbeat")
def test_heartbeat_query_count_is_small_and_flat(me, lesson, django_assert_max_num_queries):
    token = start(me, lesson)["token"]
    post_json(me, HEARTBEAT, {"token": token, "seq": 1})
    counts = []
    for seq in range(2, 6):
        StudySession.objects.filter(token=token).update(last_beat_at=timezone.now() - dt.timedelta(seconds=30))
        with CaptureQueriesContext(connection) as ctx:
            response = post_json(me, HEARTBEAT, {"token": token, "seq": seq})
        assert response.status_code == 200 and response.json()["credited"] >= 30
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1
    StudySession.objects.filter(token=token).update(last_beat_at=timezone.now() - dt.timedelta(seconds=30))
    # the study session read with its login (courses.speed), the write (one
    # statement on PostgreSQL, two UPDATEs elsewhere); + SAVEPOINT/RELEASE
    # inside the test's transaction.
    with django_assert_max_num_queries(5):
        assert post_json(me, HEARTBEAT, {"token": token, "seq": 6}).status_code == 200


# --- check questions ---------------------------------------------------------------------


def test_answer_wrong_then_right(me, learner, lesson):
    start(me, lesson)
    url = reverse("courses:lesson_answer", args=[lesson.pk])
    qid = question_id(lesson)
    wrong = post_json(me, url, {"question": qid, "choices": [1]})
    assert wrong.status_code == 200
    assert wrong.json() == {"correct": False, "message": "回答错误，请重新学习本课时内容后再答"}
    too_soon = post_json(me, url, {"question": qid, "choices": [0]})
    assert too_soon.status_code == 400
    assert "秒后可重试" in too_soon.json()["errors"]["choices"][0]
    from django.core.cache import cache

    cache.clear()  # the ten seconds have passed
    right = post_json(me, url, {"question": qid, "choices": [0]})
    assert right.status_code == 200
    assert right.json()["correct"] is True and right.json()["explanation"] == "了解危险因素是车间级安全教育的第一项内容。"
    assert right.json()["completed"] is False  # no study time yet
    assert LessonProgress.objects.get().answers == {qid: True}


@pytest.mark.parametrize("body, field", [
    ({"question": "nope", "choices": [0]}, "question"),
    ({"choices": [0]}, "question"),
    ({"question": "QID", "choices": []}, "choices"),
    ({"question": "QID", "choices": [7]}, "choices"),
    ({"question": "QID", "choices": ["a"]}, "choices"),
    ({"question": "QID", "choices": "0"}, "choices"),
    ({"question": "QID", "choices": [0, 1, 0, 1, 0, 1, 0, 1, 0]}, "choices"),
])
def test_answer_bad_input_is_400(me, lesson, body, field):
    start(me, lesson)
    body = {k: (question_id(lesson) if v == "QID" else v) for k, v in body.items()}
    response = post_json(me, reverse("courses:lesson_answer", args=[lesson.pk]), body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


# --- private courses of another enterprise --------------------------------------------------


def test_another_enterprises_private_course_is_404_everywhere(me, ent_a):
    private = make_course(title="华兴化工 班组级安全教育", category="induction_team", enterprise=ent_a, question=QUESTION)
    lesson = lesson_of(private)
    assert me.get(private.url).status_code == 404
    assert me.get(lesson.url).status_code == 404
    assert me.post(reverse("courses:course_enrol", args=[private.pk])).status_code == 404
    assert me.post(reverse("courses:study_start", args=[lesson.pk])).status_code == 404
    answer = post_json(me, reverse("courses:lesson_answer", args=[lesson.pk]),
                       {"question": question_id(lesson), "choices": [0]})
    assert answer.status_code == 404
    assert not Enrolment.objects.exists() and not StudySession.objects.exists()
    assert "华兴化工 班组级安全教育" not in me.get(reverse("courses:my_learning")).content.decode()


def test_own_enterprises_private_course_is_open(me, ent_b):
    private = make_course(title="东方机械 班组级安全教育", category="induction_team", enterprise=ent_b)
    assert me.get(private.url).status_code == 200
    response = me.post(reverse("courses:course_enrol", args=[private.pk]))
    assert response.status_code == 302
    assert Enrolment.objects.get().source == "self"


def test_hr_of_another_enterprise_cannot_start_a_private_lesson(as_user, charlie, ent_a):
    private = make_course(category="induction_team", enterprise=ent_a, credit_hours=Decimal("2"))
    response = as_user(charlie).post(reverse("courses:study_start", args=[lesson_of(private).pk]))
    assert response.status_code == 404


def test_course_page_after_completion_says_the_hours_went_to_the_archive(me, course):
    services.enrolments_from_obligations()
    lesson = lesson_of(course)
    progress = LessonProgress.objects.create(enrolment=Enrolment.objects.get(course=course), lesson=lesson,
                                             seconds=360, answers={question_id(lesson): True})
    services.lesson_complete(progress=progress, revision_id=lesson.live_revision_id)
    html = me.get(course.url).content.decode()
    assert "学完本课程，计入 8 学时，已写入培训档案。" in html
    assert "已学完" in html and "再次学习" in html


def test_video_lesson_page_renders_the_player(me, course):
    from .conftest import add_video_lesson, make_video

    lesson = add_video_lesson(course, make_video(90))
    services.enrolments_from_obligations()
    html = me.get(lesson.url).content.decode()
    assert 'class="study-video"' in html and 'data-duration="90' in html
    assert "player-config" in html
