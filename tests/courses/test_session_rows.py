"""courses.session_rows: the heartbeat's own SELECT and its one-statement
write (PostgreSQL) or two UPDATEs in a transaction (elsewhere) must read and
store exactly what the ORM would, and apply a beat only at the sequence
number it was decided on, only while the session is live."""

import datetime as dt
import json
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import services, session_rows, timing
from courses.models import LessonProgress, StudySession
from tests.conftest import login_with_mfa

from .conftest import T0, Learner

pytestmark = [pytest.mark.django_db, pytest.mark.speed("heartbeat")]


def test_load_reads_what_the_orm_reads(learner, lesson):
    tab = Learner(learner, lesson)
    tab.beat(0)
    tab.beat(30, position=12.5)
    LessonProgress.objects.update(answers={"q1": True}, completed_at=T0)
    StudySession.objects.update(presence_nonce="n" * 32, presence_deadline=T0 + dt.timedelta(seconds=60))
    orm = StudySession.objects.select_related("progress").get(token=tab.session.token)
    got = session_rows.load(token=tab.session.token, user_id=learner.pk)
    for field in StudySession._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(orm, field.attname), field.name
    for field in LessonProgress._meta.concrete_fields:
        assert getattr(got.progress, field.attname) == getattr(orm.progress, field.attname), field.name
    assert got.progress.answers == {"q1": True} and got.last_beat_at.tzinfo is not None
    assert not got._state.adding and not got.progress._state.adding


def test_load_is_none_for_someone_elses_or_no_session(learner, lesson, bob):
    tab = Learner(learner, lesson)
    assert session_rows.load(token=tab.session.token, user_id=bob.pk) is None
    assert session_rows.load(token="00000000-0000-0000-0000-000000000000", user_id=learner.pk) is None


def test_save_beat_applies_once_per_sequence_number(learner, lesson):
    tab = Learner(learner, lesson)
    tab.beat(0)
    session = session_rows.load(token=tab.session.token, user_id=learner.pk)
    new = timing.State.of(session)
    new.seq, new.credited, new.day_credit = session.seq + 1, 30, 30
    assert session_rows.save_beat(session, old_seq=session.seq, new=new, credit=30)
    assert session.progress.seconds == 30
    again = session_rows.load(token=tab.session.token, user_id=learner.pk)
    assert not session_rows.save_beat(again, old_seq=session.seq, new=new, credit=30)  # the same number again
    assert (StudySession.objects.get().seq, StudySession.objects.get().credited) == (new.seq, 30)
    assert LessonProgress.objects.get().seconds == 30


def test_save_beat_stores_the_watched_position_without_credit(learner, lesson):
    tab = Learner(learner, lesson)
    session = session_rows.load(token=tab.session.token, user_id=learner.pk)
    new = timing.State.of(session)
    new.seq, new.max_position = 1, 42.0
    assert session_rows.save_beat(session, old_seq=0, new=new, credit=0)
    assert (session.progress.seconds, session.progress.max_position) == (0, 42.0)
    assert LessonProgress.objects.values_list("seconds", "max_position").get() == (0, 42.0)


def test_a_session_superseded_between_read_and_write_earns_nothing(learner, lesson):
    tab = Learner(learner, lesson)
    tab.beat(0)
    real_beat = timing.beat

    def superseded_meanwhile(state, b, **kw):
        services.study_start(user=learner, lesson=lesson, login_key="login-1", now=kw["now"])  # another tab
        return real_beat(state, b, **kw)

    with mock.patch.object(timing, "beat", superseded_meanwhile):
        late = tab.beat(30)
    assert (late["accepted"], late["credited"], late["reason"]) == (False, 0, "replay")
    first = StudySession.objects.get(token=tab.session.token)
    assert (first.status, first.seq, first.credited) == ("superseded", 1, 0)
    assert LessonProgress.objects.get().seconds == 0


@pytest.mark.parametrize("engine", ["db", "cached_db"])
def test_a_heartbeat_is_one_select_and_one_write_on_postgresql(learner, lesson, settings, engine):
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    settings.ANXUN_USER_CACHE_SECONDS = 60 if engine == "cached_db" else 0
    client = login_with_mfa(Client(), learner)
    token = client.post(reverse("courses:study_start", args=[lesson.pk])).json()["token"]
    beat = {"token": token, "seq": 1}
    client.post("/learn/heartbeat/", data=json.dumps(beat), content_type="application/json")
    StudySession.objects.filter(token=token).update(last_beat_at=timezone.now() - dt.timedelta(seconds=30))
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/learn/heartbeat/", data=json.dumps({**beat, "seq": 2}),
                               content_type="application/json")
    assert response.status_code == 200 and response.json()["credited"] >= 30
    sqls = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    # The login session and the user are read in the study session's own
    # SELECT (courses.speed), never on their own; no role lookups.
    select = sqls[0]
    assert select.startswith("SELECT s.") and "django_session" in select and '"accounts_user"' in select
    assert not [q for q in sqls[1:] if "django_session" in q or '"accounts_user"' in q or "membership" in q]
    assert len(sqls) == (2 if connection.vendor == "postgresql" else 3), sqls  # SELECT; WITH … UPDATE (or 2 UPDATEs)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only (CI leg 2)")
@pytest.mark.parametrize("prepared", [True, False])
def test_on_postgresql_the_heartbeat_statements_are_prepared_once_per_connection(learner, lesson, settings,
                                                                                  prepared):
    settings.ANXUN_HEARTBEAT_PREPARED = prepared
    tab = Learner(learner, lesson)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")

    def prepared_statements():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall() if "courses_studysession" in row[0]]

    tab.beat(0)
    tab.beat(30)
    tab.beat(30)
    first = prepared_statements()
    for _ in range(5):
        tab.beat(30)
    if prepared:
        # the SELECT and the UPDATE (with and without progress seconds), prepared
        # once on this connection, not once per beat
        assert 2 <= len(first) <= 3, first
        assert sorted(prepared_statements()) == sorted(first)
        assert all("$1" in s for s in first)  # parameters bound by the server, not quoted into the SQL
    else:
        assert first == [] and prepared_statements() == []
    assert StudySession.objects.get(pk=tab.session.pk).seq == 8
