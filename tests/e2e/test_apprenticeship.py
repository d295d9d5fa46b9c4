"""师带徒 on a phone: the mentor logs in, opens 我的师带徒, confirms the
apprentice's last weekly log with a comment, signs the apprentice off; the
workshop head signs second — the apprenticeship is completed, one
apprenticeship record is in the archive, the obligation is met and the
apprentice is on the post as a regular worker (the gate is open)."""

import datetime as dt
import os
from decimal import Decimal

import pytest

from courses.apprenticeship import services as ap
from courses.apprenticeship.selectors import weeks_due
from courses.apprenticeship.models import Apprenticeship, WeeklyLog
from lms.archive.models import TrainingRecord
from lms.compliance.selectors import clearance
from lms.workforce.models import PostAssignment
from tests.apprenticeship.conftest import apprentice, head, hired_on, master, reactor, started, today  # noqa: F401
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/e2e-apprenticeship-{}.png"


@pytest.fixture
def nearly_ready(migrated_data, started, head):  # noqa: F811
    """Every week logged and all but the last confirmed, every month
    evaluated, the practical assessment passed: only the mentor's last
    confirmation and the two signatures are left."""
    a = started
    weeks = weeks_due(a)
    assert len(weeks) >= 8  # started 77 days ago
    for week in weeks:
        entry = ap.weekly_log_save(apprenticeship=a, week_start=week, content=f"{week:%m-%d} 周：开停车规程、巡检要点",
                                   hours=Decimal("8"), actor=a.apprentice.user)
        if week != weeks[-1]:
            ap.weekly_log_confirm(entry=entry, actor=a.mentor.user)
    month = a.start_date.replace(day=1)
    while month <= today():
        ap.evaluation_save(apprenticeship=a, month=month, safety_awareness="good", skill="good", discipline="excellent",
                           comment="进步明显", actor=a.mentor.user)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    ap.assessment_record(apprenticeship=a, assessed_on=today(), items="开停车、紧急泄压", score=Decimal("90"),
                         assessors="周师傅、王主任", actor=a.mentor.user)
    return a, weeks[-1]


def test_mentor_confirms_a_week_and_signs_the_apprentice_off(phone, browser, live_server, nearly_ready, head):  # noqa: F811
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    a, last_week = nearly_ready
    page = phone

    log_in(page, live_server.url, a.mentor.user)
    page.goto(f"{live_server.url}/apprenticeship/")
    page.get_by_role("link", name="确认周记、评价与签字").click()
    page.wait_for_url(f"**/apprenticeship/{a.pk}/")
    # The last week waits for the mentor; no sign-off yet.
    week = page.locator(f"#week-{last_week:%Y-%m-%d}")
    assert "待师傅确认" in week.inner_text()
    assert "还有 1 篇周记待师傅确认" in page.locator(".ap-missing").inner_text()
    assert page.get_by_role("button", name="以师傅身份签字出师").count() == 0
    week.get_by_label("师傅意见").fill("巡检路线已熟练")
    week.get_by_role("button", name="确认本周周记").click()
    page.locator(".message-success", has_text="已确认").wait_for()
    assert "师傅已确认" in page.locator(f"#week-{last_week:%Y-%m-%d}").inner_text()
    entry = WeeklyLog.objects.get(apprenticeship=a, week_start=last_week)
    assert entry.confirmed_by_id == a.mentor.user_id and entry.mentor_comment == "巡检路线已熟练"

    # Now ready: the mentor signs first.
    page.get_by_role("button", name="以师傅身份签字出师").click()
    page.locator(".message-success", has_text="等待另一方签字").wait_for()
    page.screenshot(path=SCREENSHOTS.format("mentor"), full_page=True)
    a.refresh_from_db()
    assert a.status == Apprenticeship.Status.RUNNING
    assert not TrainingRecord.objects.filter(employee=a.apprentice, kind="apprenticeship").exists()

    # The workshop head signs second, on their own phone: the apprentice is signed off.
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    other = context.new_page()
    other.set_default_timeout(15000)
    log_in(other, live_server.url, head.user)
    other.goto(f"{live_server.url}/apprenticeship/{a.pk}/")
    other.get_by_role("button", name="以车间负责人身份签字出师").click()
    other.locator(".message-success", has_text="出师").wait_for()
    other.screenshot(path=SCREENSHOTS.format("done"), full_page=True)
    context.close()

    a.refresh_from_db()
    assert a.status == Apprenticeship.Status.COMPLETED and a.completed_on == today()
    records = TrainingRecord.objects.filter(employee=a.apprentice, kind="apprenticeship")
    assert records.count() == 1 and a.record_id == records.get().pk
    assert a.obligation.__class__.objects.get(pk=a.obligation_id).status == "met"
    regular = PostAssignment.objects.get(employee=a.apprentice, post=a.post, end_date__isnull=True)
    assert regular.kind == PostAssignment.Kind.REGULAR
    assert clearance(a.apprentice, a.post).cleared
