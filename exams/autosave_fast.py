"""The exam autosave, answered ahead of the middleware stack.

The autosave is the exam's busiest request (every answer an examinee gives,
and again on every change). Through the whole stack — the login session and
the user read by the session and auth middleware, the MFA gate, the account,
message, CSP and redirect middleware — a save cost more CPU than the save
itself. :class:`AutosaveMiddleware` answers it right after the study
heartbeat's middleware instead, confirming the request as the heartbeat does
(lms.fastpath, shared with courses.heartbeat):

- **CSRF** and **language** as the stack decides them;
- **login**: one SELECT reads the attempt's owner together with the login
  session (``django_session``, unexpired) and the owner's password hash and
  active flag; the stored session must name that owner through a model
  backend with the owner's current session auth hash — so a logout, an
  expired login, a deactivated user, a password change or another person's
  attempt is never answered here;
- **MFA**: a user whose role requires MFA is left to the stack's gate.

It then calls what the view calls (``exams.views.autosave_answer``: the same
service, the same JSON, status codes and error shape), with the view's
``never_cache`` headers. Anything it cannot confirm — no session cookie, a
CSRF refusal, a malformed or oversized body, any login check above, a
connection the SELECT (the request's health check) finds dead — goes down
the normal stack unchanged, to ``exams.views.attempt_answer``. Nothing is
written before that decision, so falling through never saves twice.

``ANXUN_AUTOSAVE_FAST = False`` (or a session engine that is not
database-backed) sends every autosave through the stack.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils.cache import add_never_cache_headers

from lms import fastpath, jsonbody
from lms.workforce.models import Employee

from . import views
from .models import Attempt

_selects: dict[str, tuple[str, tuple]] = {}


def _select_for(connection) -> tuple[str, tuple]:
    """(SQL, deadline converters): the attempt's deadline and owner, the login
    session by key if unexpired, and the owner's password, active and
    superuser flags — built once per database vendor from the models' metadata."""
    plan = _selects.get(connection.vendor)
    if plan is None:
        qn = connection.ops.quote_name
        user = get_user_model()

        def col(model, name):
            return qn(model._meta.get_field(name).column)

        sql = (
            f"SELECT a.{col(Attempt, 'id')}, a.{col(Attempt, 'deadline')}, e.{col(Employee, 'user')}, "
            f"d.{col(Session, 'session_data')}, u.{col(user, 'password')}, u.{col(user, 'is_active')}, "
            f"u.{col(user, 'is_superuser')} "
            f"FROM {qn(Attempt._meta.db_table)} a "
            f"INNER JOIN {qn(Employee._meta.db_table)} e ON e.{col(Employee, 'id')} = a.{col(Attempt, 'employee')} "
            f"INNER JOIN {qn(user._meta.db_table)} u ON u.{col(user, 'id')} = e.{col(Employee, 'user')} "
            f"INNER JOIN {qn(Session._meta.db_table)} d ON d.{col(Session, 'session_key')} = %s "
            f"AND d.{col(Session, 'expire_date')} > %s "
            f"WHERE a.{col(Attempt, 'id')} = %s"
        )
        deadline = Attempt._meta.get_field("deadline").get_col(Attempt._meta.db_table)
        converters = tuple(connection.ops.get_db_converters(deadline) + deadline.get_db_converters(connection))
        plan = _selects[connection.vendor] = (sql, converters)
    return plan


def load(*, attempt_id: int, login_key: str, now) -> tuple[Attempt, int, fastpath.Login] | None:
    """(attempt with only pk and deadline loaded — as the view loads it —,
    its owner's user id, the login read with it); None unless the attempt
    exists and the login session ``login_key`` exists and is unexpired at
    ``now``. The request's health check: :class:`lms.fastpath.StaleConnection`."""
    alias = router.db_for_read(Attempt)
    connection = connections[alias]
    sql, converters = _select_for(connection)
    expires = Session._meta.get_field("expire_date")
    params = [login_key, expires.get_db_prep_value(now, connection), attempt_id]
    row = fastpath.fetch_one(connection, sql, params, probe=True)
    if row is None:
        return None
    pk, deadline, user_id, data, password, is_active, is_superuser = row
    column = Attempt._meta.get_field("deadline").get_col(Attempt._meta.db_table)
    for converter in converters:
        deadline = converter(deadline, column, connection)
    attempt = Attempt.from_db(alias, ["id", "deadline"], [pk, deadline])
    owner = get_user_model()(pk=user_id, is_superuser=bool(is_superuser))
    # The roles come from the shared role cache, as for the stack's MFA gate.
    login = fastpath.Login(session_data=data, password=password, is_active=bool(is_active),
                           requires_mfa=owner.requires_mfa())
    return attempt, user_id, login


class AutosaveMiddleware(fastpath.FastPathMiddleware):
    """Place right after ``courses.heartbeat.HeartbeatMiddleware`` (lms/settings/base.py)."""

    url_name = "exams:attempt_answer"
    int_args = 1
    setting = "ANXUN_AUTOSAVE_FAST"

    def view(self):
        return views.attempt_answer

    @classmethod
    def prepare(cls, connection) -> None:
        super().prepare(connection)
        _select_for(connection)

    def answer(self, request, attempt_id: int):
        """The autosave's response, or None to leave it to the normal stack."""
        login_key = self.begin(request)
        if login_key is None or self.csrf_refusal(request, attempt_id) is not None:
            return None
        try:
            body = views.autosave_request(request)
        except jsonbody.BadRequest:
            return None
        now = views._now()
        try:
            found = load(attempt_id=attempt_id, login_key=login_key, now=now)
        except fastpath.StaleConnection:
            return None  # the stack answers it on a new connection
        if found is None:
            return None
        attempt, user_id, login = found
        if not self.login_check(login, user_id=user_id):
            return None
        response = views.autosave_answer(attempt, body, now=now)
        add_never_cache_headers(response)  # the view's @never_cache
        return self.finish(request, response)
