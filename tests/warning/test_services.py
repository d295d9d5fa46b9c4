"""Warning education services: quarterly campaigns from the daily scan,
cases chosen by each post's hazards, online completion writing one record
that meets the quarter's obligation, meetings with the rotating QR code."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from courses.warning import selectors, services
from courses.warning.models import MeetingAttendance, WarningCampaign, WarningStudy, quarter_of, quarter_span
from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation
from lms.compliance.scan import scan_obligations
from lms.kernel import checkin
from tests.warning.clock import run_clock, studied

REFLECTION = "这起触电事故的教训是检修前必须停电、验电、挂牌上锁，我今后一定严格执行操作票制度，不冒险作业。"


def _warning_obligation(user, campaign):
    return Obligation.objects.get(employee=user.employee, kind="warning", cycle=campaign.cycle)


# --- the scan makes the quarter's campaign --------------------------------------------------------


def test_scan_creates_one_campaign_per_enterprise_and_quarter_idempotently(scanned, ent_b):
    year, quarter = quarter_of(timezone.localdate())
    assert scanned["scan"].campaigns == 2  # 华兴 and 东方
    campaign = scanned["campaign"]
    assert (campaign.year, campaign.quarter, campaign.auto_created) == (year, quarter, True)
    assert campaign.title == f"{year} 年第 {quarter} 季度警示教育"

    again = scan_obligations(today=timezone.localdate())
    assert again.campaigns == 0
    assert WarningCampaign.objects.filter(year=year, quarter=quarter).count() == 2


def test_scan_makes_next_quarters_campaign_and_respects_one_made_by_hand(site, ent_b):
    WarningCampaign.objects.create(enterprise=site["ent"], year=2026, quarter=1, title="一季度警示教育月")
    assert services.campaigns_ensure(today=dt.date(2026, 2, 10)) == 1  # only 东方 lacked one
    assert services.campaigns_ensure(today=dt.date(2026, 4, 1)) == 2
    assert WarningCampaign.objects.filter(enterprise=site["ent"]).count() == 2


def test_unique_constraint_keeps_one_scan_campaign_per_quarter(site):
    WarningCampaign.objects.create(enterprise=site["ent"], year=2026, quarter=2, title="x", auto_created=True)
    with pytest.raises(Exception):
        WarningCampaign.objects.create(enterprise=site["ent"], year=2026, quarter=2, title="y", auto_created=True)


def test_quarter_span():
    assert quarter_span(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_span(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


# --- cases by hazards ----------------------------------------------------------------------------


def test_cases_are_chosen_by_the_hazards_of_each_post(scanned):
    campaign, people, cases = scanned["campaign"], scanned["people"], scanned["cases"]
    assert selectors.cases_for_employee(campaign, people["bob"].employee) == [cases["electric"]]
    assert selectors.cases_for_employee(campaign, people["zhao"].employee) == [cases["gas"]]


def test_enterprise_cases_come_first_for_everyone(scanned, alice):
    campaign, people, cases = scanned["campaign"], scanned["people"], scanned["cases"]
    services.campaign_set_extra_cases(campaign=campaign, actor=alice, cases=[cases["forklift"]])
    assert selectors.cases_for_employee(campaign, people["bob"].employee) == [cases["forklift"], cases["electric"]]
    assert selectors.cases_for_employee(campaign, people["zhao"].employee) == [cases["forklift"], cases["gas"]]


def test_someone_without_a_post_gets_cases_of_the_industry(scanned, ent_a, tree_a):
    from .conftest import worker

    office = worker(ent_a, tree_a[0], None, "A0099", "文员")
    assert selectors.cases_for_employee(scanned["campaign"], office.employee) == [scanned["cases"]["gas"]]


def test_only_managers_choose_extra_cases(scanned, charlie):
    campaign = scanned["campaign"]
    with pytest.raises(PermissionDenied):
        services.campaign_set_extra_cases(campaign=campaign, actor=charlie, cases=[scanned["cases"]["gas"]])
    with pytest.raises(PermissionDenied):
        services.campaign_set_extra_cases(campaign=campaign, actor=scanned["people"]["bob"], cases=[])


# --- online study -------------------------------------------------------------------------------


def test_completion_writes_one_record_that_meets_the_quarters_obligation(scanned):
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    assert _warning_obligation(bob, campaign).status == "open"
    study = studied(campaign, bob, 30)
    result = services.study_complete(study=study, user=bob, reflection=REFLECTION)

    assert result.completed_now
    record = TrainingRecord.objects.get(employee=bob.employee)
    assert record.kind == "warning" and record.source == "online"
    assert record.hours == Decimal("0.6")  # 30 of 45 minutes, under the campaign's 1.0
    assert "配电柜带电作业触电" in record.content and REFLECTION in record.content
    assert _warning_obligation(bob, campaign).status == "met"

    again = services.study_complete(study=study, user=bob, reflection=REFLECTION + "再提交一次")
    assert not again.completed_now and "无需重复提交" in again.message
    assert TrainingRecord.objects.filter(employee=bob.employee).count() == 1
    assert WarningStudy.objects.get(pk=study.pk).reflection == REFLECTION


def test_hours_never_exceed_the_campaigns_hours(scanned):
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = studied(campaign, bob, 60)
    services.study_complete(study=study, user=bob, reflection=REFLECTION)
    assert TrainingRecord.objects.get(employee=bob.employee).hours == Decimal("1.0")


def test_reopening_keeps_the_first_start(scanned):
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    first = services.study_open(campaign=campaign, user=bob, now=timezone.now() - dt.timedelta(minutes=20))
    second = services.study_open(campaign=campaign, user=bob)
    assert first.pk == second.pk and second.started_at == first.started_at


def test_short_reflection_is_a_field_error_and_writes_nothing(scanned):
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = services.study_open(campaign=campaign, user=bob)
    with pytest.raises(ValidationError) as exc:
        services.study_complete(study=study, user=bob, reflection="  要注意安全  ")
    assert "reflection" in exc.value.error_dict and "至少 20 个字" in str(exc.value)
    assert not TrainingRecord.objects.filter(employee=bob.employee).exists()
    assert _warning_obligation(bob, campaign).status == "open"


def test_nobody_completes_another_persons_study_or_joins_another_enterprise(scanned, charlie):
    campaign, people = scanned["campaign"], scanned["people"]
    study = services.study_open(campaign=campaign, user=people["bob"])
    with pytest.raises(PermissionDenied):
        services.study_complete(study=study, user=people["wang"], reflection=REFLECTION)
    with pytest.raises(ValidationError) as exc:
        services.study_open(campaign=campaign, user=charlie)
    assert exc.value.code == "not_employee"


def test_a_past_quarters_campaign_is_closed(scanned):
    bob = scanned["people"]["bob"]
    old = WarningCampaign.objects.create(enterprise=scanned["ent"], year=2024, quarter=1, title="旧活动")
    study = services.study_open(campaign=old, user=bob)
    with pytest.raises(ValidationError) as exc:
        services.study_complete(study=study, user=bob, reflection=REFLECTION)
    assert exc.value.code == "closed"


# --- on-site meetings ------------------------------------------------------------------------------


@pytest.fixture
def meeting(scanned, alice):
    now = timezone.now()
    return services.meeting_create(campaign=scanned["campaign"], actor=alice, title="警示教育大会",
                                   start_at=now - dt.timedelta(minutes=10), end_at=now + dt.timedelta(minutes=80),
                                   place="三楼会议室")


def test_meeting_check_in_with_the_rotating_code_and_close_writes_records_once(scanned, meeting, alice):
    people, campaign = scanned["people"], scanned["campaign"]
    now = timezone.now()
    token = meeting.checkin_token(checkin.CHECK_IN, now)
    first = services.meeting_scan(meeting=meeting, user=people["bob"], token=token, now=now)
    repeat = services.meeting_scan(meeting=meeting, user=people["bob"], token=token, now=now)
    services.meeting_scan(meeting=meeting, user=people["zhao"], token=token, now=now)
    assert first.changed and not repeat.changed and "无需重复签到" in repeat.message
    assert MeetingAttendance.objects.filter(meeting=meeting).count() == 2

    records = services.meeting_close(meeting=meeting, actor=alice, now=now + dt.timedelta(minutes=90))
    assert {r.employee_id for r in records} == {people["bob"].employee.pk, people["zhao"].employee.pk}
    assert all(r.kind == "warning" and r.place == "三楼会议室" and r.hours == Decimal("1.7") for r in records)
    assert _warning_obligation(people["bob"], campaign).status == "met"
    assert _warning_obligation(people["wang"], campaign).status == "open"
    with pytest.raises(ValidationError) as exc:
        services.meeting_close(meeting=meeting, actor=alice, now=now + dt.timedelta(minutes=95))
    assert exc.value.code == "closed"
    assert TrainingRecord.objects.filter(kind="warning").count() == 2


def test_meeting_refuses_old_codes_other_meetings_codes_and_outsiders(scanned, meeting, alice, charlie):
    bob = scanned["people"]["bob"]
    now = timezone.now()
    old = meeting.checkin_token(checkin.CHECK_IN, now - dt.timedelta(seconds=checkin.STEP_SECONDS * 3))
    with pytest.raises(checkin.TokenError) as exc:
        services.meeting_scan(meeting=meeting, user=bob, token=old, now=now)
    assert exc.value.code == "expired"
    other = services.meeting_create(campaign=scanned["campaign"], actor=alice, title="第二场", start_at=meeting.start_at,
                                    end_at=meeting.end_at, place="车间")
    with pytest.raises(checkin.TokenError):
        services.meeting_scan(meeting=meeting, user=bob, token=other.checkin_token(checkin.CHECK_IN, now), now=now)
    with pytest.raises(checkin.TokenError):  # a check-out code is not a check-in code
        services.meeting_scan(meeting=meeting, user=bob, token=meeting.checkin_token(checkin.CHECK_OUT, now), now=now)
    with pytest.raises(ValidationError) as exc:
        services.meeting_scan(meeting=meeting, user=charlie, token=meeting.checkin_token(checkin.CHECK_IN, now), now=now)
    assert exc.value.code == "not_employee"


def test_meeting_planning_rules(scanned, alice, charlie):
    campaign = scanned["campaign"]
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        services.meeting_create(campaign=campaign, actor=charlie, title="x", start_at=now, end_at=now, place="x")
    with pytest.raises(ValidationError) as exc:
        services.meeting_create(campaign=campaign, actor=alice, title="x", start_at=now, end_at=now, place="x")
    assert "end_at" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.meeting_create(campaign=campaign, actor=alice, title="x", start_at=now + dt.timedelta(days=200),
                                end_at=now + dt.timedelta(days=200, hours=1), place="x")
    assert "start_at" in exc.value.error_dict


def test_only_host_or_managers_close_a_meeting(scanned, meeting):
    with pytest.raises(PermissionDenied):
        services.meeting_close(meeting=meeting, actor=scanned["people"]["bob"], now=timezone.now())


def test_minimum_reflection_length_is_a_setting(scanned, settings):
    settings.ANXUN_WARNING_REFLECTION_MIN_CHARS = 200
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = services.study_open(campaign=campaign, user=bob)
    with pytest.raises(ValidationError) as exc:
        services.study_complete(study=study, user=bob, reflection=REFLECTION)
    assert "至少 200 个字" in str(exc.value)


def test_a_submit_racing_a_finished_one_writes_no_second_record(scanned, monkeypatch):
    """Two tabs: both read the study while it is open; the first completes it;
    the second's conditional UPDATE finds nothing to claim."""
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = studied(campaign, bob, 12)
    stale = services._load_study(study.pk)
    services.study_complete(study=study, user=bob, reflection=REFLECTION)
    monkeypatch.setattr(services, "_load_study", lambda pk: stale)  # the second tab's read predates the first submit
    result = services.study_complete(study=study, user=bob, reflection=REFLECTION + "（第二个标签页）")
    assert not result.completed_now
    assert TrainingRecord.objects.filter(employee=bob.employee, kind="warning").count() == 1
    assert WarningStudy.objects.get(pk=study.pk).reflection == REFLECTION


