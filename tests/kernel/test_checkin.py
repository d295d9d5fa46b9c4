"""The rotating code: current and previous step accepted, anything older or
forged refused, bound to one object and purpose; controllable clock."""

import datetime as dt

import pytest

from lms.kernel import checkin

NOW = dt.datetime(2026, 11, 10, 1, 0, 10, tzinfo=dt.timezone.utc)  # 10 s into a step
KW = {"namespace": "test.thing", "object_id": 7, "secret": "s3cret"}


def make(now=NOW, purpose=checkin.CHECK_IN, **kw):
    return checkin.make_token(**{**KW, **kw}, purpose=purpose, now=now)


def verify(token, now=NOW, **kw):
    return checkin.verify_token(token, **{**KW, **kw}, now=now)


def code_of(exc_info):
    return exc_info.value.code


def test_a_code_is_good_during_its_step_and_the_next():
    token = make()
    assert verify(token).step == checkin.step_at(NOW)
    step_end = checkin.step_ends_at(checkin.step_at(NOW))
    assert verify(token, now=step_end - dt.timedelta(seconds=1))
    # The next step: still accepted (a scan in the code's last seconds, a slow phone).
    assert verify(token, now=step_end + dt.timedelta(seconds=checkin.STEP_SECONDS - 1))


def test_a_photo_of_an_old_code_is_refused_as_expired():
    token = make()
    later = checkin.step_ends_at(checkin.step_at(NOW)) + dt.timedelta(seconds=checkin.STEP_SECONDS)
    with pytest.raises(checkin.TokenError) as exc:
        verify(token, now=later)
    assert code_of(exc) == "expired"
    assert "已过期" in exc.value.messages[0]
    with pytest.raises(checkin.TokenError):
        verify(token, now=NOW + dt.timedelta(hours=3))


def test_a_code_from_the_future_is_invalid():
    token = make(now=NOW + dt.timedelta(seconds=checkin.STEP_SECONDS))
    with pytest.raises(checkin.TokenError) as exc:
        verify(token)
    assert code_of(exc) == "invalid"


@pytest.mark.parametrize(
    "change",
    [
        {"object_id": 8},  # another session's code
        {"secret": "other"},  # the session's secret renewed
        {"namespace": "meeting"},  # another kind of object with the same id
    ],
)
def test_a_code_is_bound_to_its_object(change):
    token = make()
    with pytest.raises(checkin.TokenError) as exc:
        verify(token, **change)
    assert code_of(exc) == "invalid"


def test_purpose_is_signed_and_can_be_required():
    token = make(purpose=checkin.CHECK_IN)
    forged = token.replace("-in-", "-out-")
    with pytest.raises(checkin.TokenError):
        verify(forged)
    with pytest.raises(checkin.TokenError):
        verify(token, purpose=checkin.CHECK_OUT)
    assert verify(token, purpose=checkin.CHECK_IN).purpose == "in"


@pytest.mark.parametrize("bad", ["", "x", "7-in-1-abc", "7-in-999999999-" + "g" * 24, "7-up-1-" + "a" * 24, None])
def test_garbage_is_invalid_not_an_error(bad):
    with pytest.raises(checkin.TokenError) as exc:
        verify(bad)
    assert code_of(exc) == "invalid"


def test_tampered_step_fails_the_mac():
    token = make()
    object_id, purpose, step, mac = token.split("-")
    moved = f"{object_id}-{purpose}-{int(step) + 0}-{mac[:-1]}{'0' if mac[-1] != '0' else '1'}"
    with pytest.raises(checkin.TokenError):
        verify(moved)
    older = f"{object_id}-{purpose}-{int(step) - 1}-{mac}"  # reuse the MAC for an older step
    with pytest.raises(checkin.TokenError) as exc:
        verify(older)
    assert code_of(exc) == "invalid"
