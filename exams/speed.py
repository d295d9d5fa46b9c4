"""The exam autosave, answered ahead of the middleware stack, in two statements.

The autosave is the exam's busiest request (every answer an examinee gives,
and again on every change). Through the whole stack — the login session and
the user read by the session and auth middleware, the MFA gate, the account,
message, CSP and redirect middleware — a save cost more CPU than the save
itself. :class:`AutosaveMiddleware` answers it right after the study
heartbeat's middleware instead, confirming the request as the heartbeat does
(lms.speed.fastpath, shared with courses.speed):

- **CSRF** and **language** as the stack decides them;
- **login**: one SELECT reads the attempt (deadline, status, token and the
  layout item of the question saved) and its owner together with the login
  session (``django_session``, unexpired), the owner's password hash and
  active flag and whether the owner's role requires MFA; the stored session
  must name that owner through a model backend with the owner's current
  session auth hash — so a logout, an expired login, a deactivated user, a
  password change or another person's attempt is never answered here;
- **MFA**: a user whose role requires MFA is confirmed only if the session
  passed it, else left to the stack's gate.

The save is then one guarded statement (:func:`save`): the answer is
inserted or updated only if the attempt is still in progress with the same
token before its deadline (on PostgreSQL the attempt row is share-locked by
that statement, so a submission either waits for the save or the save sees
it) and the stored answer has a smaller sequence number — what
``exams.services.attempt_save_answer`` decides under ``SELECT … FOR UPDATE``
in a transaction of three statements. Whatever that statement does not
write — a refusal (stale token, late, submitted, a question not on the
paper, a response that does not fit) or a stale ``seq`` — is decided by the
view's own code (``exams.views.autosave_answer``: the service under its
lock), so every reply is the one the stack gives. Anything the middleware
cannot confirm — no session cookie, a CSRF refusal, a malformed or
oversized body, any login check above, a connection the SELECT (the
request's health check) finds dead — goes down the normal stack unchanged,
to ``exams.views.attempt_answer``. Nothing is written before that decision,
so falling through never saves twice.

``ANXUN_SPEED["autosave"] = False`` (or the older ``ANXUN_AUTOSAVE_FAST =
False``, or a session engine that is not database-backed) sends every
autosave through the stack.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils.cache import add_never_cache_headers

from lms import jsonbody
from lms.accounts import sessions
from lms.speed import fastpath
from lms.workforce.models import Employee

from . import services, views
from .models import Attempt, AttemptAnswer

# The layout item of question %s, as JSON text, per database vendor.
_LAYOUT_ITEM = {
    "postgresql": "jsonb_path_query_first(a.{layout}, '$[*] ? (@.q == $q)', jsonb_build_object('q', %s::bigint))",
    "sqlite": "(SELECT j.value FROM json_each(a.{layout}) j WHERE json_extract(j.value, '$.q') = %s)",
}


@dataclass(frozen=True)
class _Plan:
    select: str
    select_params: tuple  # of the select list, ahead of the WHERE's
    deadline_converters: tuple
    upsert: str


_selects: dict[str, _Plan] = {}


def _plan_for(connection) -> _Plan:
    """The two statements, built once per database vendor from the models' metadata."""
    plan = _selects.get(connection.vendor)
    if plan is None:
        qn = connection.ops.quote_name
        user = get_user_model()

        def col(model, name):
            return qn(model._meta.get_field(name).column)

        requires_mfa, mfa_params = user.requires_mfa_sql(connection, "u")
        item = _LAYOUT_ITEM[connection.vendor].format(layout=col(Attempt, "layout"))
        select = (
            f"SELECT a.{col(Attempt, 'id')}, a.{col(Attempt, 'deadline')}, a.{col(Attempt, 'status')}, "
            f"a.{col(Attempt, 'token')}, {item}, e.{col(Employee, 'user')}, "
            f"d.{col(Session, 'session_data')}, u.{col(user, 'password')}, u.{col(user, 'is_active')}, "
            f"{requires_mfa} "
            f"FROM {qn(Attempt._meta.db_table)} a "
            f"INNER JOIN {qn(Employee._meta.db_table)} e ON e.{col(Employee, 'id')} = a.{col(Attempt, 'employee')} "
            f"INNER JOIN {qn(user._meta.db_table)} u ON u.{col(user, 'id')} = e.{col(Employee, 'user')} "
            f"INNER JOIN {qn(Session._meta.db_table)} d ON d.{col(Session, 'session_key')} = %s "
            f"AND d.{col(Session, 'expire_date')} > %s "
            f"WHERE a.{col(Attempt, 'id')} = %s"
        )
        deadline = Attempt._meta.get_field("deadline").get_col(Attempt._meta.db_table)
        converters = tuple(connection.ops.get_db_converters(deadline) + deadline.get_db_converters(connection))

        answers = qn(AttemptAnswer._meta.db_table)
        names = [col(AttemptAnswer, name) for name in ("attempt", "question", "response", "saved_at", "seq")]
        lock = " FOR SHARE" if connection.features.has_select_for_update else ""
        upsert = (
            f"INSERT INTO {answers} ({', '.join(names)}) SELECT {', '.join(['%s'] * len(names))} "
            f"WHERE EXISTS (SELECT 1 FROM {qn(Attempt._meta.db_table)} "
            f"WHERE {col(Attempt, 'id')} = %s AND {col(Attempt, 'status')} = %s "
            f"AND {col(Attempt, 'token')} = %s AND {col(Attempt, 'deadline')} > %s{lock}) "
            f"ON CONFLICT ({names[0]}, {names[1]}) DO UPDATE SET "
            + ", ".join(f"{n} = EXCLUDED.{n}" for n in names[2:])
            + f" WHERE {answers}.{names[4]} < EXCLUDED.{names[4]}"
        )
        plan = _selects[connection.vendor] = _Plan(select, tuple(mfa_params), converters, upsert)
    return plan


