"""Checking in and out with the rotating code (services, controllable clock):
current code works, an old or forged one does not, a replayed scan changes
nothing, outsiders and uninvited people are refused, closed sessions too."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses.offline import selectors, services
from courses.offline.models import Attendance
from lms.kernel import checkin

from tests.factories import at, make_worker

pytestmark = pytest.mark.django_db


def scan(session, user, purpose, *, shown, scanned=None):
    """Scan the code the screen showed at ``shown``, at ``scanned`` (default: the same moment)."""
    token = selectors.screen_token(session, purpose, now=shown)
    return services.attendance_scan(session=session, user=user, token=token, now=scanned or shown)


def attendance(session, employee):
    return Attendance.objects.get(session=session, employee=employee)


def test_check_in_then_out_with_the_current_code(session, workers):
    worker = workers[0]
    result = scan(session, worker.user, checkin.CHECK_IN, shown=at(8, 25, 3))
    assert result.changed and result.message == "签到成功：08:25"
    result = scan(session, worker.user, checkin.CHECK_OUT, shown=at(14, 31))
    assert result.changed and "签退成功" in result.message
    row = attendance(session, worker)
    assert (row.check_in_at, row.check_out_at) == (at(8, 25, 3), at(14, 31))
    assert row.check_in_method == row.check_out_method == Attendance.Method.QR


def test_a_code_scanned_in_its_last_seconds_still_works_on_a_slow_phone(session, workers):
    shown = at(8, 29, 59)
    result = scan(session, workers[0].user, checkin.CHECK_IN, shown=shown, scanned=shown + dt.timedelta(seconds=20))
    assert result.changed


def test_a_photo_of_an_old_code_is_refused_and_changes_nothing(session, workers):
    with pytest.raises(checkin.TokenError) as exc:
        scan(session, workers[0].user, checkin.CHECK_IN, shown=at(8, 25), scanned=at(8, 26, 5))
    assert exc.value.code == "expired"
    assert "二维码已过期" in exc.value.messages[0]
    assert attendance(session, workers[0]).check_in_at is None


def test_replaying_a_used_code_is_refused_once_it_has_expired(session, workers):
    user = workers[0].user
    token = selectors.screen_token(session, checkin.CHECK_IN, now=at(8, 40))
    services.attendance_scan(session=session, user=user, token=token, now=at(8, 40, 1))
    # Within its life the same scan again is harmless: the first time stands.
    again = services.attendance_scan(session=session, user=user, token=token, now=at(8, 40, 20))
    assert not again.changed and again.message == "您已于 08:40 签到，无需重复签到。"
    # Later (the link kept in the phone's history, a forwarded link) it is refused.
    with pytest.raises(checkin.TokenError) as exc:
        services.attendance_scan(session=session, user=user, token=token, now=at(9, 30))
    assert exc.value.code == "expired"
    # And a used code lent to a colleague after it expired does not check them in either.
    with pytest.raises(checkin.TokenError):
        services.attendance_scan(session=session, user=workers[1].user, token=token, now=at(9, 30))
    assert attendance(session, workers[1]).check_in_at is None
    assert attendance(session, workers[0]).check_in_at == at(8, 40, 1)


def test_double_check_in_and_out_are_idempotent(session, workers):
    user = workers[0].user
    scan(session, user, checkin.CHECK_IN, shown=at(8, 30))
    second = scan(session, user, checkin.CHECK_IN, shown=at(9, 0))
    assert not second.changed
    scan(session, user, checkin.CHECK_OUT, shown=at(14, 0))
    again = scan(session, user, checkin.CHECK_OUT, shown=at(14, 20))
    assert not again.changed and "14:00" in again.message
    row = attendance(session, workers[0])
    assert (row.check_in_at, row.check_out_at) == (at(8, 30), at(14, 0))


def test_another_sessions_code_is_invalid(session, ent_b, tom, workers):
    from tests.factories import make_session

    other = make_session(ent_b, tom, title="班组级安全教育", level="team")
    token = selectors.screen_token(other, checkin.CHECK_IN, now=at(8, 30))
    with pytest.raises(checkin.TokenError) as exc:
        services.attendance_scan(session=session, user=workers[0].user, token=token, now=at(8, 30))
    assert exc.value.code == "invalid"


def test_check_out_without_check_in_is_refused(session, workers):
    with pytest.raises(ValidationError) as exc:
        scan(session, workers[0].user, checkin.CHECK_OUT, shown=at(14, 0))
    assert exc.value.code == "not_checked_in"
    assert "还没有签到" in exc.value.messages[0]


def test_people_not_invited_or_of_another_enterprise_are_refused(session, ent_b, tree_b, bob, alice):
    stranger = make_worker(ent_b, tree_b[2], "赵六", "W009")  # same enterprise, not invited
    for user, code in ((stranger.user, "not_invited"), (bob, "not_employee"), (alice, "not_employee")):
        with pytest.raises(ValidationError) as exc:
            scan(session, user, checkin.CHECK_IN, shown=at(8, 30))
        assert exc.value.code == code
        assert exc.value.messages == ["您不在本次培训的签到名单中，请联系培训师。"]
    assert not Attendance.objects.filter(employee=stranger).exists()


def test_check_in_opens_an_hour_before_the_start(session, workers):
    with pytest.raises(ValidationError) as exc:
        scan(session, workers[0].user, checkin.CHECK_IN, shown=at(7, 29))
    assert exc.value.code == "too_early"
    assert scan(session, workers[0].user, checkin.CHECK_IN, shown=at(7, 31)).changed


def test_no_check_in_after_closing_or_cancelling(session, workers):
    scan(session, workers[0].user, checkin.CHECK_IN, shown=at(8, 30))
    services.attendance_assess(attendance=attendance(session, workers[0]), actor=None, result="passed")
    services.session_close(session=session, actor=None, now=at(14, 40))
    with pytest.raises(ValidationError) as exc:
        scan(session, workers[1].user, checkin.CHECK_IN, shown=at(14, 41))
    assert exc.value.code == "closed"


def test_trainer_records_a_check_in_by_hand_with_a_reason(session, workers, tom, tara):
    row = attendance(session, workers[0])
    with pytest.raises(ValidationError) as exc:
        services.attendance_mark(attendance=row, actor=tom, purpose="in", at=at(8, 35), note=" ", now=at(9, 0))
    assert "补录原因" in str(exc.value)
    with pytest.raises(ValidationError):
        services.attendance_mark(attendance=row, actor=tom, purpose="in", at=at(9, 30), note="手机没电", now=at(9, 0))
    with pytest.raises(PermissionDenied):
        services.attendance_mark(attendance=row, actor=tara, purpose="in", at=at(8, 35), note="手机没电", now=at(9, 0))
    services.attendance_mark(attendance=row, actor=tom, purpose="in", at=at(8, 35), note="手机没电", now=at(9, 0))
    row.refresh_from_db()
    assert row.check_in_method == Attendance.Method.MANUAL and row.manual_note == "手机没电"
    with pytest.raises(ValidationError) as exc:
        services.attendance_mark(attendance=row, actor=tom, purpose="out", at=at(8, 0), note="提前离场", now=at(9, 0))
    assert "签退时间不能早于签到时间" in str(exc.value)


def test_assessment_needs_a_check_in_and_the_trainer(session, workers, tom, pat):
    row = attendance(session, workers[0])
    with pytest.raises(ValidationError) as exc:
        services.attendance_assess(attendance=row, actor=tom, result="passed")
    assert exc.value.code == "not_checked_in"
    scan(session, workers[0].user, checkin.CHECK_IN, shown=at(8, 30))
    with pytest.raises(PermissionDenied):
        services.attendance_assess(attendance=row, actor=pat, result="passed")
    with pytest.raises(ValidationError):
        services.attendance_assess(attendance=row, actor=tom, result="maybe")
    services.attendance_assess(attendance=row, actor=tom, result="failed", notes="未正确佩戴安全带")
    row.refresh_from_db()
    assert (row.assessment_result, row.assessment_notes, row.assessed_by) == ("failed", "未正确佩戴安全带", tom)
