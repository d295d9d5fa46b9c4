"""A daily scan process SIGKILLed mid-run (issue 19 item 2), on PostgreSQL:
the chunk it was writing is rolled back by the server with its claims, the
chunks it committed keep their notices, and the rerun tells everyone else
— each person and HR exactly once per stage.

Runs in CI's third leg (`-m integration`, PostgreSQL); the scan runs in a
child process against the test database, so not on SQLite's in-memory one."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from lms.compliance import scan as daily
from tests.compliance.test_scan_killed import BATCH, TODAY, _check_told_once, make_people
from tests.factories import national_rules

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def people(transactional_db, ent_a, tree_a, ent_b, tree_b):
    national_rules()  # a transactional test that ran before flushed them
    return make_people(ent_a, tree_a, ent_b, tree_b)

CHILD = """
import os, sys, time, datetime as dt
import django
django.setup()
from lms.compliance import scan
real, calls = scan.notices_create, []
def stalled(rows):
    out = real(rows)  # written, not committed: the chunk's transaction is open
    calls.append(1)
    if len(calls) == int(sys.argv[1]):
        open(sys.argv[2], "w").write("in the transaction")
        time.sleep(300)
    return out
scan.notices_create = stalled
scan.scan_obligations(today=dt.date.fromisoformat(sys.argv[3]), batch=int(sys.argv[4]))
"""


@pytest.mark.parametrize("k", [1, 4, 7, 12])  # 8 chunks a run, 2 batches of notices each
def test_a_scan_process_killed_mid_chunk_loses_and_doubles_nothing(people, k, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the child process needs the server's test database (PostgreSQL)")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "lms.settings.test", "PYTHONPATH": str(ROOT)}
    env.pop("CELERY_BROKER_URL", None)  # the child's e-mail tasks run in it (eager), not on the CI worker
    mark = tmp_path / "mark"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(k), str(mark), TODAY.isoformat(), str(BATCH)],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not mark.exists():
            assert child.poll() is None, child.stdout.read().decode()[-3000:]
            assert time.monotonic() < deadline, "the child scan never reached its k-th batch of notices"
            time.sleep(0.1)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
    # The rerun (the next day's job, or the operator's) tells the rest; the
    # e-mails of the notices the killed run committed are the outbox's to send.
    daily.scan_obligations(today=TODAY, batch=BATCH)
    _check_told_once(people, emails=False)
