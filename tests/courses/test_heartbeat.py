"""courses.speed: the heartbeat answered ahead of the middleware stack
must decide exactly what the stack would — same replies, same denials — and
leave to the stack every heartbeat whose login it cannot confirm: a logout,
an expired login, a deactivated user, a password changed elsewhere, a
tampered session, someone else's study session. CSRF is still enforced.
Its SELECT is the request's connection health check: no extra ping, and a
connection the server ended is replaced before anything is written."""

import datetime as dt
import json

import psycopg
import pytest
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import LessonProgress, StudySession
from courses.speed import HeartbeatMiddleware
from tests.conftest import login_with_mfa
from tests.factories import make_worker

pytestmark = [pytest.mark.django_db, pytest.mark.speed("heartbeat")]
HEARTBEAT = "/learn/heartbeat/"


@pytest.fixture
def answered(monkeypatch):
    """For each heartbeat, whether courses.speed answered it (False: the
    whole stack did)."""
    seen = []
    original = HeartbeatMiddleware.answer

    def spy(self, request):
        response = original(self, request)
        seen.append(response is not None)
        return response

    monkeypatch.setattr(HeartbeatMiddleware, "answer", spy)
    return seen


@pytest.fixture
def phone(learner):
    return login_with_mfa(Client(), learner)


def start(client, lesson) -> str:
    response = client.post(reverse("courses:study_start", args=[lesson.pk]))
    assert response.status_code == 200, response.content
    return response.json()["token"]


def beat(client, token, seq, *, ago=30, **extra):
    """A heartbeat ``ago`` seconds after the previous one."""
    headers = extra.pop("headers", {})
    if ago:
        StudySession.objects.filter(token=token).update(last_beat_at=timezone.now() - dt.timedelta(seconds=ago))
    return client.post(HEARTBEAT, data=json.dumps({"token": token, "seq": seq, **extra}),
                       content_type="application/json", headers=headers)


def credited(token) -> int:
    return StudySession.objects.get(token=token).credited


def test_a_logged_in_heartbeat_is_answered_ahead_of_the_stack(phone, lesson, answered):
    token = start(phone, lesson)
    first = beat(phone, token, 1, ago=0)
    second = beat(phone, token, 2)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["credited"] >= 30 and LessonProgress.objects.get().seconds == second.json()["seconds"]
    assert answered == [True, True]
    assert second["Content-Language"] == "zh-hans" and "Cookie" in second["Vary"]


def test_both_paths_give_the_same_replies(learner, lesson, settings, answered):
    """The same sequence of beats (first, credited, replay, too soon, stale
    number, bad field) through courses.speed and through the stack."""
    def run():
        client = login_with_mfa(Client(), learner)
        token = start(client, lesson)
        replies = []
        for seq, ago in ((1, 0), (2, 30), (2, 0), (3, 0), (9, 30)):
            response = beat(client, token, seq, ago=ago)
            replies.append((response.status_code, {k: v for k, v in response.json().items() if k != "presence"}))
        response = beat(client, token, 3, ago=0, visible="yes")
        replies.append((response.status_code, response.json()))
        return replies

    fast = run()
    settings.ANXUN_HEARTBEAT_FAST = False
    slow = run()
    for (fs, fj), (ss, sj) in zip(fast, slow, strict=True):
        assert fs == ss
        fj.pop("credited", None), sj.pop("credited", None)  # ±1 s of wall clock
        fj.pop("seconds", None), sj.pop("seconds", None)
        assert fj == sj
    assert [s for s, _ in fast] == [200, 200, 409, 200, 409, 400]  # first, credited, replay, too soon (0 s), stale, bad field
    assert answered[:5] == [True] * 5  # the field error: left to the stack
    assert answered[5] is False


def test_after_logout_the_heartbeat_is_401_and_earns_nothing(phone, lesson, answered):
    token = start(phone, lesson)
    beat(phone, token, 1, ago=0)
    cookie = phone.cookies["sessionid"].value
    phone.post(reverse("account_logout"))
    phone.cookies["sessionid"] = cookie  # a stolen or stale cookie
    before = credited(token)
    response = beat(phone, token, 2)
    assert response.status_code == 401 and response.json()["gone"] is True
    assert credited(token) == before and answered[-1] is False


def _expire(learner):
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))


def _deactivate(learner):
    learner.is_active = False
    learner.save(update_fields=["is_active"])


def _change_password(learner):
    learner.set_password("a-new-Passw0rd!")  # e.g. reset by HR, or from another device
    learner.save(update_fields=["password"])


def _tamper(learner):
    Session.objects.update(session_data=Session.objects.get().session_data[:-3] + "xyz")


