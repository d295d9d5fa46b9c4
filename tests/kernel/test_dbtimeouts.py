"""Issue 19: every request runs under its class's statement and lock timeouts
(PostgreSQL), and a statement cancelled by them answers 503 "系统繁忙，请稍后
重试" — JSON for JSON clients, a page otherwise — never a 500."""

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from courses.speed import HeartbeatMiddleware
from lms.accounts.middleware import RequireMFAMiddleware
from lms.kernel import dbtimeouts

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL timeouts")


def lock_timeout_error():
    try:
        raise psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
    except psycopg.errors.LockNotAvailable as cause:
        error = OperationalError("canceling statement due to lock timeout")
        error.__cause__ = cause
        return error


@pytest.fixture
def anon():
    return Client(raise_request_exception=False)


def test_a_lock_timeout_on_a_page_is_a_503_page(anon, monkeypatch):
    def locked(self, request):
        raise lock_timeout_error()

    monkeypatch.setattr(RequireMFAMiddleware, "__call__", locked)
    response = anon.get("/accounts/login/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "系统繁忙，请稍后重试" in response.content.decode()


def test_a_lock_timeout_on_a_json_request_is_a_busy_json(anon, monkeypatch):
    def locked(self, request):
        raise lock_timeout_error()

    monkeypatch.setattr(HeartbeatMiddleware, "__call__", locked)
    response = anon.post("/learn/heartbeat/", data={"token": "x", "seq": 1}, content_type="application/json")
    assert response.status_code == 503
    assert response.json()["code"] == "busy" and response.json()["detail"] == "系统繁忙，请稍后重试"


def test_any_other_error_is_still_a_500(anon, monkeypatch):
    def broken(self, request):
        raise OperationalError("no such table: x")

    monkeypatch.setattr(RequireMFAMiddleware, "__call__", broken)
    assert anon.get("/accounts/login/").status_code == 500


@pytest.mark.parametrize("sqlstate, kind", [("55P03", "lock_timeout"), ("57014", "statement_timeout"),
                                             ("40P01", "deadlock"), ("42P01", None)])
def test_busy_kinds(sqlstate, kind):
    cause = psycopg.errors.lookup(sqlstate)("x")
    error = OperationalError("x")
    error.__cause__ = cause
    assert dbtimeouts.busy_kind(error) == kind


@pytest.mark.parametrize("path, method, query, klass", [
    ("/learn/heartbeat/", "post", {}, "fast"),
    ("/reports/", "get", {}, "long"),
    ("/accounts/login/", "get", {}, "page"),
    ("/accounts/login/", "get", {"format": "xlsx"}, "long"),
    ("/accounts/login/", "get", {"export": "csv"}, "long"),
])
def test_request_classes(path, method, query, klass):
    from django.urls import resolve

    request = getattr(RequestFactory(), method)(path, query)
    match = resolve(path)
    request.resolver_match = match
    assert (dbtimeouts.classify_view(request, match.func) or "page") == klass


def test_gunicorn_timeout_is_above_the_longest_statement_timeout(settings):
    from lms import gunicorn_conf

    longest = max(statement for statement, _lock in settings.ANXUN_DB_TIMEOUTS.values())
    assert gunicorn_conf.timeout * 1000 > longest
    fast, page = settings.ANXUN_DB_TIMEOUTS["fast"], settings.ANXUN_DB_TIMEOUTS["page"]
    assert fast[1] <= 1000 and fast[0] <= 2000 and page[1] <= 3000


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_each_request_class_gets_its_timeouts(db_timeouts_reset, anon, bob):
    def show():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
            return cursor.fetchone()

    anon.get("/accounts/login/")
    assert show() == ("10s", "3s")
    anon.post("/learn/heartbeat/", data={"token": "x", "seq": 1}, content_type="application/json")
    assert show() == ("2s", "1s")
    anon.force_login(bob)
    anon.get("/reports/")
    assert show() == ("1min", "5s")
