"""The base fixture set (healthchecks' alice/bob/charlie):

- ``ent_a`` (hazardous chemicals, high risk) and ``ent_b`` (manufacturing);
- ``alice``: HR of A with TOTP set up (``alice.totp_secret``);
- ``bob``: a plain employee of A with his own Employee record;
- ``charlie``: HR of B with TOTP set up — the outsider for denial tests;
- ``regulator``: a regulator of region 320500 with TOTP.
Page trees come from the content migration (home page at depth 2).
"""

import contextlib
import os
import threading

import pytest
from django.core.cache import cache
from django.test import Client

from lms.accounts.roles import Role
from lms.workforce.models import Industry, OrgUnit

from .factories import (
    EmployeeFactory,
    EnterpriseFactory,
    MembershipFactory,
    OrgUnitFactory,
    PostFactory,
    RegulatorMembershipFactory,
    UserFactory,
    enable_totp,
)

PASSWORD = "pw-Anxun-2026"


@pytest.fixture(scope="session")
def django_db_setup(request, tmp_path_factory, django_test_environment, django_db_blocker, django_db_keepdb,
                    django_db_createdb, django_db_modify_db_settings):
    """The test database: under xdist, migrated once per run and cloned for
    each worker (tests/db_template.py); otherwise pytest-django's own setup."""
    from django.test.utils import setup_databases, teardown_databases

    from . import db_template

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    keepdb = django_db_keepdb and not django_db_createdb
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        if worker:
            db_template.setup_cloned(tmp_path_factory.getbasetemp().parent, worker, keepdb=keepdb,
                                     verbosity=max(verbosity, 0))
            config = None
        else:
            config = setup_databases(verbosity=verbosity, interactive=False, keepdb=keepdb)
    yield
    with django_db_blocker.unblock():
        if worker:
            if not keepdb:
                db_template.drop_own_clone()
        elif not keepdb:
            teardown_databases(config, verbosity=verbosity)


@pytest.fixture(autouse=True)
def _clear_cache():
    # TOTP codes are single-use and remembered in the cache; rate limits too.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _speed_switches(request):
    """``@pytest.mark.speed("autosave", …)``: the test is about those
    bypasses of the speed layer (lms/speed/), so they are on for it even in
    the CI leg that turns every switch off (ANXUN_SPEED_OFF=1)."""
    marker = request.node.get_closest_marker("speed")
    if marker is not None:
        settings = request.getfixturevalue("settings")
        settings.ANXUN_SPEED = {**settings.ANXUN_SPEED, **dict.fromkeys(marker.args, True)}


@pytest.fixture(autouse=True)
def _archive_checkpoint_files():
    """Signed checkpoint files outlive a test's database rollback: remove
    them, so that no test meets another's (verify_archive would call a file
    without its database row a deleted checkpoint)."""
    yield
    import shutil
    from pathlib import Path

    from django.conf import settings

    shutil.rmtree(Path(settings.MEDIA_ROOT) / settings.ANXUN_ARCHIVE_CHECKPOINT_DIR, ignore_errors=True)


@pytest.fixture
def ent_a(db):
    return EnterpriseFactory(code="hxchem", name="华兴化工有限公司", industry=Industry.HAZARDOUS_CHEMICALS, region_code="320505")


@pytest.fixture
def ent_b(db):
    return EnterpriseFactory(code="dfmfg", name="东方机械制造有限公司", industry=Industry.MANUFACTURING, region_code="330106")


def _tree(enterprise, prefix):
    company = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.COMPANY, code=f"{prefix}-C", name="公司")
    workshop = OrgUnitFactory(
        enterprise=enterprise, kind=OrgUnit.Kind.WORKSHOP, parent=company, code=f"{prefix}-W1", name="一车间"
    )
    team = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.TEAM, parent=workshop, code=f"{prefix}-T1", name="甲班")
    post = PostFactory(enterprise=enterprise, org_unit=team, code=f"{prefix}-OP", name="操作工")
    return company, workshop, team, post


@pytest.fixture
def tree_a(ent_a):
    return _tree(ent_a, "A")


@pytest.fixture
def tree_b(ent_b):
    return _tree(ent_b, "B")


