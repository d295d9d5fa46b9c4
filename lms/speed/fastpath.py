"""Requests answered ahead of the middleware stack: what they share.

The two busiest requests of the system — the study heartbeat
(courses.speed) and the exam autosave (exams.speed) — are
answered by a middleware placed right after ``SecurityMiddleware`` when, and
only when, it can confirm the request the way the stack would. This module
is that confirmation, in one place:

- :class:`FastPathMiddleware` — the frame: only a POST to the one URL
  (matched by a pattern derived from the URLconf) is tried; the language is
  chosen as ``LocaleMiddleware`` chooses it; CSRF is checked by Django's
  ``CsrfViewMiddleware``; the response gets what ``LocaleMiddleware``,
  ``SessionMiddleware`` and the CSRF middleware add. A subclass's
  :meth:`~FastPathMiddleware.answer` returns the response, or None to leave
  the request, untouched, to the stack.
- :class:`LoginCheck` — whether a login session read in the request's own
  SELECT (``django_session`` row, unexpired, joined to its user) authenticates
  a user now, as ``django.contrib.auth.get_user`` and the MFA gate decide it.
- :func:`cursor` and :func:`fetch_one` — the statements' database cursor
  (prepared on PostgreSQL) and the first read doubling as Django's per-request
  connection health check (:class:`StaleConnection`).

Needs a database-backed session engine (``db``, ``cached_db``: the login
session is joined in SQL); with any other, every request takes the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

import psycopg
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.auth.backends import ModelBackend
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorDebugWrapper
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from lms import speed

# Session engines that keep every login in django_session.
DB_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")

_ARG = 987654321  # stands for an <int:…> argument while deriving a path pattern


@cache
def path_pattern(url_name: str, int_args: int = 0) -> re.Pattern:
    """The ``path_info`` of URL ``url_name`` as a compiled pattern, its
    ``<int:…>`` arguments (``int_args`` of them) as groups — read from the
    URLconf once, so a rename or move there moves the fast path with it."""
    url = reverse(url_name, args=[_ARG] * int_args)
    path = "/" + url[len(get_script_prefix()):]  # path_info carries no script prefix
    return re.compile(re.escape(path).replace(str(_ARG), "([0-9]+)") + r"\Z")


class FastPathMiddleware:
    """Answers POSTs to ``url_name`` ahead of the stack; place right after
    ``SecurityMiddleware``. Subclasses set ``url_name``, ``int_args``,
    ``switch`` (its name in lms.speed.SWITCHES), ``passed_mfa`` (whether a
    stored session's data passed the second factor: ``(data, user) -> bool``)
    and :meth:`view`, and implement :meth:`answer`."""

    url_name: str
    int_args = 0
    switch: str
    passed_mfa: Callable[[dict, object], bool]

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = speed.on(self.switch) and settings.SESSION_ENGINE in DB_ENGINES
        self.csrf = CsrfViewMiddleware(get_response)
        if self.enabled:
            self.login_check = LoginCheck(passed_mfa=type(self).passed_mfa)

    @cached_property
    def pattern(self) -> re.Pattern:
        return path_pattern(self.url_name, self.int_args)

    @classmethod
    def prepare(cls, connection) -> None:
        """Build what the first request would (a new web worker's warm-up, lms/speed/warmup.py)."""
        path_pattern(cls.url_name, cls.int_args)

    def __call__(self, request):
        if self.enabled and request.method == "POST":
            match = self.pattern.match(request.path_info)
            if match:
                response = self.answer(request, *(int(arg) for arg in match.groups()))
                if response is not None:
                    return response
        return self.get_response(request)

    def view(self):
        """The view the stack would call (for CSRF's exemption markers)."""
        raise NotImplementedError

    def answer(self, request, *args):
        """The response, or None to leave the request to the normal stack."""
        raise NotImplementedError

    def begin(self, request):
        """The login session key, or None (no cookie: the stack answers);
        the language is active and ``request.LANGUAGE_CODE`` set as
        ``LocaleMiddleware`` would. Then :meth:`csrf_refusal`."""
        login_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not login_key:
            return None
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return login_key

    def csrf_refusal(self, request, *args):
        """Django's CSRF decision for this request: None if it passes, else
        the 403 ``CsrfViewMiddleware`` would answer."""
        self.csrf.process_request(request)
        return self.csrf.process_view(request, self.view(), args, {})

    def finish(self, request, response):
        """What LocaleMiddleware, SessionMiddleware and the CSRF middleware add to a response."""
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return self.csrf.process_response(request, response)


@dataclass(frozen=True)
class Login:
    """What a fast path's SELECT read of a login: the ``django_session`` row's
    data (the row unexpired) and its user's password hash and active flag, and
    whether the user's role requires MFA."""
    session_data: str
    password: str
    is_active: bool
    requires_mfa: bool = False


class LoginCheck:
    """Whether a stored login session authenticates a user now."""

    def __init__(self, *, passed_mfa: Callable[[dict, object], bool]):
        self.passed_mfa = passed_mfa
        self.store = import_module(settings.SESSION_ENGINE).SessionStore()
        # Configured backends whose get_user is ModelBackend's (the user by
        # primary key, refused if inactive): the only ones confirmed here.
        self.backends = frozenset(path for path in settings.AUTHENTICATION_BACKENDS
                                  if issubclass(import_string(path), ModelBackend))

    def __call__(self, login: Login, *, user_id) -> bool:
        """As ``django.contrib.auth.get_user`` would decide it (without the
        fallback secrets: a hash only they verify is left to it, as it rotates
        the key), and then the MFA gate (lms.accounts.middleware)."""
        if not login.is_active:
            return False
        data = self.store.decode(login.session_data)  # {} if tampered with or unreadable
        if str(data.get(SESSION_KEY)) != str(user_id) or data.get(BACKEND_SESSION_KEY) not in self.backends:
            return False
        stored = data.get(HASH_SESSION_KEY)
        user = get_user_model()(pk=user_id, password=login.password)
        if not (stored and constant_time_compare(stored, user.get_session_auth_hash())):
            return False
        # The MFA condition, the one place both fast paths decide it: a user
        # whose role requires MFA is confirmed only if this stored session
        # passed the second factor (what the stack's MFA gate requires);
        # otherwise the request goes down the stack, whose gate ends the
        # login. The fast paths never extend a privileged session's idle deadline.
        return not login.requires_mfa or self.passed_mfa(data, user)


class StaleConnection(Exception):
    """The database connection was found dead by a read; it is closed, nothing was written."""


def cursor(connection):
    """A cursor for the fast paths' statements: Django's own elsewhere; on
    PostgreSQL (psycopg 3) one with server-side binding whose statements are
    prepared once per connection — still wrapped by Django (execute wrappers,
    query logging, error translation). Django binds parameters on the client
    and prepares nothing (so that transaction-mode poolers work); behind such
    a pooler without prepared-statement support set
    ``ANXUN_SPEED["prepared"] = False``."""
    if connection.vendor != "postgresql" or not speed.on("prepared"):
        return connection.cursor()
    # What Django's own connection._cursor() does, with our cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    pg = connection.connection
    if pg.prepare_threshold is None:
        # Django turns preparing off (None); only server-binding cursors — this
        # module's — ever prepare, Django's own bind on the client and never do.
        pg.prepare_threshold = 5
    with connection.wrap_database_errors:
        raw = _PreparedCursor(pg)
    return _DebugCursor(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


class _DebugCursor(CursorDebugWrapper):
    """Django's query log (DEBUG, CaptureQueriesContext) for these statements:
    Django reads the executed SQL back from a client-binding cursor, which a
    prepared one does not have, so the SQL is logged with its parameters
    quoted in, as Django would show it."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return super(CursorDebugWrapper, self).execute(sql, params)


class _PreparedCursor(psycopg.Cursor):
    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


def fetch_one(connection, sql: str, params, *, probe: bool = False):
    """The first row of a read (None if none). With ``probe``, the read is the
    request's connection health check (``CONN_HEALTH_CHECKS``) instead of
    Django's extra ``SELECT 1``: if it finds the connection unusable, the
    connection is closed and :class:`StaleConnection` raised — so call it
    before anything is written, and let the stack answer on a new connection."""
    probing = probe and connection.connection is not None and not connection.health_check_done
    if probing:
        connection.health_check_done = True  # the SELECT below is the check
    try:
        with cursor(connection) as c:
            c.execute(sql, params)
            return c.fetchone()
    except (OperationalError, InterfaceError):
        if not probing or connection.in_atomic_block or connection.is_usable():
            raise
        connection.close()
        raise StaleConnection from None
