"""With a shared cache (Redis in production) sessions are ``cached_db`` and
the logged-in user is cached between requests (lms.speed.usercache); every
security property of Django's own lookup must hold: logout ends the session
everywhere, a password change ends the other sessions, a deactivated user is
logged out at once. The tests stand in for Redis with the test process's
local-memory cache, which every test client shares."""

import environ
import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.accounts.models import User
from lms.settings.caching import cache_settings
from lms.speed import usercache
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.speed("user_cache")]

SHARED = override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db", ANXUN_USER_CACHE_SECONDS=60)
PAGE = "/portal/"


@pytest.fixture(autouse=True)
def _shared_cache():
    with SHARED:
        yield


def logged_in(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def reads(client, path=PAGE):
    """(status, SELECTs of the session table, SELECTs of the user by id)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    sqls = [q["sql"] for q in ctx.captured_queries]
    return (response.status_code,
            sum('FROM "django_session"' in q for q in sqls),
            sum(q.startswith("SELECT") and 'FROM "accounts_user" WHERE "accounts_user"."id"' in q for q in sqls))


def expire_tombstone(user):
    cache.delete(usercache.cache_key(user.pk))  # as after TOMBSTONE_SECONDS


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize("environment, fallbacks, engine, seconds, backend", [
    ({}, (), "db", 0, "django.core.cache.backends.locmem.LocMemCache"),
    ({"CACHE_URL": "redis://127.0.0.1:6379/1"}, (), "cached_db", 60, "lms.kernel.cache.ResilientRedisCache"),
    ({"CACHE_URL": "redis://127.0.0.1:6379/1", "ANXUN_USER_CACHE_SECONDS": "0"}, (), "cached_db", 0,
     "lms.kernel.cache.ResilientRedisCache"),
    ({}, ("", "redis://127.0.0.1:6379/0"), "cached_db", 60, "lms.kernel.cache.ResilientRedisCache"),  # the Celery broker
    ({}, ("amqp://guest@localhost//",), "db", 0, "django.core.cache.backends.locmem.LocMemCache"),
    ({"CACHE_URL": "locmemcache://x"}, ("redis://127.0.0.1:6379/0",), "db", 0,
     "django.core.cache.backends.locmem.LocMemCache"),
    ({"CACHE_URL": "dummycache://"}, (), "db", 0, "django.core.cache.backends.dummy.DummyCache"),
])
def test_sessions_and_users_are_cached_only_in_a_shared_cache(monkeypatch, environment, fallbacks, engine,
                                                             seconds, backend):
    for name in ("CACHE_URL", "ANXUN_USER_CACHE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    got = cache_settings(environ.Env(), fallback_urls=fallbacks)
    assert got["SESSION_ENGINE"] == f"django.contrib.sessions.backends.{engine}"
    assert got["ANXUN_USER_CACHE_SECONDS"] == seconds
    assert got["CACHES"]["default"]["BACKEND"] == backend


# --- the cached lookup ------------------------------------------------------------------------


def test_after_the_first_request_neither_session_nor_user_is_read_from_the_database(bob):
    client = logged_in(bob)
    expire_tombstone(bob)  # the login saved last_login
    assert reads(client) == (200, 0, 1)  # the user row once, then from the cache
    assert reads(client) == (200, 0, 0)


def test_logout_ends_the_session_everywhere(bob):
    client = logged_in(bob)
    expire_tombstone(bob)
    client.get(PAGE)
    stolen = Client()
    stolen.cookies = client.cookies  # the same cookie in another browser (another worker)
    assert stolen.get(PAGE).status_code == 200
    client.post(reverse("account_logout"))
    assert stolen.get(PAGE).status_code == 302


def test_a_password_change_ends_the_other_sessions_but_not_this_one(bob):
    phone, laptop = logged_in(bob), logged_in(bob)
    expire_tombstone(bob)
    for client in (phone, laptop):
        assert client.get(PAGE).status_code == 200
    response = laptop.post(reverse("account_change_password"),
                           {"oldpassword": PASSWORD, "password1": "Nw-Anxun-2027!", "password2": "Nw-Anxun-2027!"})
    assert response.status_code == 302, response.content.decode()[:300]
    assert laptop.get(PAGE).status_code == 200
    assert phone.get(PAGE).status_code == 302  # its session hash no longer matches


def test_a_password_set_by_someone_else_is_seen_at_the_next_request(bob):
    client = logged_in(bob)
    expire_tombstone(bob)
    client.get(PAGE)
    user = User.objects.get(pk=bob.pk)
    user.set_password("Nw-Anxun-2027!")
    user.save()
    assert client.get(PAGE).status_code == 302


def test_a_deactivated_user_is_logged_out_at_once(bob):
    client = logged_in(bob)
    expire_tombstone(bob)
    client.get(PAGE)
    user = User.objects.get(pk=bob.pk)
    user.is_active = False
    user.save()
    assert client.get(PAGE).status_code == 302


def test_a_cached_copy_of_an_inactive_user_is_refused_all_the_same(bob):
    client = logged_in(bob)
    expire_tombstone(bob)
    client.get(PAGE)
    # A change the signals did not see (QuerySet.update) with a stale copy
    # that says inactive: the backend's is_active check runs on cached rows too.
    fields, values = cache.get(usercache.cache_key(bob.pk))
    values = list(values)
    values[fields.index("is_active")] = False
    cache.set(usercache.cache_key(bob.pk), (fields, tuple(values)), 60)
    assert client.get(PAGE).status_code == 302


def test_a_request_that_read_the_row_before_a_change_does_not_cache_it(bob):
    client = logged_in(bob)
    usercache.forget(bob.pk)  # a change is being saved
    assert reads(client) == (200, 0, 1)
    assert cache.get(usercache.cache_key(bob.pk)) == usercache.TOMBSTONE  # still: nothing cached meanwhile
    assert reads(client)[2] == 1


def test_a_cached_row_of_another_schema_is_ignored(bob):
    client = logged_in(bob)
    cache.set(usercache.cache_key(bob.pk), (("id", "password"), (bob.pk, "x")), 60)  # before a deploy
    assert reads(client) == (200, 0, 1)


def test_a_session_of_a_rotated_secret_key_still_works_and_is_rekeyed(bob, settings):
    client = logged_in(bob)
    expire_tombstone(bob)
    old_hash = client.session[HASH_SESSION_KEY]
    old_key = client.session.session_key
    with override_settings(SECRET_KEY="n" * 60, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        assert client.get(PAGE).status_code == 200
        assert client.session[HASH_SESSION_KEY] != old_hash
        assert client.session.session_key != old_key
    with override_settings(SECRET_KEY="m" * 60, SECRET_KEY_FALLBACKS=[]):
        assert client.get(PAGE).status_code == 302


def test_without_a_shared_cache_nothing_is_cached(bob):
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.db", ANXUN_USER_CACHE_SECONDS=0):
        client = logged_in(bob)
        client.get(PAGE)
        status, sessions, users = reads(client)
        assert (status, sessions, users) == (200, 1, 1)
        assert cache.get(usercache.cache_key(bob.pk)) in (None, usercache.TOMBSTONE)  # never a row


def test_the_roles_come_with_the_cached_user_in_one_cache_read(bob):
    from unittest import mock

    from django.core.cache import caches

    client = logged_in(bob)
    expire_tombstone(bob)
    client.get(PAGE)  # user and roles cached
    backend = caches["default"]
    with mock.patch.object(backend, "get", wraps=backend.get) as single, \
            mock.patch.object(backend, "get_many", wraps=backend.get_many) as many:
        assert reads(client) == (200, 0, 0)
    read = [c.args[0] for c in single.call_args_list]  # (local memory's get_many is a loop of gets)
    assert read.count(User.role_cache_key(bob.pk)) == read.count(usercache.cache_key(bob.pk)) == 1
    assert [c.args[0] for c in many.call_args_list] == [[usercache.cache_key(bob.pk), User.role_cache_key(bob.pk)]]
    assert not [q for q in _membership_sql(client)]


def _membership_sql(client):
    with CaptureQueriesContext(connection) as ctx:
        client.get(PAGE)
    return [q["sql"] for q in ctx.captured_queries if "membership" in q["sql"]]
