"""Fail fast on a locked or slow database (issue 19).

Without limits a statement waits for a lock as long as the lock is held: a
10 s lock on the study tables held every web worker for 10 s, a 32 s one
outlived gunicorn's timeout and every worker was killed. On PostgreSQL each
request therefore runs under ``statement_timeout`` and ``lock_timeout`` chosen
by its class (``settings.ANXUN_DB_TIMEOUTS``, milliseconds):

- ``fast``  — the study heartbeat and the exam autosave (both fast paths and
  their views): a client retries them anyway;
- ``page``  — every other request;
- ``long``  — reports and exports (``settings.ANXUN_DB_LONG_VIEWS``, view
  names as fnmatch patterns, and ``?format=`` or ``?export=xlsx|csv``), or a view decorated
  with :func:`db_timeouts`.

Management commands, migrations and Celery never pass this middleware: they
keep the server's defaults (none). A new connection opened during a request
gets the request's values (``connection_created``); an open one is changed
with one ``set_config`` round trip only when the class differs from the one it
has. Session-level values are set outside transactions only, so a rollback
cannot undo them behind our back. SQLite: nothing.

A statement cancelled by those limits (or a deadlock, or a database that does
not answer) ends in :func:`server_error` (``handler500``): a 503 "系统繁忙，
请稍后重试" page, or JSON ``{"code": "busy"}`` for JSON requests, with
``Retry-After`` — never a 500. The exam page's save queue retries it.
"""

from __future__ import annotations

import contextvars
import fnmatch
import logging
import sys
from functools import wraps

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.template.response import TemplateResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views import defaults

from lms.jsonbody import error_response

from . import metrics

logger = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs that mean "busy, try again": lock_not_available (lock_timeout),
# query_canceled (statement_timeout), deadlock_detected, serialization_failure.
BUSY_SQLSTATES = {"55P03": "lock_timeout", "57014": "statement_timeout", "40P01": "deadlock",
                  "40001": "serialization"}
RETRY_AFTER_SECONDS = 5

_klass: contextvars.ContextVar[str | None] = contextvars.ContextVar("anxun_db_timeout_class", default=None)


def db_timeouts(klass: str):
    """A view's request class (a key of ``settings.ANXUN_DB_TIMEOUTS``)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)
        wrapped.db_timeout_class = klass
        return wrapped
    return decorate


def use(klass: str | None, alias: str = "default") -> None:
    """Run what follows in this thread under ``klass``'s timeouts (None: the
    server's defaults are left as the connection has them)."""
    _klass.set(klass)
    if klass is not None:
        apply(connections[alias])


def apply(connection) -> None:
    """Give ``connection`` the current class's timeouts, if it is open,
    PostgreSQL, outside a transaction and has other values."""
    klass = _klass.get()
    if klass is None or connection.vendor != "postgresql" or connection.connection is None:
        return
    if connection.in_atomic_block:
        return  # a SET there would be undone by a rollback; set again before the next request's first statement
    values = settings.ANXUN_DB_TIMEOUTS[klass]
    state = (values, id(connection.connection))
    if getattr(connection, "_anxun_timeouts", None) == state:
        return
    try:
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
                           [f"{int(values[0])}ms", f"{int(values[1])}ms"])
    except Exception:  # noqa: BLE001 — a dead connection: Django's health check replaces it
        logger.warning("could not set the database timeouts; the connection is closed", exc_info=True)
        connection._anxun_timeouts = None
        try:
            connection.close()
        except DatabaseError:
            pass
        return
    connection._anxun_timeouts = state


def reset(connection) -> None:
    """Back to the server's defaults (a test that requests and then flushes on the same connection)."""
    _klass.set(None)
    if connection.vendor == "postgresql" and connection.connection is not None and not connection.in_atomic_block:
        with connection.connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
            cursor.execute("RESET lock_timeout")
    connection._anxun_timeouts = None


def _on_connection_created(sender, connection, **kwargs):
    connection._anxun_timeouts = None
    apply(connection)


