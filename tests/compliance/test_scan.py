"""The daily scan: cycles, stages and notices — each sent once."""

import pytest
from django.core import mail
from django.core.management import call_command

from lms.accounts.roles import Role
from lms.compliance.models import Notice, Obligation
from lms.compliance.scan import scan_obligations
from lms.workforce import services
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory

from .helpers import D, hire, induct, train

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan(django_capture_on_commit_callbacks):
    """scan_obligations as the daily job runs it: outside a transaction, so
    the e-mail tasks it enqueues on commit run (Celery is eager in tests)."""

    def run(today):
        with django_capture_on_commit_callbacks(execute=True):
            return scan_obligations(today=today)

    return run


@pytest.fixture
def staff(ent_b, tree_b):
    post = tree_b[3]
    hr = UserFactory(email="hr-b@example.com")
    MembershipFactory(user=hr, enterprise=ent_b, role=Role.HR)
    worker_user = UserFactory(email="worker-b@example.com")
    worker = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 3, 3), user=worker_user, name="赵六")
    hire(worker, post)
    return hr, worker, post


def test_new_year_creates_refresher_and_quarterly_warning(staff):
    _hr, worker, _post = staff
    result = scan_obligations(today=D(2026, 1, 5))
    kinds = set(Obligation.objects.filter(employee=worker, cycle__in=["2026", "2026Q1"]).values_list("kind", flat=True))
    assert kinds == {"refresher", "warning"}
    refresher = Obligation.objects.get(employee=worker, kind="refresher")
    assert (refresher.min_hours, refresher.due_date, refresher.blocks_post) == (8, D(2026, 12, 31), False)
    assert result.created >= 2
    # A second run the same day creates nothing new.
    assert scan_obligations(today=D(2026, 1, 5)).created == 0


def test_each_person_and_hr_are_told_once_per_stage(staff, scan):
    hr, worker, _post = staff
    # Induction was due 30 days after the hire (2025-04-02): overdue now.
    first = scan(D(2025, 4, 10))
    assert first.overdue == 3
    to_worker = [m for m in mail.outbox if m.to == [worker.user.email]]
    to_hr = [m for m in mail.outbox if m.to == [hr.email]]
    assert len(to_worker) == 3 and all("已逾期" in m.subject for m in to_worker)
    assert len(to_hr) == 1 and "3 项培训已逾期" in to_hr[0].subject and "赵六" in to_hr[0].body
    assert Notice.objects.filter(user=worker.user).count() == 3
    # The e-mail is the notice: same subject and text (the text rendered from the facts kept).
    notice = Notice.objects.get(user=hr)
    assert (to_hr[0].subject, to_hr[0].body) == notice.texts() == (notice.title, to_hr[0].body)
    assert notice.body == "" and notice.template == "obligation-digest"
    assert [i["employee"]["name"] for i in notice.context["items"]] == ["赵六"] * 3
    assert first.emails == 4
    assert set(Notice.objects.values_list("email_status", flat=True)) == {"sent"}

    sent = len(mail.outbox)
    again = scan(D(2025, 4, 11))
    assert again.overdue == 0 and len(mail.outbox) == sent
    assert Notice.objects.filter(user=worker.user).count() == 3


def test_due_soon_then_overdue_are_two_stages(staff, scan):
    _hr, worker, _post = staff
    scan(D(2025, 3, 10))  # due 2025-04-02: within 30 days
    assert set(Obligation.objects.filter(employee=worker, kind="induction").values_list("notified_stage", flat=True)) == {
        "due_soon"
    }
    subjects = [m.subject for m in mail.outbox if m.to == [worker.user.email] and "三级安全教育" in m.subject]
    assert len(subjects) == 3 and all("即将到期" in s for s in subjects)
    scan(D(2025, 4, 3))
    subjects = [m.subject for m in mail.outbox if m.to == [worker.user.email] and "三级安全教育" in m.subject]
    assert len(subjects) == 6 and sum("已逾期" in s for s in subjects) == 3


def test_met_obligations_are_not_nagged(staff, scan):
    _hr, worker, post = staff
    induct(worker, post, D(2025, 3, 4), 8)
    result = scan(D(2025, 4, 10))
    assert result.overdue == 0
    assert not [m for m in mail.outbox if m.to == [worker.user.email]]


def test_lapsed_clearance_on_post_is_reported_to_hr_once(staff, ent_b):
    hr, worker, post = staff
    induct(worker, post, D(2025, 3, 4), 8)
    services.assignment_create(employee=worker, post=post, start_date=D(2025, 3, 10), actor=None)
    services.event_record(employee=worker, type="violation", date=D(2025, 6, 1), actor=None)
    services.event_record(employee=worker, type="violation", date=D(2025, 6, 20), actor=None)
    result = scan_obligations(today=D(2025, 6, 21))
    assert result.lapsed == 1
    lapsed = Notice.objects.filter(user=hr, key__startswith="lapsed:")
    assert lapsed.count() == 1 and "在岗未达标" in lapsed.get().title
    scan_obligations(today=D(2025, 6, 22))
    assert Notice.objects.filter(user=hr, key__startswith="lapsed:").count() == 1


def test_command_prints_a_chinese_summary(staff, capsys):
    call_command("scan_obligations", "--date", "2025-04-10")
    out = capsys.readouterr().out
    assert "已逾期 3 条" in out


def test_a_new_hire_refresher_starts_the_year_after(staff):
    _hr, worker, _post = staff
    scan_obligations(today=D(2025, 6, 1))
    assert not Obligation.objects.filter(employee=worker, kind="refresher", cycle="2025").exists()


def test_employees_on_leave_get_no_cycle_obligations(staff):
    _hr, worker, _post = staff
    services.event_record(employee=worker, type="leave", date=D(2025, 12, 1), actor=None)
    scan_obligations(today=D(2026, 1, 5))
    assert not Obligation.objects.filter(employee=worker, cycle__startswith="2026").exists()


def test_refresher_records_satisfy_the_years_obligation(staff):
    _hr, worker, _post = staff
    scan_obligations(today=D(2026, 1, 5))
    train(worker, "refresher", 8, D(2026, 3, 1))
    assert Obligation.objects.get(employee=worker, kind="refresher", cycle="2026").status == "met"
