"""A new web worker is made ready before its first request (lms/speed/warmup.py,
lms/gunicorn_conf.py): a cold worker once took more than a heartbeat's two
seconds on its first request, so a later beat overtook an earlier one."""

import logging
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import clear_url_caches, get_resolver

from courses import session_rows
from exams import speed as exams_speed
from lms import gunicorn_conf
from lms.speed import warmup

pytestmark = [pytest.mark.django_db, pytest.mark.speed("warmup")]


def test_warm_builds_the_resolver_connects_and_prepares_the_heartbeat_sql(monkeypatch):
    clear_url_caches()
    monkeypatch.setattr(session_rows, "_selects", {})
    monkeypatch.setattr(session_rows, "_updates", {})
    monkeypatch.setattr(exams_speed, "_selects", {})
    connection.close()
    clock = iter([100.0, 100.75])
    monkeypatch.setattr(warmup.time, "perf_counter", lambda: next(clock))

    seconds = warmup.warm()

    assert seconds == 0.75  # the time between the start and the end of the warm-up
    assert get_resolver()._populated
    assert connection.connection is not None  # the worker's connection is open
    assert {(connection.vendor, False), (connection.vendor, True)} <= set(session_rows._selects)
    assert {(connection.vendor, False), (connection.vendor, True)} <= set(session_rows._updates)
    assert connection.vendor in exams_speed._selects  # the exam autosave's fast path too


def test_a_failing_warm_up_is_logged_and_the_worker_still_starts(monkeypatch, caplog):
    def broken(_connection):
        raise RuntimeError("database not reachable yet")

    monkeypatch.setattr(session_rows, "prepare", broken)
    clock = iter([5.0, 5.5])
    monkeypatch.setattr(warmup.time, "perf_counter", lambda: next(clock))
    with caplog.at_level(logging.ERROR, logger="lms.speed.warmup"):
        seconds = warmup.warm()
    assert seconds == 0.5  # still measured, not raised
    assert "warm-up of the web worker failed" in caplog.text
    assert "database not reachable yet" in caplog.text


def test_gunicorn_warms_each_worker_after_the_fork(monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(warmup, "warm", lambda: calls.append(1) or 0.25)
    with caplog.at_level(logging.INFO, logger="gunicorn.error"):
        gunicorn_conf.post_worker_init(SimpleNamespace(pid=4242))
    assert calls == [1]
    assert "worker 4242 warmed up in 0.25 s" in caplog.text


def test_gunicorn_preloads_the_app_and_the_master_warms_the_shared_state(monkeypatch):
    """Issue 19: a replacement worker forks from a master that imported the
    app and built the URL resolver, so it only opens its connections."""
    assert gunicorn_conf.preload_app is True
    clear_url_caches()
    logged = []
    gunicorn_conf.when_ready(SimpleNamespace(log=SimpleNamespace(info=lambda *a: logged.append(a))))
    assert get_resolver()._populated
    assert logged and "master warmed" in logged[0][0]