# --- credit only for time spent (issue 18) -------------------------------------------------------


def test_a_script_that_never_waits_cannot_complete(scanned):
    """Open the page, submit at once: before issue 18 this was 已完成 at 0 学时."""
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = services.study_open(campaign=campaign, user=bob, now=timezone.now() - dt.timedelta(seconds=4))
    with pytest.raises(ValidationError) as exc:
        services.study_complete(study=study, user=bob, reflection=REFLECTION)
    assert exc.value.code == "too_little_time" and "至少需要学习 10 分钟" in str(exc.value)
    assert not TrainingRecord.objects.filter(employee=bob.employee).exists()
    assert WarningStudy.objects.get(pk=study.pk).completed_at is None


def test_an_open_page_is_not_study_time(scanned):
    """Opened two hours ago but never on the clock: nothing credited, refused."""
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = services.study_open(campaign=campaign, user=bob, now=timezone.now() - dt.timedelta(hours=2))
    with pytest.raises(ValidationError):
        services.study_complete(study=study, user=bob, reflection=REFLECTION)
    assert not TrainingRecord.objects.filter(employee=bob.employee).exists()


def test_a_hidden_or_idle_page_earns_nothing(scanned):
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    start = timezone.now() - dt.timedelta(minutes=40)
    study = services.study_open(campaign=campaign, user=bob, now=start)
    run_clock(study, bob, minutes=30, start=start, visible=False)
    study.refresh_from_db()
    assert study.seconds == 0
    with pytest.raises(ValidationError):
        services.study_complete(study=study, user=bob, reflection=REFLECTION)