@pytest.mark.parametrize("end_login", [_expire, _deactivate, _change_password, _tamper],
                         ids=["expired login", "deactivated user", "password changed elsewhere", "tampered session"])
def test_a_login_that_no_longer_holds_earns_nothing(phone, learner, lesson, answered, end_login):
    token = start(phone, lesson)
    beat(phone, token, 1, ago=0)
    end_login(learner)
    response = beat(phone, token, 2)
    assert response.status_code == 401
    assert credited(token) == 0 and answered[-1] is False


def test_someone_elses_study_session_is_404_with_my_login(phone, learner, lesson, ent_b, tree_b, answered):
    mine = start(phone, lesson)
    other = login_with_mfa(Client(), make_worker(ent_b, tree_b[2], "李四", "W002").user)
    response = beat(other, mine, 1, ago=0)
    assert response.status_code == 404 and response.json()["gone"] is True
    assert StudySession.objects.get(token=mine).seq == 0 and answered[-1] is False


def test_csrf_is_enforced(learner, lesson, answered):
    client = login_with_mfa(Client(enforce_csrf_checks=True), learner)
    page = client.get(reverse("courses:my_learning"))
    assert page.status_code == 200
    csrf = client.cookies["csrftoken"].value
    token = client.post(reverse("courses:study_start", args=[lesson.pk]), headers={"X-CSRFToken": csrf}).json()["token"]
    body = json.dumps({"token": token, "seq": 1})
    refused = client.post(HEARTBEAT, data=body, content_type="application/json")
    assert refused.status_code == 403 and StudySession.objects.get(token=token).seq == 0
    accepted = client.post(HEARTBEAT, data=body, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200 and StudySession.objects.get(token=token).seq == 1
    assert answered == [True, True]


def test_the_reply_is_in_the_learners_language(phone, lesson, answered):
    token = start(phone, lesson)
    zh = beat(phone, token, 1, ago=0)
    en = phone.post(HEARTBEAT, data=json.dumps({"token": token, "seq": 1}), content_type="application/json",
                    headers={"Accept-Language": "en"})
    assert zh.json()["message"] == "开始计时"
    assert en.status_code == 409 and en["Content-Language"] == "en"
    assert en.json()["message"] and not any("\u4e00" <= ch <= "\u9fff" for ch in en.json()["message"])
    assert answered == [True, True]


def test_turned_off_every_heartbeat_takes_the_stack(phone, lesson, settings, answered):
    settings.ANXUN_HEARTBEAT_FAST = False
    token = start(phone, lesson)
    assert beat(phone, token, 1, ago=0).status_code == 200
    assert answered == []


@pytest.fixture
def health_checks():
    """CONN_HEALTH_CHECKS on, as in production (lms/settings/production.py)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.ensure_connection()
    before = wrapper.health_check_enabled
    wrapper.health_check_enabled = True
    yield wrapper
    wrapper.health_check_enabled = before


def _new_request(token, *, ago=30):
    """The state of the connection as a new production request finds it
    (CONN_HEALTH_CHECKS on, not yet checked), the last beat ``ago`` s back."""
    StudySession.objects.filter(token=token).update(last_beat_at=timezone.now() - dt.timedelta(seconds=ago))
    connection.health_check_done = False


def test_with_health_checks_on_the_heartbeat_select_is_the_check(phone, lesson, answered, health_checks, monkeypatch):
    token = start(phone, lesson)
    beat(phone, token, 1, ago=0)
    pings = []
    usable = type(health_checks).is_usable
    monkeypatch.setattr(type(health_checks), "is_usable", lambda self: pings.append(1) or usable(self))
    _new_request(token)
    response = phone.post(HEARTBEAT, data=json.dumps({"token": token, "seq": 2}), content_type="application/json")
    assert response.status_code == 200 and response.json()["credited"] >= 30
    assert answered == [True, True] and pings == []  # no SELECT 1 before the heartbeat's own SELECT


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a connection ended by the server: PostgreSQL only (CI leg 2)")
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_replaced_and_the_beat_counts_once(phone, lesson, answered, health_checks):
    token = start(phone, lesson)
    beat(phone, token, 1, ago=0)
    _new_request(token)
    dead = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None,
                         password=db["PASSWORD"] or None, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [dead])  # e.g. a PostgreSQL restart or an idle timeout
    response = phone.post(HEARTBEAT, data=json.dumps({"token": token, "seq": 2}), content_type="application/json")
    assert response.status_code == 200 and response.json()["accepted"] is True
    assert connection.connection.info.backend_pid != dead
    # Answered once, by the stack, on the new connection: the beat's credit counted exactly once.
    assert answered == [True, False]
    session = StudySession.objects.get(token=token)
    assert session.seq == 2 and session.credited == response.json()["credited"] >= 30
