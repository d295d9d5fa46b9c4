"""The readiness checks: database, cache, broker, migrations — each in its own
thread with a time limit, so a hung dependency makes the check fail, not hang."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.cache import caches
from django.db import connections

_migrations_applied = False  # once true, true for the life of the process


def check_database() -> str:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET statement_timeout = 2000")
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this thread's own connection
    return "ok"


def check_cache() -> str:
    cache = caches["default"]
    if hasattr(cache, "ping"):
        cache.ping()  # Redis itself, past the circuit breaker
        return "ok"
    cache.set("anxun:readyz", 1, 10)
    if cache.get("anxun:readyz") != 1:
        raise RuntimeError("cache read back nothing")
    return "ok"


def check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "skipped"  # no broker: tasks run in-process (eager)
    from lms.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=settings.ANXUN_READYZ_TIMEOUT)
    return "ok"


def check_migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    connection = connections["default"]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    finally:
        connection.close()
    if plan:
        raise RuntimeError(f"{len(plan)} migrations not applied")
    _migrations_applied = True
    return "ok"


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "migrations": check_migrations,
}


def readiness(timeout: float | None = None, only=None) -> tuple[bool, dict]:
    """(ready, {check: {"status": "ok"|"skipped"|"error"|"timeout", "ms": …, "error": class name}});
    ``only``: the names of the checks to run (default all)."""
    timeout = settings.ANXUN_READYZ_TIMEOUT if timeout is None else timeout
    selected = {name: check for name, check in CHECKS.items() if not only or name in only}
    pool = ThreadPoolExecutor(max_workers=max(1, len(selected)), thread_name_prefix="readyz")
    started = time.perf_counter()
    futures = {name: pool.submit(_timed, check) for name, check in selected.items()}
    results = {}
    for name, future in futures.items():
        remaining = max(0.0, timeout - (time.perf_counter() - started))
        try:
            status, ms = future.result(timeout=remaining)
            results[name] = {"status": status, "ms": ms}
        except FutureTimeout:
            results[name] = {"status": "timeout", "ms": round(timeout * 1000)}
        except Exception as exc:  # noqa: BLE001 — each failure is reported, by class only (no DSN, no data)
            results[name] = {"status": "error", "error": type(exc).__name__}
    pool.shutdown(wait=False, cancel_futures=True)
    ready = all(r["status"] in ("ok", "skipped") for r in results.values())
    return ready, results


def _timed(check):
    started = time.perf_counter()
    status = check()
    return status, round((time.perf_counter() - started) * 1000, 1)
