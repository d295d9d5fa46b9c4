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


@pytest.mark.rule("warning.quarterly")
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
    # One notice for the person listing the three levels, one digest for HR.
    assert len(to_worker) == 1 and "3 项培训已逾期" in to_worker[0].subject
    assert to_worker[0].body.startswith("赵六，您好") and to_worker[0].body.count("已于 2025-04-02 逾期") == 3
    assert all(level in to_worker[0].body for level in ("厂级", "车间级", "班组级"))
    assert len(to_hr) == 1 and "3 项培训已逾期" in to_hr[0].subject and "赵六" in to_hr[0].body
    assert Notice.objects.filter(user=worker.user).count() == 1
    # The e-mail is the notice: same subject and text (the text rendered from the facts kept).
    notice = Notice.objects.get(user=hr)
    assert (to_hr[0].subject, to_hr[0].body) == notice.texts() == (notice.title, to_hr[0].body)
    assert notice.body == "" and notice.template == "obligation-digest"
    assert [i["employee"]["name"] for i in notice.context["items"]] == ["赵六"] * 3
    mine = Notice.objects.get(user=worker.user)
    assert (to_worker[0].subject, to_worker[0].body) == mine.texts()
    assert sorted(i["id"] for i in mine.context["items"]) == sorted(
        Obligation.objects.filter(employee=worker, notified_stage="overdue").values_list("pk", flat=True)
    )
    assert first.emails == 2
    assert set(Notice.objects.values_list("email_status", flat=True)) == {"sent"}

    sent = len(mail.outbox)
    again = scan(D(2025, 4, 11))
    assert again.overdue == 0 and len(mail.outbox) == sent
    assert Notice.objects.filter(user=worker.user).count() == 1


def test_one_item_reads_as_before(staff, scan):
    """A person with one item gets the one-obligation wording and key."""
    _hr, worker, post = staff
    induct(worker, post, D(2025, 3, 4), 8)
    scan(D(2025, 3, 10))  # only the quarter's warning education is due (2025-03-31)
    [notice] = Notice.objects.filter(user=worker.user)
    [warning] = Obligation.objects.filter(employee=worker, kind="warning")
    assert notice.key == f"obligation:{warning.pk}:due_soon"
    assert notice.title == "【安训】培训即将到期：季度警示教育"
    [message] = [m for m in mail.outbox if m.to == [worker.user.email]]
    assert message.body.startswith("赵六，您好：\n\n您的培训任务“季度警示教育”将于 2025-03-31 到期。\n要求学时：0.0")


def test_due_soon_then_overdue_are_two_stages(staff, scan):
    _hr, worker, _post = staff
    scan(D(2025, 3, 10))  # due 2025-04-02: within 30 days
    assert set(Obligation.objects.filter(employee=worker, kind="induction").values_list("notified_stage", flat=True)) == {
        "due_soon"
    }
    [soon] = [m for m in mail.outbox if m.to == [worker.user.email]]
    # The three levels and the quarter's warning education, in one notice.
    assert "4 项培训即将到期" in soon.subject and soon.body.count("将于 2025-04-02 到期") == 3
    scan(D(2025, 4, 3))
    late = [m for m in mail.outbox if m.to == [worker.user.email]][1:]
    # The three levels and the quarter's warning education (due 2025-03-31) are now overdue.
    assert len(late) == 1 and "4 项培训已逾期" in late[0].subject and late[0].body.count("三级安全教育") == 3


def test_items_split_between_two_runs_are_each_told_once(staff, scan):
    """Two scans at once claim disjoint items (conditional UPDATE): each run
    tells about its own, so every item is in exactly one notice per stage."""
    _hr, worker, _post = staff
    from django.db.models import Q

    from lms.compliance import scan as daily

    first_pk = Obligation.objects.filter(employee=worker, kind="induction").order_by("pk").first().pk
    # The other run.
    daily._claim_and_notify(Obligation.Stage.OVERDUE, Q(due_date__lt=D(2025, 4, 10), pk=first_pk), 2000,
                            daily.ScanResult())
    result = scan(D(2025, 4, 10))
    assert result.overdue == 2
    told = [i["id"] for n in Notice.objects.filter(user=worker.user) for i in n.context["items"]]
    assert sorted(told) == sorted(Obligation.objects.filter(employee=worker, kind="induction").values_list("pk", flat=True))
    assert Notice.objects.filter(user=worker.user).count() == 2


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