connection_created.connect(_on_connection_created, dispatch_uid="anxun-db-timeouts")


def classify_view(request, view_func) -> str | None:
    klass = getattr(view_func, "db_timeout_class", None)
    if klass:
        return klass
    match = getattr(request, "resolver_match", None)
    name = match.view_name if match else ""
    if name in fast_url_names():
        return "fast"
    if {request.GET.get("format"), request.GET.get("export")} & {"xlsx", "csv"} or any(
        fnmatch.fnmatchcase(name, pattern) for pattern in settings.ANXUN_DB_LONG_VIEWS
    ):
        return "long"
    return None


_fast_names: tuple[frozenset, list] | None = None


def _fast_paths():
    """(URL names, [(URL name, compiled path pattern)]) of the fast paths in MIDDLEWARE."""
    global _fast_names
    if _fast_names is None:
        from lms.speed.fastpath import FastPathMiddleware, path_pattern

        names, patterns = set(), []
        for path in settings.MIDDLEWARE:
            middleware = import_string(path)
            if isinstance(middleware, type) and issubclass(middleware, FastPathMiddleware):
                names.add(middleware.url_name)
                patterns.append((middleware.url_name, path_pattern(middleware.url_name, middleware.int_args)))
        _fast_names = (frozenset(names), patterns)
    return _fast_names


def fast_url_names() -> frozenset:
    return _fast_paths()[0]


class DatabaseTimeoutMiddleware:
    """First in MIDDLEWARE (ahead of the fast paths): sets the request's class."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        klass = "page"
        if request.method == "POST":
            for name, pattern in _fast_paths()[1]:
                if pattern.match(request.path_info):
                    klass, request.fast_path_name = "fast", name
                    break
        request.db_timeout_class = klass
        token = _klass.set(klass)
        try:
            apply(connections["default"])
            return self.get_response(request)
        finally:
            _klass.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        klass = classify_view(request, view_func)
        if klass and klass != request.db_timeout_class:
            request.db_timeout_class = klass
            _klass.set(klass)
            apply(connections["default"])


def busy_kind(exc) -> str | None:
    """``lock_timeout``, ``statement_timeout``, ``deadlock``, ``serialization``
    or ``unavailable`` if ``exc`` is a database error worth retrying later; else None."""
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in BUSY_SQLSTATES:
        return BUSY_SQLSTATES[sqlstate]
    if sqlstate is None and cause is not None and type(cause).__module__.startswith("psycopg"):
        return "unavailable"  # no SQLSTATE: the server did not answer (connection refused, lost)
    if "database is locked" in str(exc):  # SQLite
        return "lock_timeout"
    return None


def _count_db_error(sender, request=None, **kwargs):
    exc = sys.exc_info()[1]
    if isinstance(exc, DatabaseError):
        metrics.DB_ERRORS.labels(busy_kind(exc) or "other").inc()


got_request_exception.connect(_count_db_error, dispatch_uid="anxun-db-errors")


def wants_json(request) -> bool:
    return (
        request.path_info.startswith("/api/")
        or request.content_type == "application/json"
        or (request.accepts("application/json") and not request.accepts("text/html"))
    )


def busy_response(request, kind: str = "lock_timeout"):
    """The 503 of a request the database could not serve in time."""
    metrics.DB_BUSY.labels(getattr(request, "db_timeout_class", "page")).inc()
    message = _("系统繁忙，请稍后重试")
    if wants_json(request):
        response = error_response(message, "busy", status=503)
    else:
        response = TemplateResponse(request, "503.html", {"message": message}, status=503)
        response.render()
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """``handler500``: a busy database is a 503 to retry, anything else Django's 500."""
    exc = sys.exc_info()[1]
    kind = busy_kind(exc)
    if kind:
        logger.warning("database busy (%s) on %s: answered 503", kind, request.path)
        try:
            return busy_response(request, kind)
        except Exception:  # noqa: BLE001 — the 503 page must not fail where the 500 would not
            logger.exception("rendering the 503 page failed")
    return defaults.server_error(request, template_name)
