"""Closing a session writes one archive record per attendee, with the real
time (check-in to check-out, inside the planned time; no check-out → the
planned end, said in the record), exactly once; the records satisfy the
obligations; only the trainer or a planner may close."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses.offline import selectors, services
from courses.offline.models import Attendance, OfflineSession
from lms.archive.models import TrainingRecord
from lms.archive.services import archive_verify
from lms.compliance.models import Obligation

from tests.factories import at, make_session

pytestmark = pytest.mark.django_db


def check(session, employee, purpose, when):
    token = selectors.screen_token(session, purpose, now=when)
    services.attendance_scan(session=session, user=employee.user, token=token, now=when)


def assess(session, employee, result="passed", notes=""):
    row = Attendance.objects.get(session=session, employee=employee)
    services.attendance_assess(attendance=row, actor=None, result=result, notes=notes)


@pytest.fixture
def attended(session, workers):
    """张三 08:20–14:45 (capped to 08:30–14:30: 8 学时), 李四 10:00–12:15 (3 学时),
    王五 checked in at 09:00 and never out (→ 14:30)."""
    a, b, c = workers
    check(session, a, "in", at(8, 20))
    check(session, a, "out", at(14, 45))
    check(session, b, "in", at(10, 0))
    check(session, b, "out", at(12, 15))
    check(session, c, "in", at(9, 0))
    assess(session, a, notes="灭火器操作规范")
    assess(session, b, "failed")
    assess(session, c)
    return session


def records_of(employee):
    return list(TrainingRecord.objects.filter(employee=employee))


def test_close_writes_one_record_per_attendee_with_the_real_time(attended, workers, tom):
    result = services.session_close(session=attended, actor=tom, now=at(14, 50))
    assert len(result.records) == 3 and result.absent == []
    assert [a.employee for a in result.without_checkout] == [workers[2]]
    a, b, c = (records_of(w) for w in workers)
    assert len(a) == len(b) == len(c) == 1
    a, b, c = a[0], b[0], c[0]
    assert (a.start_at, a.end_at, a.hours) == (at(8, 30), at(14, 30), 8)  # capped by the planned time
    assert (b.start_at, b.end_at, str(b.hours)) == (at(10, 0), at(12, 15), "3.0")  # 135 min / 45
    assert (c.start_at, c.end_at, c.hours) == (at(9, 0), at(14, 30), Decimal("7.3"))  # 330 min → 7.3
    assert "未签退，按培训计划结束时间 14:30 计" in c.content
    assert "签到 08:20（扫码），签退 14:45（扫码）" in a.content and "灭火器操作规范" in a.content
    for r in (a, b, c):
        assert (r.kind, r.level, r.source, r.place, r.trainer) == ("induction", "company", "offline", "二号楼培训教室", "汤姆")
        assert r.participants == "共 3 人：张三、李四、王五"
        assert r.assessment_method == "实操考核"
        assert r.source_ref.startswith(f"offline_session:{attended.pk}/attendance:")
    assert (a.assessment_result, b.assessment_result) == ("passed", "failed")
    attended.refresh_from_db()
    assert attended.status == OfflineSession.Status.CLOSED and attended.closed_by == tom
    assert Attendance.objects.get(session=attended, employee=workers[0]).record == a
    assert archive_verify() == (3, [])


def test_records_satisfy_the_obligation(attended, workers):
    services.session_close(session=attended, actor=None, now=at(14, 50))
    company = {w.name: Obligation.objects.get(employee=w, kind="induction", level="company") for w in workers}
    assert company["张三"].status == "met" and company["张三"].met_on == at(14, 30).date()
    assert list(company["张三"].records.all()) == records_of(workers[0])
    assert company["李四"].status == "open"  # 3 of 8 学时, and failed the assessment
    assert company["李四"].completed_hours == 3
    assert company["王五"].status == "open" and company["王五"].completed_hours == Decimal("7.3")  # short of 8
    # The workshop and team levels are not touched by a company-level session.
    assert not Obligation.objects.filter(employee=workers[0], level__in=["workshop", "team"], status="met").exists()


def test_closing_twice_writes_nothing_the_second_time(attended, tom, charlie):
    services.session_close(session=attended, actor=tom, now=at(14, 50))
    for actor in (tom, charlie):
        with pytest.raises(ValidationError) as exc:
            services.session_close(session=attended, actor=actor, now=at(14, 51))
        assert exc.value.code == "closed"
        assert "不会重复写入" in exc.value.messages[0]
    assert TrainingRecord.objects.count() == 3


def test_people_who_never_checked_in_get_no_record(session, workers):
    check(session, workers[0], "in", at(8, 30))
    assess(session, workers[0])
    result = services.session_close(session=session, actor=None, now=at(15))
    assert [a.employee for a in result.absent] == workers[1:]
    assert TrainingRecord.objects.filter(employee__in=workers[1:]).count() == 0


def test_closing_needs_every_attendee_assessed_when_required(session, workers):
    check(session, workers[0], "in", at(8, 30))
    check(session, workers[1], "in", at(8, 31))
    assess(session, workers[0])
    with pytest.raises(ValidationError) as exc:
        services.session_close(session=session, actor=None, now=at(15))
    assert exc.value.code == "assessment_missing" and "李四" in exc.value.messages[0]
    assert TrainingRecord.objects.count() == 0
    session.refresh_from_db()
    assert session.is_open
    services.session_update(session=session, actor=None, assessment_required=False)
    result = services.session_close(session=session, actor=None, now=at(15))
    unassessed = TrainingRecord.objects.get(employee=workers[1])
    assert len(result.records) == 2 and unassessed.assessment_result == "none" and unassessed.assessment_method == ""


def test_only_the_trainer_or_a_planner_may_close(attended, tara, pat, alice, bob):
    for actor in (tara, pat, alice, bob):
        with pytest.raises(PermissionDenied):
            services.session_close(session=attended, actor=actor, now=at(14, 50))
    assert TrainingRecord.objects.count() == 0
    assert services.session_close(session=attended, actor=services.OfflineSession.objects.get(pk=attended.pk).trainer,
                                  now=at(14, 50)).records


def test_not_before_the_start(session):
    with pytest.raises(ValidationError) as exc:
        services.session_close(session=session, actor=None, now=at(8, 0))
    assert exc.value.code == "not_started"


def test_a_failing_append_rolls_the_whole_close_back(attended, workers, monkeypatch):
    import courses.offline.attendance as module

    real = module.record_append
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["employee"].pk)
        if len(calls) == 2:
            raise ValidationError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(module, "record_append", flaky)
    with pytest.raises(ValidationError):
        services.session_close(session=attended, actor=None, now=at(14, 50))
    attended.refresh_from_db()
    assert attended.is_open and TrainingRecord.objects.count() == 0
    assert not Attendance.objects.filter(session=attended, record__isnull=False).exists()
    monkeypatch.setattr(module, "record_append", real)
    assert len(services.session_close(session=attended, actor=None, now=at(14, 50)).records) == 3


def test_closing_early_credits_until_the_actual_close_not_the_planned_end(ent_b, tom, workers):
    """A 3-hour session closed 1 hour in: who never checked out is credited
    to the close (1 h), not to the planned end (3 h); a check-out before
    the close still ends the span; time before the planned start never counts."""
    short = make_session(ent_b, tom, start_at=at(8, 30), end_at=at(11, 30))
    services.session_invite(session=short, actor=None, employees=workers)
    a, b, _c = workers
    check(short, a, "in", at(8, 20))
    check(short, b, "in", at(8, 40))
    check(short, b, "out", at(9, 10))
    assess(short, a)
    assess(short, b)
    result = services.session_close(session=short, actor=tom, now=at(9, 30))
    assert len(result.records) == 2 and [x.employee for x in result.without_checkout] == [a]
    [ra], [rb] = records_of(a), records_of(b)
    assert (ra.start_at, ra.end_at, ra.hours) == (at(8, 30), at(9, 30), Decimal("1.3"))  # 60 min / 45, not 4 学时
    assert "未签退，按培训实际结束时间 09:30 计" in ra.content
    assert (rb.start_at, rb.end_at, rb.hours) == (at(8, 40), at(9, 10), Decimal("0.6"))


def test_credited_window_never_passes_the_close_or_the_plan():
    from courses.offline.attendance import credited_window

    plan = {"planned_start": at(9), "planned_end": at(12)}
    assert credited_window(check_in=None, check_out=None, closed_at=at(12), **plan) is None
    assert credited_window(check_in=at(8), check_out=None, closed_at=at(10), **plan) == (at(9), at(10), True)
    assert credited_window(check_in=at(9, 30), check_out=at(13), closed_at=at(13), **plan) == (at(9, 30), at(12), False)
    assert credited_window(check_in=at(9, 30), check_out=None, closed_at=at(9, 15), **plan) is None
