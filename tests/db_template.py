"""One test database per run, migrated once, cloned for each xdist worker.

pytest-django makes every xdist worker build its own test database by
running all ~410 migrations (about 45 s of CPU each). Here the first worker
to take the lock builds a template once; every worker then copies it:

- SQLite: the template is a file in the run's shared temporary folder; each
  worker copies it into its own in-memory database with SQLite's backup API
  (what Django's own parallel runner does for spawned workers).
- PostgreSQL: the template is ``test_<NAME>``; each worker's database is
  ``CREATE DATABASE … TEMPLATE`` of it (Django's ``clone_test_db``).

Without xdist (``-p no:xdist``, the integration leg) pytest-django's own
setup runs unchanged. ``--reuse-db`` keeps the PostgreSQL template, applying
only new migrations to it; the clones are always made afresh from it.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.test.utils import setup_databases

LOCK = "anxun-test-db.lock"
SQLITE_TEMPLATE = "anxun-test-db-template.sqlite3"
READY = "anxun-test-db-template.ready"

# Each worker's in-memory SQLite database lives while one connection to it is
# open: this one, held for the whole session.
_keep_alive: list[sqlite3.Connection] = []


@contextlib.contextmanager
def _locked(path: Path):
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_sqlite(alias="default") -> bool:
    return settings.DATABASES[alias]["ENGINE"] == "django.db.backends.sqlite3"


def setup_cloned(shared: Path, worker: str, *, keepdb: bool, verbosity: int = 0) -> None:
    """Make this worker's test database a copy of the run's template."""
    connection = connections["default"]
    with _locked(shared / LOCK):
        if _is_sqlite():
            template = shared / SQLITE_TEMPLATE
            if not (shared / READY).exists():
                _build_template(template_name=str(template), keepdb=False, verbosity=verbosity)
                (shared / READY).touch()
            _sqlite_copy(connection, template, worker)
        else:
            template = f"test_{settings.DATABASES['default']['NAME']}"
            if not (shared / READY).exists():
                _build_template(template_name=template, keepdb=keepdb, verbosity=verbosity)
                (shared / READY).touch()
            _postgres_clone(connection, template, worker, verbosity)


def _build_template(*, template_name: str, keepdb: bool, verbosity: int) -> None:
    """Create the template database with every migration, then let go of it."""
    connection = connections["default"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = template_name
    setup_databases(verbosity=verbosity, interactive=False, keepdb=keepdb, aliases={"default"}, serialized_aliases=set())
    connection.close()


def _sqlite_copy(connection, template: Path, worker: str) -> None:
    name = f"file:memorydb_default_{worker}?mode=memory&cache=shared"
    target = sqlite3.connect(name, uri=True, check_same_thread=False)
    source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    source.backup(target)
    source.close()
    _keep_alive.append(target)
    _point_at(connection, name)


def _postgres_clone(connection, template: str, worker: str, verbosity: int) -> None:
    connection.settings_dict["NAME"] = template
    connection.creation.clone_test_db(suffix=worker, verbosity=verbosity, keepdb=False)
    _point_at(connection, connection.creation.get_test_db_clone_settings(worker)["NAME"])


def _point_at(connection, name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name
    connection.ensure_connection()


def drop_postgres_template(verbosity: int = 0) -> None:
    """After the run (xdist controller): drop the PostgreSQL template."""
    if _is_sqlite():
        return
    connection = connections["default"]
    template = f"test_{settings.DATABASES['default']['NAME']}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(template)}")


def drop_own_clone() -> None:
    """At the end of a worker's session: drop its PostgreSQL clone (an
    in-memory SQLite copy goes with the process)."""
    if _is_sqlite():
        return
    connection = connections["default"]
    name = connection.settings_dict["NAME"]
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")