def _privileged(enterprise, role, email):
    user = UserFactory(email=email, full_name=email.split("@")[0])
    MembershipFactory(user=user, enterprise=enterprise, role=role)
    user.totp_secret = enable_totp(user)
    return user


@pytest.fixture
def alice(ent_a):
    return _privileged(ent_a, Role.HR, "alice@example.com")


@pytest.fixture
def charlie(ent_b):
    return _privileged(ent_b, Role.HR, "charlie@example.com")


@pytest.fixture
def bob(ent_a, tree_a):
    user = UserFactory(email="bob@example.com", phone="+8613800138000", full_name="鲍勃")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.EMPLOYEE)
    user.employee = EmployeeFactory(enterprise=ent_a, user=user, name="鲍勃", org_unit=tree_a[2])
    return user


@pytest.fixture
def regulator(db):
    user = UserFactory(email="reg@example.com")
    RegulatorMembershipFactory(user=user, region_code="320500")
    user.totp_secret = enable_totp(user)
    return user


def login_with_mfa(client, user):
    """Log ``user`` in on ``client`` as if password and TOTP were entered."""
    client.force_login(user)
    session = client.session
    # allauth records how the session was authenticated; MFA counts as done.
    session["account_authentication_methods"] = [
        {"method": "password", "at": 0, "email": user.email},
        {"method": "mfa", "at": 0, "id": 0, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)  # the user the records are of
    session.save()
    return client


def as_user(user, client_class=Client):
    """A new ``client_class`` client signed in as ``user``, MFA passed for this session."""
    return login_with_mfa(client_class(), user)


@pytest.fixture(name="as_user")
def as_user_fixture():
    """``as_user`` for tests that take it as a fixture (the API's conftest gives an APIClient)."""
    return as_user


@pytest.fixture
def alice_client(client, alice):
    return login_with_mfa(client, alice)


def pytest_sessionfinish(session):
    """The xdist controller, after every worker is done: drop the run's
    PostgreSQL template database unless --reuse-db keeps it."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if config.option.reuse_db and not config.option.create_db:
        return
    from pytest_django.plugin import blocking_manager_key

    from . import db_template

    with config.stash[blocking_manager_key].unblock():
        db_template.drop_postgres_template()


# --- issue 19: Redis away ---
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connect is refused


@pytest.fixture
def redis_down(settings, monkeypatch):
    """Production's cache setup (lms/settings/caching.py: the resilient Redis
    cache, ``cached_db`` sessions, the user cached) pointed at a Redis that is
    not there. Yields the list of connection attempts made to it."""
    import redis

    from lms.kernel import cache as resilient

    attempts = []
    original = redis.connection.Connection._connect

    def connect(self):  # each socket connect, retries included
        attempts.append((self.host, self.port))
        return original(self)

    monkeypatch.setattr(redis.connection.Connection, "_connect", connect)
    resilient.reset_breakers()
    settings.CACHES = {"default": {
        "BACKEND": "lms.kernel.cache.ResilientRedisCache", "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0, "breaker_seconds": 10},
    }}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.ANXUN_USER_CACHE_SECONDS = 60
    yield attempts
    resilient.reset_breakers()


@pytest.fixture(autouse=True)
def db_timeouts_reset(_django_db_marker):
    """A transactional test's requests leave their statement and lock timeouts
    on the test's connection (lms/kernel/dbtimeouts.py, PostgreSQL); the flush
    after the test must not run under them. Set up after pytest-django's
    database fixture, so torn down before its flush."""
    from django.db import connection

    from lms.kernel import dbtimeouts

    yield
    if getattr(connection, "_anxun_timeouts", None) is not None:
        dbtimeouts.reset(connection)


@contextlib.contextmanager
def table_locked(table: str):
    """While the block runs, another PostgreSQL connection holds ``table`` in
    ACCESS EXCLUSIVE mode (a migration or a long report, as an operator saw)."""
    import psycopg
    from django.db import connection

    params = connection.settings_dict
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with psycopg.connect(dbname=params["NAME"], user=params["USER"], host=params["HOST"] or None,
                             port=params["PORT"] or None, password=params["PASSWORD"] or None) as other:
            with other.transaction():
                other.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join()
