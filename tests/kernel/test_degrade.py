"""Issue 19: with Redis away the site keeps serving from the database —
the login page, a sign-in, pages — and a circuit breaker stops asking the
dead Redis on every request (lms/kernel/cache.py)."""

import pytest
import redis
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.test import Client

from lms.kernel import cache as resilient
from tests.conftest import DEAD_REDIS, PASSWORD
from tests.factories import home_page

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_the_login_page_answers_without_redis(redis_down):
    client = Client(raise_request_exception=False)
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert redis_down, "the cache did try Redis (the test is not vacuous)"


def test_django_redis_cache_alone_would_fail_the_login_page(settings):
    """What the operator saw: Django's own RedisCache on the request path, Redis away → 500."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.ANXUN_USER_CACHE_SECONDS = 60
    home_page()
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500


def test_sign_in_and_pages_work_without_redis(redis_down, bob):
    home_page()
    client = Client(raise_request_exception=False)
    response = client.post(LOGIN, {"login": bob.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    assert "_auth_user_id" in client.session  # the session is in the database
    for url in ("/", "/learn/"):
        page = client.get(url)
        assert page.status_code in (200, 302), (url, page.status_code)
        assert page.status_code != 500
    assert client.get("/").status_code == 200


def test_the_breaker_skips_redis_after_a_failure(redis_down):
    assert cache.get("a", "miss") == "miss"
    first = len(redis_down)
    assert first >= 1
    for i in range(20):
        assert cache.get("a", "miss") == "miss"
        cache.set("a", 1)
        assert cache.get_many(["a", "b"]) == {}
        # add() falls back to this process's memory: a TOTP code is still used once.
        assert cache.add("totp-code", 1) is (i == 0)
    assert len(redis_down) == first, "no connection attempt while the breaker is open"
    Client(raise_request_exception=False).get(LOGIN)
    assert len(redis_down) == first


def test_the_breaker_tries_again_after_its_interval(redis_down, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: now[0])
    cache.get("a")
    tried = len(redis_down)
    now[0] += 5
    cache.get("a")
    assert len(redis_down) == tried
    now[0] += 6  # past breaker_seconds (10)
    cache.get("a")
    assert len(redis_down) > tried


def test_writes_lost_while_redis_was_away_are_deleted_when_it_returns(monkeypatch):
    """A logout (a delete) lost during the outage must not let the cached session come back."""
    resilient.reset_breakers()
    client = resilient.ResilientRedisCacheClient(["redis://127.0.0.1:6390/0"], breaker_seconds=10)
    down = [True]
    deleted = []

    def delete(self, key):
        if down[0]:
            raise redis.ConnectionError("away")
        return True

    monkeypatch.setattr(RedisCacheClient, "delete", delete)
    monkeypatch.setattr(RedisCacheClient, "get", lambda self, key, default: default)
    monkeypatch.setattr(RedisCacheClient, "delete_many", lambda self, keys: deleted.extend(keys))
    now = [0.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: now[0])

    assert client.delete(":1:django.contrib.sessions.cachedsession-abc") is False
    client.set(":1:anxun:user:7", "-", 10)  # breaker open: skipped, remembered
    down[0] = False
    now[0] = 11.0
    client.get(":1:x", None)  # Redis answers again
    assert sorted(deleted) == [":1:anxun:user:7", ":1:django.contrib.sessions.cachedsession-abc"]
    resilient.reset_breakers()


def test_production_cache_settings_bound_a_dead_redis(monkeypatch):
    import environ

    from lms.settings.caching import cache_settings

    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    got = cache_settings(environ.Env())["CACHES"]["default"]
    assert got["BACKEND"] == "lms.kernel.cache.ResilientRedisCache"
    assert got["OPTIONS"]["socket_connect_timeout"] <= 1 and got["OPTIONS"]["socket_timeout"] <= 2
    assert got["OPTIONS"]["breaker_seconds"] == 10


def test_celery_keeps_retrying_the_broker():
    from lms.celery import app

    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.broker_connection_retry is True
    assert app.conf.broker_connection_max_retries is None
