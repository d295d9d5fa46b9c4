"""Issue 19: the study heartbeat keeps counting with Redis away (sessions
and users from the database), and fails fast with a 503 — not a hang, not a
500 — when its rows are locked (PostgreSQL)."""

import time

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import login_with_mfa, table_locked

from .test_heartbeat import beat, start

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL lock_timeout")


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "stack"])
def test_a_heartbeat_is_answered_without_redis(redis_down, learner, lesson, settings, fast):
    settings.ANXUN_SPEED = {**settings.ANXUN_SPEED, "heartbeat": fast}
    phone = login_with_mfa(Client(raise_request_exception=False), learner)
    token = start(phone, lesson)
    first = beat(phone, token, 1, ago=0)
    second = beat(phone, token, 2)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["credited"] >= 30
    assert redis_down, "the cache did try Redis"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_locked_study_table_makes_the_heartbeat_fail_fast_with_503(db_timeouts_reset, learner, lesson):
    phone = login_with_mfa(Client(raise_request_exception=False), learner)
    token = start(phone, lesson)
    assert beat(phone, token, 1, ago=0).status_code == 200
    with table_locked("courses_studysession"):
        started = time.monotonic()
        response = phone.post("/learn/heartbeat/", data={"token": token, "seq": 2}, content_type="application/json")
        elapsed = time.monotonic() - started
    print(f"heartbeat under a table lock: {response.status_code} in {elapsed:.2f} s")
    assert response.status_code == 503
    assert response.json()["code"] == "busy" and response["Retry-After"]
    assert elapsed < 3
    assert beat(phone, token, 2).status_code == 200  # the client's retry, the lock gone
