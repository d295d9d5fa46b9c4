import datetime as dt
import pytest
from django.utils import timezone
from exams import services
from tests.conftest import PASSWORD
from tests.exams.engine_helpers import bank, fill, fixed_paper, make_principal, multiple, single, true_false
from tests.e2e.test_principal_exam_journey import archive_flushable, phone  # noqa

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def test_shots(phone, live_server, ent_a, tree_a):
    p = make_principal(ent_a, tree_a[0])
    b = bank(ent_a)
    paper = fixed_paper(ent_a, [(single(b), 50), (true_false(b), 50)])
    now = timezone.now()
    e = services.exam_create(enterprise=ent_a, actor=None, paper=paper, title="2026 年度主要负责人安全生产知识考试",
        opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(hours=2), duration_minutes=30,
        audience={"principals_and_safety_managers": True}, record_kind="principal")
    services.exam_create(enterprise=ent_a, actor=None, paper=paper, title="下月消防考试",
        opens_at=now + dt.timedelta(days=30), closes_at=now + dt.timedelta(days=31), duration_minutes=30,
        audience={"principals_and_safety_managers": True})
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=login]").fill(p.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda u: "/accounts/login/" not in u)
    page.goto(f"{live_server.url}/exams/")
    page.screenshot(path="/tmp/shot_list.png", full_page=True)
    page.goto(f"{live_server.url}/exams/{e.pk}/")
    page.screenshot(path="/tmp/shot_detail.png", full_page=True)
