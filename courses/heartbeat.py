"""The study heartbeat, answered ahead of the middleware stack.

The heartbeat is the busiest request of the system (every learner, every
``ANXUN_STUDY_HEARTBEAT_SECONDS``). Through the whole stack, reading the
login session and the user (two cache or database reads), the MFA gate, the
account, message and redirect middleware cost more than the heartbeat's own
two statements. :class:`HeartbeatMiddleware` answers a heartbeat right after
``SecurityMiddleware`` instead, with what those layers would have decided:

- **CSRF**: Django's ``CsrfViewMiddleware`` checks the request, as for any view;
- **language**: chosen as ``LocaleMiddleware`` chooses it (cookie, header);
- **login**: the study session is read in one statement together with the
  login session it was started in (``django_session``, unexpired) and that
  login's user (courses.session_rows.load_by_login); the stored session
  must name this user through a model backend, and carry the user's current
  session auth hash — the checks ``django.contrib.auth.get_user`` makes, so
  a logout, an expired login, a deactivated user or a password change ends
  the heartbeat's credit exactly as it ends the login;
- **MFA**: if the user's role requires MFA (read in the same SELECT), the
  stored session must have passed it, as lms.accounts.middleware requires;
  a privileged login without it goes down the stack, which ends it. The fast
  path never extends a privileged session's idle deadline (lms.accounts.sessions):
  only the user's own requests through the stack do.

Only a heartbeat it can confirm that way is answered here; anything else — no
session cookie, a malformed body, no such study session in this login, a
stored hash that only a fallback secret verifies — goes down the normal stack
to ``courses.views.heartbeat``, which answers it (401, 400, 404, 409) as
before. Nothing is written before that decision, so falling through never
applies a beat twice. The same holds for a database connection the SELECT
finds dead (it doubles as Django's per-request health check): the stack
answers on a new connection.

Needs a database-backed session engine (``db``, ``cached_db``: the login
session is joined in SQL); with any other, or ``ANXUN_HEARTBEAT_FAST = False``,
every heartbeat takes the normal stack.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from lms.accounts import sessions

from . import services, session_rows, views

# Session engines that keep every login in django_session.
_DB_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


class HeartbeatMiddleware:
    """Place right after ``SecurityMiddleware`` (lms/settings/base.py)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = settings.ANXUN_HEARTBEAT_FAST and settings.SESSION_ENGINE in _DB_ENGINES
        self.csrf = CsrfViewMiddleware(get_response)
        if self.enabled:
            self.store = import_module(settings.SESSION_ENGINE).SessionStore()
            # Configured backends whose get_user is ModelBackend's (the user
            # by primary key, refused if inactive): the only ones confirmed here.
            self.backends = frozenset(path for path in settings.AUTHENTICATION_BACKENDS
                                      if issubclass(import_string(path), ModelBackend))

    def __call__(self, request):
        if self.enabled and request.method == "POST" and request.path_info == _path():
            response = self.answer(request)
            if response is not None:
                return response
        return self.get_response(request)

    def answer(self, request):
        """The heartbeat's response, or None to leave it to the normal stack."""
        login_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not login_key:
            return None
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        self.csrf.process_request(request)
        response = self.csrf.process_view(request, views.heartbeat, (), {})
        if response is None:
            try:
                token, beat = views.heartbeat_body(request)
            except ValidationError:
                return None
            now = timezone.now()
            try:
                found = session_rows.load_by_login(token=token, login_key=login_key, now=now)
            except session_rows.StaleConnection:
                return None  # the stack answers it on a new connection
            if found is None or not self.logged_in(found[1], user_id=found[0].user_id):
                return None
            session = found[0]
            response = views.heartbeat_answer(
                lambda: services.apply_heartbeat(session, beat=beat, login_key=login_key, now=now)
            )
        # What LocaleMiddleware and SessionMiddleware add to a response.
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return self.csrf.process_response(request, response)

    def logged_in(self, login: session_rows.Login, *, user_id) -> bool:
        """Whether the stored login session authenticates ``user_id`` now, as
        ``django.contrib.auth.get_user`` would decide it (without the fallback
        secrets: a hash only they verify is left to it, as it rotates the key)."""
        if not login.is_active:
            return False
        data = self.store.decode(login.session_data)  # {} if tampered with or unreadable
        if str(data.get(SESSION_KEY)) != str(user_id) or data.get(BACKEND_SESSION_KEY) not in self.backends:
            return False
        stored = data.get(HASH_SESSION_KEY)
        user = get_user_model()(pk=user_id, password=login.password)
        if not (stored and constant_time_compare(stored, user.get_session_auth_hash())):
            return False
        return not login.requires_mfa or sessions.passed_mfa(data, user)


@cache
def _path() -> str:
    # path_info carries no script prefix; reverse() does.
    return "/" + reverse("courses:heartbeat")[len(get_script_prefix()):]
