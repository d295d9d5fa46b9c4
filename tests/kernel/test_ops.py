"""Issue 19: /healthz (liveness), /readyz (readiness, per-check JSON, 503
when a dependency is away) and /metrics (Prometheus, never public)."""

import pytest
from django.test import Client
from django.urls import reverse

from lms.ops import checks
from lms.ops.views import healthz, metrics, readyz
from tests.accounts.test_one_login_door import enumerate_urls
from tests.conftest import DEAD_REDIS

pytestmark = pytest.mark.django_db

TOKEN = "t0ken-for-prometheus-0123456789"


@pytest.fixture
def anon():
    return Client(raise_request_exception=False)


def test_healthz_answers_without_the_database(anon, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anon.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_healthz_answers_any_host_and_plain_http(settings, anon):
    """A load balancer asks by address over HTTP: no host check, no HTTPS redirect."""
    settings.ALLOWED_HOSTS = ["anxun.example.cn"]
    settings.SECURE_SSL_REDIRECT = True
    response = anon.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200


def test_readyz_with_everything_up(anon, settings):
    response = anon.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["checks"].items()} == {
        "database": "ok", "cache": "ok", "broker": "skipped", "migrations": "ok"}


def test_readyz_is_503_with_the_cache_away(anon, redis_down):
    response = anon.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"] == {"status": "error", "error": "ConnectionError"}
    assert body["checks"]["database"]["status"] == "ok"
    assert DEAD_REDIS not in response.content.decode()  # no addresses, no data


def test_readyz_is_503_with_the_broker_away(anon, settings):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] in ("error", "timeout")


def test_a_hung_check_times_out(anon, settings, monkeypatch):
    import threading
    import time

    settings.ANXUN_READYZ_TIMEOUT = 0.3
    release = threading.Event()
    monkeypatch.setitem(checks.CHECKS, "cache", lambda: release.wait(10) and "ok")
    started = time.monotonic()
    response = anon.get("/readyz")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 503 and response.json()["checks"]["cache"]["status"] == "timeout"
    release.set()  # the hung check ends within this test, not in a later one
    for thread in threading.enumerate():
        if thread.name.startswith("readyz"):
            thread.join(5)


def test_readyz_is_503_with_migrations_missing(anon, monkeypatch):
    monkeypatch.setattr(checks, "_migrations_applied", False)

    class Executor:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda self: []})()})()

        def migration_plan(self, targets):
            return [("courses.0099_new", False)]

    monkeypatch.setattr("django.db.migrations.executor.MigrationExecutor", Executor)
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"status": "error", "error": "RuntimeError"}


def test_metrics_are_denied_without_the_token(anon, settings):
    settings.ANXUN_METRICS_TOKEN = TOKEN
    assert anon.get("/metrics").status_code == 403
    assert anon.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert anon.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403


def test_metrics_are_denied_when_nothing_is_configured(anon, settings, alice_client):
    settings.ANXUN_METRICS_TOKEN = ""
    settings.ANXUN_METRICS_ALLOWED_IPS = []
    assert anon.get("/metrics").status_code == 403
    assert alice_client.get("/metrics").status_code == 403  # a login is not enough


def test_metrics_with_the_token(anon, settings, bob):
    settings.ANXUN_METRICS_TOKEN = TOKEN
    anon.get("/accounts/login/")  # a request to count
    response = anon.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert 'anxun_http_requests_total{method="GET",status="2xx",view="account_login"}' in text
    assert "anxun_http_request_duration_seconds_bucket" in text
    for job in ("workforce.importjob", "certificates.issuancebatch", "supervision.samplebundle"):
        assert f'anxun_jobs{{job="{job}",status="pending"}}' in text, job
    assert 'anxun_notice_emails{state="pending"}' in text
    assert "anxun_celery_broker_up" in text
    assert bob.username not in text and bob.email not in text


def test_metrics_from_an_allowed_address(anon, settings):
    settings.ANXUN_METRICS_TOKEN = ""
    settings.ANXUN_METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    assert anon.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert anon.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403


def test_cache_errors_are_counted(anon, redis_down, settings):
    from django.core.cache import cache

    cache.get("x")
    settings.ANXUN_METRICS_TOKEN = TOKEN
    text = anon.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'anxun_cache_errors_total{op="get"}' in text


def test_the_url_enumerations_know_the_public_probes():
    """The only views of lms.ops — public by design, no login, no data — are
    the three probes; the project-wide URL walk (tests/accounts) reaches them."""
    urls = {url: pattern for url, pattern in enumerate_urls()}
    ops = {url for url, pattern in urls.items() if pattern.callback.__module__ == "lms.ops.views"}
    assert ops == {"/healthz", "/readyz", "/metrics"}
    assert (reverse("healthz"), reverse("readyz"), reverse("metrics")) == ("/healthz", "/readyz", "/metrics")
    assert {urls[u].callback for u in ops} == {healthz, readyz, metrics}


def test_readyz_for_a_load_balancer_ignores_the_cache(anon, redis_down):
    response = anon.get("/readyz?only=database,migrations")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "migrations"}
