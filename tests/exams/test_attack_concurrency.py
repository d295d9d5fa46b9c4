"""Two tabs submitting the same attempt at the same moment, and two tabs
starting the same exam at the same moment: one result, one attempt."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import threading
import time

import pytest
from django.db import OperationalError, close_old_connections, connection

from exams import services
from exams.models import Attempt
from lms.archive.models import TrainingRecord

from .engine_helpers import answer_all, at, bank, exam, fixed_paper, make_principal, single

pytestmark = pytest.mark.django_db(transaction=True)


def _patiently(work):
    """The test database is SQLite in shared-cache memory, where a second writer
    fails at once with "table is locked"; the project's file database waits
    (busy timeout 20 s, IMMEDIATE transactions). Wait here the same way.
    PostgreSQL needs no waiting: its row locks queue the writers."""
    for _attempt in range(200):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    return work()


def _race(n, work):
    """Run ``work`` in ``n`` threads released at once; returns results and errors."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(_patiently(work))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


@pytest.fixture
def setup(ent_a, tree_a, archive_guard_off):
    principal = make_principal(ent_a, tree_a[0])
    qbank = bank(ent_a)
    e = exam(ent_a, fixed_paper(ent_a, [(single(qbank, stem=f"题 {n}"), 25) for n in range(4)]))
    return principal, e


@pytest.fixture
def archive_guard_off(transactional_db):
    """As in the e2e journey: SQLite's end-of-test flush must be allowed to empty the archive."""
    yield
    if connection.vendor != "sqlite":
        return
    import importlib

    guard = importlib.import_module("lms.archive.migrations.0002_append_only_triggers")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        for sql in guard.SQLITE_DOWN:
            cursor.execute(sql)
        cursor.execute("DELETE FROM archive_trainingrecord")
        for sql in guard.SQLITE_UP:
            cursor.execute(sql)
        cursor.execute("PRAGMA foreign_keys = ON")


def test_concurrent_submissions_grade_once(setup):
    principal, e = setup
    attempt = services.attempt_start(e, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 5))
    results, errors = _race(4, lambda: services.attempt_submit(attempt, actor=principal, now=at(10, 10)).pk)
    assert not errors, errors
    assert results == [attempt.pk] * 4
    graded = Attempt.objects.get()
    assert graded.status == Attempt.Status.GRADED and graded.score == 100
    assert TrainingRecord.objects.filter(employee=principal.employee).count() == 1


def test_concurrent_starts_make_one_attempt(setup):
    principal, e = setup
    results, errors = _race(4, lambda: services.attempt_start(e, principal.employee, now=at(10)).pk)
    assert not errors, errors
    assert len(set(results)) == 1 and Attempt.objects.count() == 1
