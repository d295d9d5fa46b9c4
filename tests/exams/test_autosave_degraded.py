"""Issue 19: the exam autosave keeps saving with Redis away, and fails
fast with a 503 the page's save queue retries — not a hang, not a 500 —
when the answer table is locked (PostgreSQL)."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import time

import pytest
from django.db import connection
from django.test import Client

from exams.models import AttemptAnswer
from tests.conftest import login_with_mfa, table_locked

from .engine_helpers import (  # noqa: F401  (fixtures)
    bank,
    bank_a,
    four_types,
    principal,
)
from .test_autosave_fast import begin, new_exam, save

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL lock_timeout")


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "stack"])
def test_an_autosave_is_stored_without_redis(redis_down, principal, ent_a, four_types, settings, fast):
    settings.ANXUN_SPEED = {**settings.ANXUN_SPEED, "autosave": fast}
    client = login_with_mfa(Client(raise_request_exception=False), principal)
    attempt = begin(client, new_exam(ent_a, four_types))
    response = save(client, attempt, seq=1, response=("以人为本",))
    assert response.status_code == 200, response.content
    assert AttemptAnswer.objects.get(attempt=attempt).response == ["以人为本"]
    assert redis_down, "the cache did try Redis"


def test_attempt_page_retries_a_503():
    """The save queue (exams/static/exams/attempt.js) keeps an answer whose save
    was refused with anything but a final code, and tries again with backoff."""
    from django.conf import settings

    js = (settings.BASE_DIR / "exams" / "static" / "exams" / "attempt.js").read_text(encoding="utf-8")
    assert "r.status === 503" in js and "scheduleRetry()" in js


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_locked_answer_table_makes_the_autosave_fail_fast_with_503(db_timeouts_reset, principal, ent_a, four_types):
    client = login_with_mfa(Client(raise_request_exception=False), principal)
    attempt = begin(client, new_exam(ent_a, four_types))
    assert save(client, attempt, seq=1).status_code == 200
    with table_locked(AttemptAnswer._meta.db_table):
        started = time.monotonic()
        response = save(client, attempt, seq=2, response=("以人为本",))
        elapsed = time.monotonic() - started
    print(f"autosave under a table lock: {response.status_code} in {elapsed:.2f} s")
    assert response.status_code == 503
    assert response.json()["code"] == "busy" and response["Retry-After"]
    assert elapsed < 3
    retried = save(client, attempt, seq=2, response=("以人为本",))  # the queue's retry, the lock gone
    assert retried.status_code == 200
    assert AttemptAnswer.objects.get(attempt=attempt).response == ["以人为本"]
