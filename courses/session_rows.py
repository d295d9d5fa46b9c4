"""The heartbeat's two statements: read a study session with its lesson
progress, and write the new timing state (and the credited seconds).

The heartbeat is the busiest request of the system (every learner, every
``ANXUN_STUDY_HEARTBEAT_SECONDS``), and building these queries with the ORM
cost more CPU than everything else in the request together (about 0.7 ms
for the SELECT of 26 columns, as much again for the two UPDATEs). So the SQL
is built once per database connection vendor from the models' metadata —
columns, quoting, value preparation and result converters all come from
Django, so nothing here knows a column type — and only executed per beat.

- :func:`load` — one SELECT of the session joined to its progress, by token
  and owner; returns model instances as the ORM would (converters applied).
- :func:`save_beat` — the conditional write. The UPDATE is keyed on the
  sequence number the timing decision was made from and on the session still
  being live, so of two requests with the same number (a replay, a second
  tab) exactly one is applied, and a session superseded meanwhile earns
  nothing. On PostgreSQL the session UPDATE and the progress UPDATE are one
  statement (data-modifying CTE: atomic without BEGIN/COMMIT round trips);
  elsewhere (SQLite) the ORM does both in one transaction.

On PostgreSQL both statements run as prepared statements with server-side
parameters (:func:`_cursor`): Django binds parameters on the client and
prepares nothing (so that transaction-mode poolers work), which for a
statement of 20 parameters run hundreds of times a second means quoting
every value into a new SQL text and PostgreSQL parsing and planning it each
time. Behind a transaction-mode pooler without prepared-statement support,
set ``ANXUN_SPEED["prepared"] = False``.

With ``ANXUN_SPEED["heartbeat"] = False`` the ORM reads and writes instead
(:func:`load`, :func:`save_beat`), as it does on SQLite for the write.

With ``CONN_HEALTH_CHECKS`` on, Django pings a reused connection
(``SELECT 1``) before a request's first statement: a third round trip per
beat. :func:`load_by_login` makes its own SELECT the check instead: it is
read-only, so when it finds the connection dead the connection is closed and
the caller told (:class:`StaleConnection`) before anything is written, and
the heartbeat can be answered on a new connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from lms import speed
from lms.speed import fastpath

from . import timing
from .models import LessonProgress, StudySession


@dataclass(frozen=True)
class _Select:
    sql: str
    split: int  # the first progress column
    converters: tuple  # (position, (converter, …), expression)
    params: tuple = ()  # of the select list, ahead of the WHERE's


_selects: dict[tuple[str, bool], _Select] = {}
_updates: dict[tuple[str, bool], str] = {}
_STATE_FIELDS = tuple(StudySession._meta.get_field(name) for name in timing.State.FIELDS)


def _names(connection):
    """quote_name, and the quoted column of a StudySession / LessonProgress field."""
    qn = connection.ops.quote_name

    def s_col(name):
        return qn(StudySession._meta.get_field(name).column)

    def p_col(name):
        return qn(LessonProgress._meta.get_field(name).column)

    return qn, s_col, p_col


def _columns(model, alias: str, qn) -> list[str]:
    return [f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields]


def _select_for(connection, *, by_login: bool = False) -> _Select:
    plan = _selects.get((connection.vendor, by_login))
    if plan is None:
        qn, s_col, p_col = _names(connection)
        s_fields, p_fields = StudySession._meta.concrete_fields, LessonProgress._meta.concrete_fields
        columns = _columns(StudySession, "s", qn) + _columns(LessonProgress, "p", qn)
        joins = f"INNER JOIN {qn(LessonProgress._meta.db_table)} p ON p.{p_col('id')} = s.{s_col('progress')} "
        where = f"WHERE s.{s_col('token')} = %s AND s.{s_col('user')} = %s"
        params = ()
        if by_login:
            # The login the session was started in, still unexpired, and its
            # user: what Django's session and auth middleware would read.
            user, session = get_user_model(), Session
            u_col, d_col = (lambda name: qn(user._meta.get_field(name).column),
                            lambda name: qn(session._meta.get_field(name).column))
            # And whether the user's role requires MFA (the session must then
            # have passed it, as lms.accounts.middleware would require).
            requires_mfa, params = user.requires_mfa_sql(connection, "u")
            columns += [f"d.{d_col('session_data')}", f"u.{u_col('password')}", f"u.{u_col('is_active')}",
                        requires_mfa]
            params = tuple(params)
            joins += (
                f"INNER JOIN {qn(session._meta.db_table)} d ON d.{d_col('session_key')} = s.{s_col('login_key')} "
                f"INNER JOIN {qn(user._meta.db_table)} u ON u.{u_col('id')} = s.{s_col('user')} "
            )
            where = (f"WHERE s.{s_col('token')} = %s AND s.{s_col('login_key')} = %s "
                     f"AND d.{d_col('expire_date')} > %s")
        sql = f"SELECT {', '.join(columns)} FROM {qn(StudySession._meta.db_table)} s {joins}{where}"
        converters = []
        for pos, field in enumerate([*s_fields, *p_fields]):
            col = field.get_col(field.model._meta.db_table)
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if convs:
                converters.append((pos, tuple(convs), col))
        plan = _selects[(connection.vendor, by_login)] = _Select(sql, len(s_fields), tuple(converters), params)
    return plan


# The statements' cursor (prepared on PostgreSQL), shared with the exam autosave.
_cursor = fastpath.cursor


def load(*, token, user_id) -> StudySession | None:
    """The session with this token belonging to this user, its ``progress``
    loaded; None if there is none."""
    if not speed.on("heartbeat"):
        return StudySession.objects.select_related("progress").filter(token=token, user_id=user_id).first()
    found = _load(token, user_id, by_login=False)
    return found[0] if found else None


# What load_by_login reads of the login, and its dead-connection signal (lms.speed.fastpath).
Login = fastpath.Login
StaleConnection = fastpath.StaleConnection


def load_by_login(*, token, login_key: str, now) -> tuple[StudySession, Login] | None:
    """The study session with this token started in the login ``login_key``,
    with that login's stored session data and its user's password hash and
    active flag; None unless the login session exists and is unexpired at ``now``.

    This SELECT is the request's connection health check (``CONN_HEALTH_CHECKS``):
    if it finds the connection unusable, the connection is closed and
    :class:`StaleConnection` raised — call it before anything is written."""
    return _load(token, login_key, by_login=True, now=now, probe=True)


def _load(token, owner, *, by_login: bool, now=None, probe: bool = False):
    alias = router.db_for_read(StudySession)
    connection = connections[alias]
    plan = _select_for(connection, by_login=by_login)
    params = [*plan.params, StudySession._meta.get_field("token").get_db_prep_value(token, connection), owner]
    if by_login:
        params.append(Session._meta.get_field("expire_date").get_db_prep_value(now, connection))
    row = fastpath.fetch_one(connection, plan.sql, params, probe=probe)
    if row is None:
        return None
    row = list(row)
    for pos, convs, col in plan.converters:
        for converter in convs:
            row[pos] = converter(row[pos], col, connection)
    end = plan.split + len(LessonProgress._meta.concrete_fields)
    session = StudySession.from_db(alias, [f.attname for f in StudySession._meta.concrete_fields], row[:plan.split])
    session.progress = LessonProgress.from_db(
        alias, [f.attname for f in LessonProgress._meta.concrete_fields], row[plan.split:end]
    )
    login = None
    if by_login:
        data, password, is_active, requires_mfa = row[end:]
        login = Login(session_data=data, password=password, is_active=bool(is_active),
                      requires_mfa=bool(requires_mfa))
    return session, login


def _update_for(connection, with_progress: bool) -> str:
    key = (connection.vendor, with_progress)
    sql = _updates.get(key)
    if sql is None:
        qn, s_col, p_col = _names(connection)
        sets = ", ".join(f"{s_col(name)} = %s" for name in timing.State.FIELDS)
        sql = (
            f"UPDATE {qn(StudySession._meta.db_table)} SET {sets} "
            f"WHERE {s_col('id')} = %s AND {s_col('seq')} = %s AND {s_col('status')} = %s "
            f"RETURNING {s_col('progress')}"
        )
        if with_progress:
            seconds, position = p_col("seconds"), p_col("max_position")
            sql = (
                f"WITH s AS ({sql}), p AS ("
                f"UPDATE {qn(LessonProgress._meta.db_table)} SET {seconds} = {seconds} + %s, "
                f"{position} = GREATEST({position}, %s) "
                f"WHERE {p_col('id')} IN (SELECT {s_col('progress')} FROM s) RETURNING {seconds}, {position}) "
                f"SELECT (SELECT count(*) FROM s), (SELECT {seconds} FROM p), (SELECT {position} FROM p)"
            )
        else:
            sql = f"WITH s AS ({sql}) SELECT count(*), NULL, NULL FROM s"
        _updates[key] = sql
    return sql


def prepare(connection) -> None:
    """Build this vendor's statements now (a new web worker's warm-up,
    lms/speed/warmup.py) rather than on its first heartbeat."""
    for by_login in (False, True):
        _select_for(connection, by_login=by_login)
    for with_progress in (False, True):
        _update_for(connection, with_progress)


def save_beat(session: StudySession, *, old_seq: int, new: timing.State, credit: int) -> bool:
    """Store ``new`` if the session is still live at ``old_seq``; add
    ``credit`` seconds and the watched position to its progress. Returns
    whether it was applied; ``session.progress`` then holds the stored
    seconds and position."""
    progress = session.progress
    with_progress = bool(credit) or new.max_position > progress.max_position
    alias = router.db_for_write(StudySession)
    connection = connections[alias]
    if connection.vendor != "postgresql" or not speed.on("heartbeat"):
        return _save_beat_orm(session, old_seq=old_seq, new=new, credit=credit, with_progress=with_progress)
    params = [field.get_db_prep_save(getattr(new, field.name), connection) for field in _STATE_FIELDS]
    params += [session.pk, old_seq, StudySession.Status.LIVE]
    if with_progress:
        params += [credit, new.max_position]
    with _cursor(connection) as cursor:
        cursor.execute(_update_for(connection, with_progress), params)
        claimed, seconds, position = cursor.fetchone()
    if claimed != 1:
        return False
    if with_progress:
        progress.seconds, progress.max_position = seconds, position
    return True


def _save_beat_orm(session, *, old_seq, new, credit, with_progress) -> bool:
    progress = session.progress
    with transaction.atomic():
        claimed = StudySession.objects.filter(pk=session.pk, seq=old_seq, status=StudySession.Status.LIVE).update(
            **new.as_dict()
        )
        if claimed != 1:
            return False
        if with_progress:
            LessonProgress.objects.filter(pk=progress.pk).update(
                seconds=F("seconds") + credit, max_position=Greatest(F("max_position"), new.max_position)
            )
    progress.seconds += credit
    progress.max_position = max(progress.max_position, new.max_position)
    return True
