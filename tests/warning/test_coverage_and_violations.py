"""Coverage per unit and quarter (numbers worked out by hand), and the
violation path: second violation → gate closed → off-post retraining record
→ gate open; the violation history."""

import datetime as dt

import pytest
from django.utils import timezone

from courses.warning import selectors, services
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance, lapsed_on_post
from lms.workforce import services as wf
from lms.workforce.services import ClearanceRefused
from tests.compliance.helpers import event, hire, induct, train
from tests.factories import EmployeeFactory, PostFactory
from tests.warning.clock import studied

REFLECTION = "检修前必须停电验电挂牌上锁，不能图省事带电作业，要互相监督，发现违章及时制止。"


def _complete(campaign, user):
    services.study_complete(study=studied(campaign, user, 12), user=user, reflection=REFLECTION)


def test_coverage_per_unit_with_who_is_missing(scanned, django_assert_num_queries):
    campaign, people = scanned["campaign"], scanned["people"]
    _complete(campaign, people["bob"])
    _complete(campaign, people["zhao"])
    # By hand: 甲班 has bob, 小王, 小李 (1 of 3 done); 乙班 has 老赵 (1 of 1); 4 people, 2 done.
    with django_assert_num_queries(3):
        result = selectors.coverage(enterprise=scanned["ent"], year=campaign.year, quarter=campaign.quarter)
    rows = {row.unit.name: row for row in result.units}
    assert set(rows) == {"甲班", "乙班"}
    assert (rows["甲班"].owed, rows["甲班"].met, rows["甲班"].percent) == (3, 1, 33)
    assert [e.name for e in rows["甲班"].missing] == ["小王", "小李"]
    assert (rows["乙班"].owed, rows["乙班"].met, rows["乙班"].percent, rows["乙班"].missing) == (1, 1, 100, [])
    assert (result.owed, result.met, result.percent) == (4, 2, 50)


def test_coverage_query_count_does_not_grow_with_people(scanned, ent_a, django_assert_num_queries):
    from lms.compliance.scan import scan_obligations

    from .conftest import worker

    for n in range(5):
        worker(ent_a, scanned["team2"], scanned["tank"], f"A01{n:02d}", f"新人{n}")
    scan_obligations(today=timezone.localdate())
    campaign = scanned["campaign"]
    with django_assert_num_queries(3):
        result = selectors.coverage(enterprise=ent_a, year=campaign.year, quarter=campaign.quarter)
    assert result.owed == 9 and result.met == 0


def test_other_enterprises_people_are_not_counted(scanned, ent_b, tree_b):
    from .conftest import worker

    worker(ent_b, tree_b[2], tree_b[3], "B0001", "外企员工")
    from lms.compliance.scan import scan_obligations

    scan_obligations(today=timezone.localdate())
    campaign = scanned["campaign"]
    assert selectors.coverage(enterprise=scanned["ent"], year=campaign.year, quarter=campaign.quarter).owed == 4


# --- violations ----------------------------------------------------------------------------------------


@pytest.fixture
def operator(ent_a, tree_a):
    """On the operator post since 2024, inducted; a second post to move to."""
    post = tree_a[3]
    other = PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-OP2", name="备用岗位")
    employee = EmployeeFactory(enterprise=ent_a, employee_no="A0500", name="张违章", org_unit=tree_a[2],
                               hire_date=dt.date(2024, 3, 1))
    hire(employee, post)
    induct(employee, post, dt.date(2024, 3, 2), 24)
    wf.assignment_create(employee=employee, post=post, start_date=dt.date(2024, 3, 5), actor=None)
    return employee, post, other


def test_violation_closes_the_gate_until_off_post_retraining_is_met(operator, ent_a):
    employee, post, other = operator
    today = timezone.localdate()
    first = event(employee, "violation", today - dt.timedelta(days=40))
    assert clearance(employee, post).cleared  # one violation: a warning, not off the post (policy default: the 2nd)

    event(employee, "violation", today - dt.timedelta(days=2))
    gate = clearance(employee, post)
    assert not gate.cleared and gate.codes == [Code.OFF_POST_RETRAINING_REQUIRED]
    assert not clearance(employee, other).cleared  # off-post retraining bars every post
    with pytest.raises(ClearanceRefused):
        wf.assignment_create(employee=employee, post=other, start_date=today, actor=None)
    assert [a.employee_id for a, _c in lapsed_on_post(enterprise=ent_a)] == [employee.pk]

    train(employee, "off_post", 4, today - dt.timedelta(days=1))  # half the hours: still closed
    assert clearance(employee, post).codes == [Code.OFF_POST_RETRAINING_REQUIRED]
    train(employee, "off_post", 4, today)
    assert clearance(employee, post).cleared and clearance(employee, other).cleared
    wf.assignment_create(employee=employee, post=other, start_date=today, actor=None)
    assert lapsed_on_post(enterprise=ent_a) == []

    history = selectors.violation_history(employee)
    assert [h.event.date for h in history] == [today - dt.timedelta(days=2), first.date]
    assert [o.status for o in history[0].obligations] == ["met"] and history[1].obligations == []


@pytest.mark.rule("warning.coverage")
def test_coverage_with_nothing_owed_is_no_rate_not_100_percent(client, scanned, alice):
    """Issue 18: a quarter in which nobody owes warning education has no
    coverage — "—" on the page and the dashboard panel, null in the API."""
    from lms.compliance.models import Obligation
    from tests.conftest import login_with_mfa

    campaign = scanned["campaign"]
    Obligation.objects.filter(kind="warning", employee__enterprise=campaign.enterprise).update(status="void")
    cov = selectors.coverage(enterprise=campaign.enterprise, year=campaign.year, quarter=campaign.quarter)
    assert (cov.owed, cov.met, cov.percent) == (0, 0, None)
    login_with_mfa(client, alice)
    page = client.get(f"/warning/campaigns/{campaign.pk}/coverage/").content.decode()
    assert "覆盖率 —" in page and "100%" not in page
    home = client.get("/admin/").content.decode()
    assert "<td>0 / 0</td>" in home and "<td>—</td>" in home and "<td>100%</td>" not in home


@pytest.mark.rule("warning.coverage")
def test_api_coverage_percent_is_null_with_nothing_owed(scanned):
    from courses.warning.api import WarningCampaignOutSerializer

    campaign = scanned["campaign"]
    campaign.meeting_count = campaign.studies_completed = 0  # the API's annotations
    data = WarningCampaignOutSerializer(campaign, context={"coverage": {campaign.pk: (0, 0)}}).data
    assert data["owed"] == 0 and data["coverage_percent"] is None
    data = WarningCampaignOutSerializer(campaign, context={"coverage": {campaign.pk: (120, 83)}}).data
    assert data["coverage_percent"] == 69
