"""签到大屏 of the attendance flow in a real browser: the same page and script
serve an offline session and a warning meeting. Its organiser opens the
screen on a phone (390×844) and on a laptop (1366×900); the rotating QR code
fits the viewport, and when a worker scans, the count on the screen goes up
without a reload."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.offline import selectors as offline_selectors
from courses.offline import services as offline_services
from courses.warning import services as warning_services
from courses.warning.models import WarningCampaign
from lms.kernel import checkin
from tests.e2e.conftest import _wait_for_server_requests, log_in
from tests.factories import make_session, make_trainer, make_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/shots-selectors/projector-{}-{}x{}.png"
VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1366, "height": 900})


@pytest.fixture
def on_site(migrated_data, ent_b, tree_b):
    """汤姆 (trainer of B) runs a session and hosts a meeting, both under way; two workers of B."""
    tom = make_trainer(ent_b)
    workers = [make_worker(ent_b, tree_b[2], name, no) for name, no in (("张三", "W001"), ("李四", "W002"))]
    now = timezone.now()
    session = make_session(ent_b, tom, start_at=now - dt.timedelta(minutes=10), end_at=now + dt.timedelta(hours=2))
    offline_services.session_invite(session=session, actor=None, employees=workers)
    today = timezone.localdate()
    campaign = WarningCampaign.objects.create(enterprise=ent_b, year=today.year, quarter=(today.month - 1) // 3 + 1,
                                              title=f"{today.year} 年第 {(today.month - 1) // 3 + 1} 季度警示教育")
    meeting = warning_services.meeting_create(campaign=campaign, actor=None, title="警示教育大会：有限空间事故",
                                              start_at=now - dt.timedelta(minutes=5),
                                              end_at=now + dt.timedelta(minutes=55), place="礼堂", host=tom)
    return {"tom": tom, "workers": workers, "session": session, "meeting": meeting}


def _scan_offline(session, worker):
    token = offline_selectors.screen_token(session, checkin.CHECK_IN)
    offline_services.attendance_scan(session=session, user=worker.user, token=token)


def _scan_meeting(meeting, worker):
    token = warning_services.MEETINGS.screen_token(meeting, checkin.CHECK_IN, timezone.now())
    warning_services.meeting_scan(meeting=meeting, user=worker.user, token=token)


@pytest.mark.parametrize("what", ["session", "meeting"])
def test_one_screen_for_sessions_and_meetings(browser, live_server, on_site, what):
    target = on_site[what]
    namespace = "offline" if what == "session" else "warning"
    url = live_server.url + reverse(f"{namespace}:screen", args=[target.pk])
    for n, viewport in enumerate(VIEWPORTS):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            log_in(page, live_server.url, on_site["tom"], next_url=url)
            page.goto(url)
            assert page.locator("h1").inner_text() == target.title
            assert "汤姆" in page.locator(".screen-head p").inner_text()
            qr = page.locator("#qr")
            box = qr.bounding_box()
            assert box["width"] > 200 and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
            checked_in = page.locator('[data-count="checked_in"]')
            assert checked_in.inner_text() == str(n)
            # A worker scans: the screen's script shows the new count by itself.
            worker = on_site["workers"][n]
            (_scan_offline if what == "session" else _scan_meeting)(target, worker)
            page.wait_for_function(
                "n => document.querySelector('[data-count=\"checked_in\"]').textContent.trim() === String(n)",
                arg=n + 1, timeout=12000,
            )
            page.screenshot(path=SCREENSHOTS.format(what, viewport["width"], viewport["height"]), full_page=True)
        finally:
            context.close()
            _wait_for_server_requests()