def test_the_record_credits_the_time_on_the_clock(scanned, settings):
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = studied(campaign, bob, 18)
    assert 17 * 60 <= study.seconds <= 18 * 60
    services.study_complete(study=study, user=bob, reflection=REFLECTION)
    record = TrainingRecord.objects.get(employee=bob.employee)
    # 18 minutes of 45 per 学时 → 0.4 (rounded down as online courses are).
    assert record.hours == services.hours_studied(study.seconds) == Decimal("0.4")
    assert WarningStudy.objects.get(pk=study.pk).record == record


def test_the_minimum_is_a_setting(scanned, settings):
    settings.ANXUN_WARNING_MIN_MINUTES = 20
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = studied(campaign, bob, 15)
    with pytest.raises(ValidationError) as exc:
        services.study_complete(study=study, user=bob, reflection=REFLECTION)
    assert "至少需要学习 20 分钟" in str(exc.value)
    run_clock(study, bob, minutes=6, start=timezone.now())
    study.refresh_from_db()
    assert services.study_complete(study=study, user=bob, reflection=REFLECTION).completed_now


def test_another_page_starting_the_clock_stops_the_first(scanned):
    from courses.services import SessionGone
    from courses import timing

    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    study = services.study_open(campaign=campaign, user=bob)
    first = services.study_clock_start(study=study, user=bob)["token"]
    services.study_clock_start(study=study, user=bob)
    with pytest.raises(SessionGone):
        services.study_heartbeat(study=study, user=bob, token=first, beat=timing.Beat(seq=1))


def test_a_meeting_closed_early_credits_until_the_close(scanned, meeting, alice):
    """Planned 90 minutes, closed 30 minutes after the start: 30 minutes
    credited (0.6 学时), not the planned end (before issue 18: 1.7)."""
    bob = scanned["people"]["bob"]
    start = meeting.start_at
    services.meeting_scan(meeting=meeting, user=bob, token=meeting.checkin_token(checkin.CHECK_IN, start), now=start)
    [record] = services.meeting_close(meeting=meeting, actor=alice, now=start + dt.timedelta(minutes=30))
    assert (record.start_at, record.end_at) == (start, start + dt.timedelta(minutes=30))
    assert record.hours == Decimal("0.6")