@dataclass(frozen=True)
class Found:
    """What the SELECT read: the attempt (only pk and deadline loaded, as the
    view loads it), what the save is checked against, the owner and the login."""
    attempt: Attempt
    status: str
    token: str
    item: dict | None  # the layout item of the question saved; None if not on the paper
    user_id: int
    login: fastpath.Login


def load(*, attempt_id: int, question_id: int, login_key: str, now) -> Found | None:
    """The attempt with its owner and the login session ``login_key``; None
    unless the attempt exists and that login session exists and is unexpired
    at ``now``. The request's health check: :class:`lms.speed.fastpath.StaleConnection`."""
    alias = router.db_for_read(Attempt)
    connection = connections[alias]
    plan = _plan_for(connection)
    expires = Session._meta.get_field("expire_date")
    params = [question_id, *plan.select_params, login_key, expires.get_db_prep_value(now, connection), attempt_id]
    row = fastpath.fetch_one(connection, plan.select, params, probe=True)
    if row is None:
        return None
    pk, deadline, status, token, item, user_id, data, password, is_active, requires_mfa = row
    column = Attempt._meta.get_field("deadline").get_col(Attempt._meta.db_table)
    for converter in plan.deadline_converters:
        deadline = converter(deadline, column, connection)
    attempt = Attempt.from_db(alias, ["id", "deadline"], [pk, deadline])
    login = fastpath.Login(session_data=data, password=password, is_active=bool(is_active),
                           requires_mfa=bool(requires_mfa))
    return Found(attempt, status, token, json.loads(item) if item is not None else None, user_id, login)


def save(found: Found, body: tuple, *, now) -> bool:
    """Store the answer in one statement if the attempt is open for it and
    the stored answer is older (a smaller ``seq``); True if stored. False
    means nothing was written and the service must decide (a refusal, or a
    stale save)."""
    token, question_id, response, seq = body
    if (found.status != Attempt.Status.IN_PROGRESS or found.item is None or not isinstance(token, str)
            or not hmac.compare_digest(found.token.encode(), token.encode()) or now >= found.attempt.deadline):
        return False
    try:
        clean = services.response_clean(found.item, response)
    except ValidationError:
        return False
    connection = connections[router.db_for_write(AttemptAnswer)]
    field = AttemptAnswer._meta.get_field
    params = [
        found.attempt.pk, question_id, field("response").get_db_prep_save(clean, connection),
        field("saved_at").get_db_prep_save(now, connection), seq,
        found.attempt.pk, Attempt.Status.IN_PROGRESS.value, token,
        Attempt._meta.get_field("deadline").get_db_prep_value(now, connection),
    ]
    with fastpath.cursor(connection) as cursor:
        cursor.execute(_plan_for(connection).upsert, params)
        return cursor.rowcount == 1


class AutosaveMiddleware(fastpath.FastPathMiddleware):
    """Place right after ``courses.speed.HeartbeatMiddleware`` (lms/settings/base.py)."""

    url_name = "exams:attempt_answer"
    int_args = 1
    switch = "autosave"
    passed_mfa = staticmethod(sessions.passed_mfa)

    def view(self):
        return views.attempt_answer

    @classmethod
    def prepare(cls, connection) -> None:
        super().prepare(connection)
        _plan_for(connection)

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
            found = load(attempt_id=attempt_id, question_id=body[1], login_key=login_key, now=now)
        except fastpath.StaleConnection:
            return None  # the stack answers it on a new connection
        if found is None or not self.login_check(found.login, user_id=found.user_id):
            return None
        if save(found, body, now=now):
            response = views.autosave_reply(found.attempt, services.SaveResult(now, True), now=now)
        else:
            response = views.autosave_answer(found.attempt, body, now=now)
        add_never_cache_headers(response)  # the view's @never_cache
        return self.finish(request, response)
