"""师带徒 services: pairing (mentor eligibility), the log, the sign-off that
writes one record and opens the gate, ending early and re-pairing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses.apprenticeship import services as ap
from courses.apprenticeship.selectors import weeks_due
from courses.apprenticeship.models import Apprenticeship, ApprenticeshipPolicy, SignOff, WeeklyLog
from lms.archive.models import TrainingKind, TrainingRecord
from lms.compliance.models import Obligation, ObligationKind
from lms.compliance.selectors import clearance, lapsed_on_post
from lms.workforce.models import PostAssignment
from lms.workforce.services import ClearanceRefused, MENTOR_MAX_APPRENTICES
from tests.compliance.helpers import event, hire

from .conftest import D, newcomer, person, today, veteran

pytestmark = pytest.mark.django_db


def make_ready(a, *, score=Decimal("88")):
    """Every week logged and confirmed, every month evaluated, assessment passed."""
    apprentice_user, mentor_user = a.apprentice.user, a.mentor.user
    for week in weeks_due(a):
        entry = ap.weekly_log_save(apprenticeship=a, week_start=week, content="学习开停车规程", hours=Decimal("8"),
                                   actor=apprentice_user)
        ap.weekly_log_confirm(entry=entry, actor=mentor_user)
    month = a.start_date.replace(day=1)
    while month <= today():
        ap.evaluation_save(apprenticeship=a, month=month, safety_awareness="good", skill="good", discipline="excellent",
                           comment="进步明显", actor=mentor_user)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    ap.assessment_record(apprenticeship=a, assessed_on=today(), items="开停车、紧急泄压", score=score, assessors="周师傅、王主任",
                         actor=mentor_user)


def errors_of(exc):
    return {k: [str(m) for e in v for m in e.messages] for k, v in exc.value.error_dict.items()}


# --- pairing -----------------------------------------------------------------------


def test_start_places_the_apprentice_as_a_supervised_apprentice_through_the_gate(started, master, apprentice, reactor, ent_a):
    placement = started.assignment
    assert (placement.kind, placement.mentor, placement.employee, placement.post) == (
        PostAssignment.Kind.APPRENTICE, master, apprentice, reactor)
    assert placement.end_date is None
    assert started.obligation.kind == ObligationKind.APPRENTICESHIP
    assert started.months == 2
    # Not "on post uncleared": a supervised apprentice missing only the apprenticeship.
    assert lapsed_on_post(enterprise=ent_a) == []
    assert clearance(apprentice, reactor).codes == ["APPRENTICESHIP_INCOMPLETE"]


def test_planned_end_is_the_months_after_the_start(started):
    from lms.compliance.rules import add_months

    assert started.planned_end == add_months(started.first_start, 2)


def test_existing_supervised_placement_under_the_same_mentor_is_taken_over(alice, master, apprentice, reactor, hired_on):
    from lms.workforce.services import assignment_create

    placed = assignment_create(employee=apprentice, post=reactor, start_date=hired_on + dt.timedelta(days=2),
                               kind="apprentice", mentor=master, actor=alice)
    a = ap.apprenticeship_start(apprentice=apprentice, mentor=master, post=reactor, start_date=hired_on + dt.timedelta(days=2),
                                actor=alice)
    assert a.assignment == placed
    assert PostAssignment.objects.filter(employee=apprentice).count() == 1


@pytest.mark.rule("appr.mentor_eligibility")
def test_mentor_not_cleared_is_refused(alice, master, apprentice, reactor, hired_on):
    event(master, "new_process", hired_on, post=reactor)  # owes 四新 training now
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=apprentice, mentor=master, post=reactor, start_date=hired_on + dt.timedelta(days=3),
                                actor=alice)
    assert any("师傅本人未取得该岗位的上岗资格" in m for m in errors_of(exc)["mentor"])
    assert not Apprenticeship.objects.exists()
    assert not PostAssignment.objects.filter(employee=apprentice).exists()


@pytest.mark.rule("appr.mentor_eligibility")
def test_mentor_with_too_few_years_on_the_post_is_refused(alice, ent_a, tree_a, apprentice, reactor, hired_on):
    junior = veteran(ent_a, tree_a[2], reactor, "M002", "赵师傅", D(2024, 1, 8), D(2024, 3, 11))
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=apprentice, mentor=junior, post=reactor, start_date=hired_on + dt.timedelta(days=3),
                                actor=alice)
    assert errors_of(exc)["mentor"] == ["师傅在该岗位工作不满 3 年（自 2024-03-11 起）"]


def test_mentor_not_working_the_post_is_refused(alice, ent_a, tree_a, apprentice, reactor, hired_on):
    idle = person(ent_a, tree_a[2], "M003", "钱师傅", D(2010, 1, 4), email="m003@example.com")
    hire(idle, reactor)
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=apprentice, mentor=idle, post=reactor, start_date=hired_on + dt.timedelta(days=3),
                                actor=alice)
    assert "师傅必须正在该岗位上工作" in errors_of(exc)["mentor"]


@pytest.mark.rule("appr.mentor_eligibility")
def test_mentor_at_the_maximum_of_apprentices_is_refused(alice, ent_a, tree_a, master, reactor, hired_on):
    start = hired_on + dt.timedelta(days=3)
    for i in range(MENTOR_MAX_APPRENTICES):
        other = newcomer(ent_a, tree_a[2], reactor, f"A03{i}", f"徒弟{i}", hired_on)
        ap.apprenticeship_start(apprentice=other, mentor=master, post=reactor, start_date=start, actor=alice)
    third = newcomer(ent_a, tree_a[2], reactor, "A0399", "第三个徒弟", hired_on)
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=third, mentor=master, post=reactor, start_date=start, actor=alice)
    assert errors_of(exc)["mentor"] == ["该师傅已带 2 名徒弟，已达上限 2 名"]


def test_enterprise_may_make_the_mentor_rules_stricter(alice, ent_a, master, apprentice, reactor, hired_on):
    ApprenticeshipPolicy.objects.create(enterprise=ent_a, mentor_min_years=10, mentor_max_apprentices=1)
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=apprentice, mentor=master, post=reactor, start_date=hired_on + dt.timedelta(days=3),
                                actor=alice)
    assert errors_of(exc)["mentor"] == ["师傅在该岗位工作不满 10 年（自 2018-03-12 起）"]


def test_enterprise_may_not_make_the_mentor_rules_looser(ent_a):
    policy = ApprenticeshipPolicy(enterprise=ent_a, mentor_min_years=1, mentor_max_apprentices=5, pass_score=60)
    with pytest.raises(ValidationError) as exc:
        policy.full_clean()
    assert set(exc.value.error_dict) == {"mentor_min_years", "mentor_max_apprentices", "pass_score"}


def test_policy_save_needs_the_rule_editor_role(alice, ent_a):
    # HR is not a rule editor (enterprise admins and safety managers are).
    with pytest.raises(PermissionDenied):
        ap.policy_save(policy=ApprenticeshipPolicy(enterprise=ent_a), actor=alice)


def test_mentor_without_login_is_refused(alice, ent_a, tree_a, apprentice, reactor, hired_on):
    offline = veteran(ent_a, tree_a[2], reactor, "M004", "孙师傅", D(2015, 1, 5), D(2015, 3, 9), with_user=False)
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=apprentice, mentor=offline, post=reactor, start_date=hired_on + dt.timedelta(days=3),
                                actor=alice)
    assert errors_of(exc)["mentor"] == ["师傅没有登录账号，无法确认周记和签字；请先为其开通账号"]


def test_post_without_apprenticeship_is_refused(alice, ent_a, tree_a, master):
    plain = tree_a[3]  # 操作工: no apprenticeship months
    worker = newcomer(ent_a, tree_a[2], plain, "A0500", "普通工", today() - dt.timedelta(days=10))
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=worker, mentor=master, post=plain, start_date=today(), actor=alice)
    assert "没有待完成的师带徒义务" in errors_of(exc)["post"][0]


def test_apprentice_without_induction_is_refused_by_the_gate(alice, ent_a, tree_a, master, reactor):
    raw = person(ent_a, tree_a[2], "A0600", "未培训", today() - dt.timedelta(days=5))
    hire(raw, reactor)
    with pytest.raises(ClearanceRefused):
        ap.apprenticeship_start(apprentice=raw, mentor=master, post=reactor, start_date=today(), actor=alice)
    assert not Apprenticeship.objects.exists()


def test_only_hr_of_the_enterprise_may_pair(charlie, bob, master, apprentice, reactor, hired_on):
    for outsider in (charlie, bob):
        with pytest.raises(PermissionDenied):
            ap.apprenticeship_start(apprentice=apprentice, mentor=master, post=reactor,
                                    start_date=hired_on + dt.timedelta(days=3), actor=outsider)


def test_a_second_running_apprenticeship_on_the_same_post_is_refused(alice, started, ent_a, tree_a, reactor):
    other = veteran(ent_a, tree_a[2], reactor, "M005", "李师傅", D(2016, 1, 4), D(2016, 3, 7))
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=started.apprentice, mentor=other, post=reactor, start_date=today(), actor=alice)
    assert errors_of(exc)["apprentice"] == ["该徒弟在此岗位已有进行中的师带徒"]


# --- weekly log, evaluation, assessment --------------------------------------------------


def test_only_the_apprentice_writes_and_only_the_mentor_confirms(started, alice, head):
    week = weeks_due(started)[0]
    for stranger in (started.mentor.user, alice, head.user):
        with pytest.raises(PermissionDenied):
            ap.weekly_log_save(apprenticeship=started, week_start=week, content="x", hours=Decimal("8"), actor=stranger)
    entry = ap.weekly_log_save(apprenticeship=started, week_start=week, content="学习巡检", hours=Decimal("8"),
                               actor=started.apprentice.user)
    for stranger in (started.apprentice.user, alice, head.user):
        with pytest.raises(PermissionDenied):
            ap.weekly_log_confirm(entry=entry, actor=stranger)
    ap.weekly_log_confirm(entry=entry, actor=started.mentor.user, comment="认真")
    entry.refresh_from_db()
    assert entry.is_confirmed and entry.confirmed_by == started.mentor.user and entry.mentor_comment == "认真"


def test_a_confirmed_week_cannot_be_rewritten_or_confirmed_twice(started):
    week = weeks_due(started)[0]
    entry = ap.weekly_log_save(apprenticeship=started, week_start=week, content="第一版", hours=Decimal("8"),
                               actor=started.apprentice.user)
    ap.weekly_log_save(apprenticeship=started, week_start=week, content="第二版", hours=Decimal("6"),
                       actor=started.apprentice.user)
    assert WeeklyLog.objects.get(pk=entry.pk).content == "第二版"
    ap.weekly_log_confirm(entry=entry, actor=started.mentor.user)
    with pytest.raises(ValidationError, match="师傅已确认该周周记"):
        ap.weekly_log_save(apprenticeship=started, week_start=week, content="第三版", hours=Decimal("6"),
                           actor=started.apprentice.user)
    with pytest.raises(ValidationError, match="已确认"):
        ap.weekly_log_confirm(entry=entry, actor=started.mentor.user)


@pytest.mark.parametrize("offset, message", [(1, "日期须为周一"), (7 * 30, "不能填写以后的周记")])
def test_bad_weeks_are_refused(started, offset, message):
    from courses.apprenticeship.models import week_start_of

    day = week_start_of(today()) + dt.timedelta(days=offset)
    with pytest.raises(ValidationError, match=message):
        ap.weekly_log_save(apprenticeship=started, week_start=day, content="x", hours=Decimal("8"), actor=started.apprentice.user)


def test_week_before_the_start_is_refused(started):
    from courses.apprenticeship.models import week_start_of

    with pytest.raises(ValidationError, match="师带徒开始之前"):
        ap.weekly_log_save(apprenticeship=started, week_start=week_start_of(started.start_date) - dt.timedelta(days=7),
                           content="x", hours=Decimal("8"), actor=started.apprentice.user)


def test_one_evaluation_per_month_by_the_mentor(started, alice):
    month = started.start_date.replace(day=1)
    with pytest.raises(PermissionDenied):
        ap.evaluation_save(apprenticeship=started, month=month, safety_awareness="good", skill="good", discipline="good",
                           comment="好", actor=alice)
    ap.evaluation_save(apprenticeship=started, month=month, safety_awareness="good", skill="pass", discipline="good",
                       comment="好", actor=started.mentor.user)
    with pytest.raises(ValidationError, match="该月已有月度评价"):
        ap.evaluation_save(apprenticeship=started, month=month, safety_awareness="good", skill="good", discipline="good",
                           comment="再评", actor=started.mentor.user)


def test_assessment_pass_mark_is_the_policy_default(started):
    failed = ap.assessment_record(apprenticeship=started, assessed_on=today(), items="开停车", score=Decimal("79.5"),
                                  assessors="周师傅", actor=started.mentor.user)
    passed = ap.assessment_record(apprenticeship=started, assessed_on=today(), items="开停车", score=Decimal("80"),
                                  assessors="周师傅", actor=started.mentor.user)
    assert (failed.passed, passed.passed, passed.pass_score) == (False, True, 80)


def test_apprentice_may_not_record_their_own_assessment(started):
    with pytest.raises(PermissionDenied):
        ap.assessment_record(apprenticeship=started, assessed_on=today(), items="x", score=Decimal("100"),
                             assessors="我", actor=started.apprentice.user)


# --- sign-off ------------------------------------------------------------------------


def test_sign_off_is_refused_until_everything_is_there(started, head):
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_sign(apprenticeship=started, actor=started.mentor.user)
    message = exc.value.messages[0]
    assert "没有经师傅确认的周记" in message and "出师考核未通过或未进行" in message and "月度评价不足" in message
    assert not SignOff.objects.exists()


@pytest.mark.rule("appr.two_months")
def test_sign_off_before_the_months_are_served_is_refused(alice, master, ent_a, tree_a, reactor):
    recent = newcomer(ent_a, tree_a[2], reactor, "A0700", "新来的", today() - dt.timedelta(days=20))
    a = ap.apprenticeship_start(apprentice=recent, mentor=master, post=reactor, start_date=today() - dt.timedelta(days=18),
                                actor=alice)
    make_ready(a)
    with pytest.raises(ValidationError, match="师带徒期限未满"):
        ap.apprenticeship_sign(apprenticeship=a, actor=master.user)


def test_mentor_and_workshop_head_sign_off_writes_one_record_and_opens_the_gate(started, head, apprentice, reactor):
    make_ready(started)
    assert not clearance(apprentice, reactor).cleared
    first = ap.apprenticeship_sign(apprenticeship=started, actor=started.mentor.user, comment="同意出师")
    assert first.role == SignOff.Role.MENTOR
    started.refresh_from_db()
    assert started.status == Apprenticeship.Status.RUNNING
    assert not TrainingRecord.objects.filter(employee=apprentice, kind=TrainingKind.APPRENTICESHIP).exists()

    second = ap.apprenticeship_sign(apprenticeship=started, actor=head.user, comment="同意")
    assert (second.role, second.signer_name) == (SignOff.Role.WORKSHOP_HEAD, "王主任")
    started.refresh_from_db()
    assert started.status == Apprenticeship.Status.COMPLETED and started.completed_on == today()
    records = TrainingRecord.objects.filter(employee=apprentice, kind=TrainingKind.APPRENTICESHIP)
    assert records.count() == 1
    record = records.get()
    assert (record.source, record.post, record.assessment_result, record.score) == ("apprenticeship", reactor, "passed", 88)
    assert "周师傅" in record.trainer and "王主任" in record.content
    assert record.hours == Decimal("8") * len(weeks_due(started))
    obligation = Obligation.objects.get(employee=apprentice, kind=ObligationKind.APPRENTICESHIP)
    assert obligation.status == Obligation.Status.MET and record in obligation.records.all()
    assert clearance(apprentice, reactor).cleared
    # The supervised placement became a regular one through the gate.
    started.assignment.refresh_from_db()
    assert started.assignment.end_date is not None
    regular = started.regular_assignment
    assert (regular.kind, regular.mentor, regular.end_date, regular.start_date) == ("regular", None, None, today())
    # A third signature changes nothing.
    with pytest.raises(ValidationError):
        ap.apprenticeship_sign(apprenticeship=started, actor=head.user)
    assert records.count() == 1


def test_one_person_cannot_sign_twice_nor_as_both(started, ent_a, tree_a):
    from courses.apprenticeship.models import WorkshopHead

    # The mentor is also named head of the workshop: still one signature only.
    WorkshopHead.objects.create(org_unit=tree_a[1], employee=started.mentor, since=D(2020, 1, 1))
    make_ready(started)
    ap.apprenticeship_sign(apprenticeship=started, actor=started.mentor.user)
    with pytest.raises(ValidationError, match="您已以师傅身份签字"):
        ap.apprenticeship_sign(apprenticeship=started, actor=started.mentor.user)
    assert SignOff.objects.count() == 1
    started.refresh_from_db()
    assert started.status == Apprenticeship.Status.RUNNING


def test_head_of_another_workshop_or_hr_or_apprentice_cannot_sign(started, alice, ent_a, tree_a):
    from courses.apprenticeship.models import WorkshopHead
    from tests.factories import OrgUnitFactory

    other_ws = OrgUnitFactory(enterprise=ent_a, kind="workshop", parent=tree_a[0], code="A-W2", name="二车间")
    other_head = person(ent_a, other_ws, "H002", "别的主任", D(2011, 1, 3))
    WorkshopHead.objects.create(org_unit=other_ws, employee=other_head, since=D(2020, 1, 1))
    stepped_down = person(ent_a, tree_a[1], "H003", "前主任", D(2010, 1, 4))
    WorkshopHead.objects.create(org_unit=tree_a[1], employee=stepped_down, since=D(2015, 1, 1), until=D(2019, 12, 31))
    make_ready(started)
    for stranger in (other_head.user, stepped_down.user, alice, started.apprentice.user):
        with pytest.raises(PermissionDenied):
            ap.apprenticeship_sign(apprenticeship=started, actor=stranger)
    assert not SignOff.objects.exists()


def test_sign_off_is_refused_while_other_requirements_are_unmet(started, head, apprentice, reactor):
    make_ready(started)
    ap.apprenticeship_sign(apprenticeship=started, actor=started.mentor.user)
    event(apprentice, "new_process", today(), post=reactor)  # 四新 training now owed
    with pytest.raises(ValidationError, match="四新专项培训未完成"):
        ap.apprenticeship_sign(apprenticeship=started, actor=head.user)
    started.refresh_from_db()
    assert started.status == Apprenticeship.Status.RUNNING
    assert SignOff.objects.filter(apprenticeship=started).count() == 1
    assert not TrainingRecord.objects.filter(employee=apprentice, kind=TrainingKind.APPRENTICESHIP).exists()


# --- ending early and re-pairing ---------------------------------------------------------


def test_ending_early_is_recorded_never_deleted(started, alice):
    entry = ap.weekly_log_save(apprenticeship=started, week_start=weeks_due(started)[0], content="学习", hours=Decimal("8"),
                               actor=started.apprentice.user)
    ap.apprenticeship_end(apprenticeship=started, reason="apprentice_quit", ended_on=today(), note="本人辞职", actor=alice)
    started.refresh_from_db()
    assert (started.status, started.end_reason, started.end_note, started.ended_by) == ("ended", "apprentice_quit", "本人辞职", alice)
    started.assignment.refresh_from_db()
    assert started.assignment.end_date == today()
    assert WeeklyLog.objects.filter(pk=entry.pk).exists()
    with pytest.raises(ValidationError, match="已结束"):
        ap.apprenticeship_end(apprenticeship=started, reason="other", ended_on=today(), note="再来", actor=alice)
    with pytest.raises(ValidationError):
        ap.weekly_log_save(apprenticeship=started, week_start=weeks_due(started)[0], content="x", hours=Decimal("1"),
                           actor=started.apprentice.user)


def test_ending_needs_a_reason_and_a_note_for_other(started, alice, bob):
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_end(apprenticeship=started, reason="other", ended_on=today(), note=" ", actor=alice)
    assert "note" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_end(apprenticeship=started, reason="nonsense", ended_on=today(), actor=alice)
    assert "reason" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        ap.apprenticeship_end(apprenticeship=started, reason="mentor_left", ended_on=today(), actor=bob)


def test_mentor_leaving_means_re_pairing_with_time_served(started, alice, ent_a, tree_a, reactor, head):
    event(started.mentor, "leave", today() - dt.timedelta(days=30))
    ap.apprenticeship_end(apprenticeship=started, reason="mentor_left", ended_on=today() - dt.timedelta(days=30), actor=alice)
    successor = veteran(ent_a, tree_a[2], reactor, "M006", "吴师傅", D(2015, 1, 5), D(2015, 3, 9))
    again = ap.apprenticeship_start(apprentice=started.apprentice, mentor=successor, post=reactor,
                                    start_date=today() - dt.timedelta(days=29), previous=started, actor=alice)
    assert again.first_start == started.first_start and again.planned_end == started.planned_end
    assert again.assignment.mentor == successor and again.assignment.kind == "apprentice"
    with pytest.raises(ValidationError, match="已重新指定过师傅"):
        ap.apprenticeship_start(apprentice=started.apprentice, mentor=successor, post=reactor, start_date=today(),
                                previous=started, actor=alice)
    make_ready(again)
    ap.apprenticeship_sign(apprenticeship=again, actor=successor.user)
    ap.apprenticeship_sign(apprenticeship=again, actor=head.user)
    again.refresh_from_db()
    assert again.status == "completed"
    assert TrainingRecord.objects.filter(employee=started.apprentice, kind="apprenticeship").count() == 1


def test_an_apprentice_who_quit_cannot_be_re_paired(started, alice, master, reactor):
    ap.apprenticeship_end(apprenticeship=started, reason="apprentice_quit", ended_on=today(), actor=alice)
    with pytest.raises(ValidationError) as exc:
        ap.apprenticeship_start(apprentice=started.apprentice, mentor=master, post=reactor, start_date=today(),
                                previous=started, actor=alice)
    assert "previous" in exc.value.error_dict
