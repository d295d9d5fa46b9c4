"""Browser journeys: Playwright driving Debian's chromium against a live server.

Without /usr/bin/chromium they skip with a loud message — except in CI
(CI=true), where a missing browser is a failure, never a skip."""

import importlib
import os
import shutil
import sys
import time

import pytest
from django.utils import timezone

from lms.accounts.roles import Role
from lms.workforce import services as workforce
from tests.conftest import PASSWORD
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, home_page

CHROMIUM = os.environ.get("ANXUN_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is not None


def pytest_collection_modifyitems(config, items):
    if _chromium_available():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI 环境必须运行浏览器测试，但找不到 {CHROMIUM}（请 apt-get install -y chromium）")
    banner = (
        "\n" + "!" * 78 + f"\n!!! 浏览器测试已跳过：找不到 {CHROMIUM}。启用方法：sudo apt-get install -y chromium\n"
        "!!! Browser journeys SKIPPED: no chromium. Enable them with: sudo apt-get install -y chromium\n" + "!" * 78
    )
    print(banner, file=sys.stderr)
    skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM}: sudo apt-get install -y chromium")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
    _wait_for_server_requests()


def _wait_for_server_requests(timeout: float = 10.0) -> None:
    """After the browser context is closed, a request it sent (a heartbeat, a
    poll) may still be running in the live server's thread — on this test's
    own connection, which an in-memory SQLite database shares with the server.
    Wait for its transaction to end, so the test's flush does not start
    inside it ("cannot start a transaction within a transaction")."""
    from django.db import connection

    raw = connection.connection
    if connection.vendor != "sqlite" or raw is None:
        return
    # Idle for a moment in a row: a request just arriving has not begun yet.
    deadline, idle_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if raw.in_transaction:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= 0.3:
            return
        time.sleep(0.05)


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def archive_flushable(transactional_db):
    """Let the end-of-test flush empty the archive. SQLite's flush DELETEs rows,
    which the archive's append-only triggers refuse (PostgreSQL TRUNCATEs, which
    they do not see): empty the archive with the guard lifted, then put it back."""
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    guard = importlib.import_module("lms.archive.migrations.0002_append_only_triggers")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        for sql in guard.SQLITE_DOWN:
            cursor.execute(sql)
        cursor.execute("DELETE FROM archive_trainingrecord")
        for sql in guard.SQLITE_UP:
            cursor.execute(sql)
        cursor.execute("PRAGMA foreign_keys = ON")


@pytest.fixture
def phone(browser, live_server, archive_flushable):
    """A page in a phone-sized, touch, mobile browser context (390×844)."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
    _wait_for_server_requests()


def log_in(page, base_url, user, *, next_url=""):
    """Email and password on the allauth form, then — where the role needs a
    second factor — the current TOTP code from the user's authenticator
    (``user.totp_secret``); returns once the login pages are left."""
    from django.core.cache import cache

    from tests.totp import current_code

    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/accounts/2fa/authenticate/" in page.url:
        # A TOTP code is accepted once (used codes are remembered in the cache):
        # the same person logging in again within 30 s would be refused.
        cache.clear()
        page.locator("input[name=code]").fill(current_code(user.totp_secret))
        page.locator("form button[type=submit], form input[type=submit]").first.click()
        page.wait_for_url(lambda url: "/accounts/2fa/" not in url)


@pytest.fixture
def migrated_data(transactional_db):
    """The national rules and the home page, as the data migrations make them.
    An earlier transactional test's flush empties every table (serialized
    rollback clashes with the content types post_migrate recreates), so put
    back what these journeys need."""
    from django.apps import apps

    from lms.compliance.models import TrainingRule

    if not TrainingRule.objects.exists():
        importlib.import_module("lms.compliance.migrations.0002_national_defaults").seed(apps, None)
    home_page()


@pytest.fixture
def short_study(settings):
    settings.ANXUN_STUDY_MINUTE_SECONDS = 1
    settings.ANXUN_MINUTES_PER_CREDIT_HOUR = 1
    settings.ANXUN_STUDY_HEARTBEAT_SECONDS = 1


@pytest.fixture
def worker(migrated_data, ent_b, tree_b):
    """张三, hired today by B (general industry): owes the three-level induction."""
    user = UserFactory(email="zhangsan@example.com", full_name="张三")
    MembershipFactory(user=user, enterprise=ent_b, role=Role.EMPLOYEE)
    hired = timezone.localdate()
    employee = EmployeeFactory(enterprise=ent_b, user=user, name="张三", employee_no="W001", org_unit=tree_b[2],
                               hire_date=hired)
    workforce.event_record(employee=employee, type="hire", date=hired, post=None, actor=None)
    user.employee = employee
    return user
