"""A privileged session ends after a working day without a request
(``ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS``, 8 h by default); each request
moves the deadline on, written at most every few minutes. Ordinary users keep
Django's SESSION_COOKIE_AGE."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, login_with_mfa
from tests.totp import current_code

pytestmark = pytest.mark.django_db

HOURS_8 = 8 * 3600


@pytest.fixture
def later(monkeypatch):
    """``later(seconds)``: from now on the clock reads that much later."""
    real_now = timezone.now

    def move(seconds):
        target = real_now() + dt.timedelta(seconds=seconds)
        monkeypatch.setattr(timezone, "now", lambda: target)

    return move


def stored_expiry(client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def seconds_left(client) -> float:
    return (stored_expiry(client) - timezone.now()).total_seconds()


def test_the_default_idle_time_is_a_working_day():
    assert settings.ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS == HOURS_8


def test_a_privileged_login_through_allauth_lasts_eight_idle_hours(client, alice):
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD, "remember": "on"})
    client.post(reverse("mfa_authenticate"), {"code": current_code(alice.totp_secret)})
    assert client.session[SESSION_KEY] == str(alice.pk)
    assert HOURS_8 - 60 < seconds_left(client) <= HOURS_8


def test_privileged_session_dies_after_eight_idle_hours(client, alice, later):
    login_with_mfa(client, alice)
    assert client.get("/admin/").status_code == 200
    assert HOURS_8 - 300 <= seconds_left(client) <= HOURS_8

    later(HOURS_8 + 1)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_each_request_moves_the_deadline_on(client, alice, later):
    login_with_mfa(client, alice)
    client.get("/admin/")
    later(HOURS_8 - 600)
    assert client.get("/admin/").status_code == 200
    later(2 * HOURS_8 - 1200)  # 16 h after login, under 8 h after the last request
    assert client.get("/admin/").status_code == 200
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_the_deadline_is_not_rewritten_on_every_request(client, alice):
    login_with_mfa(client, alice)
    client.get("/admin/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/")
        client.get("/api/v1/employees/")
    writes = [q["sql"] for q in queries.captured_queries
              if "django_session" in q["sql"] and q["sql"].startswith(("UPDATE", "INSERT"))]
    assert writes == []


def test_a_workers_session_keeps_the_ordinary_lifetime(client, bob, later):
    client.post("/accounts/login/", {"login": bob.email, "password": PASSWORD, "remember": "on"})
    client.get("/portal/")
    assert seconds_left(client) > settings.SESSION_COOKIE_AGE - 60
    later(HOURS_8 + 1)
    assert client.get("/portal/").status_code == 200


def test_the_idle_time_is_configurable(settings, alice, later):
    settings.ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS = 3600
    client = login_with_mfa(Client(), alice)
    client.get("/admin/")
    assert 3300 <= seconds_left(client) <= 3600
    later(3601)
    assert client.get("/admin/").status_code == 302
