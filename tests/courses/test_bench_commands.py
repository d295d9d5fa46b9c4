"""The heartbeat load test's seed and verify commands (bench/heartbeat.py): the
fleet they write logs learners in to the real heartbeat endpoint (session
cookie, CSRF, study session token), beats numbered as the generator numbers
them earn credit, and the verifier catches lost, extra or replayed credit."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from bench.seed import heartbeat_seed, heartbeat_verify
from courses.models import LessonProgress, StudySession

pytestmark = pytest.mark.django_db

INTERVAL = 2


@pytest.fixture(autouse=True)
def bench_rules(settings):
    # What bench/heartbeat.py gives the seed and the server.
    settings.ANXUN_STUDY_HEARTBEAT_SECONDS = INTERVAL
    settings.ANXUN_STUDY_PRESENCE_MIN_SECONDS = 86400
    settings.ANXUN_STUDY_PRESENCE_MAX_SECONDS = 86400 + 60


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, moved by the test."""
    now = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    return now


def _seed(tmp_path, learners=3):
    fleet = tmp_path / "fleet.json"
    call_command(heartbeat_seed.Command(), learners=learners, fleet=str(fleet), stdout=open("/dev/null", "w"))
    return json.loads(fleet.read_text())


def _client(identity) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = identity["sessionid"]
    client.cookies["csrftoken"] = identity["csrftoken"]
    return client


def _beat(identity, seq):
    """What the load generator sends for its counter value seq (0, 1, 2 …)."""
    from bench.heartbeat import beat_number

    body = {"token": identity["token"], "seq": beat_number(seq), "visible": True, "idle": 0}
    return _client(identity).post(
        "/learn/heartbeat/", data=json.dumps(body), content_type="application/json",
        HTTP_X_CSRFTOKEN=identity["csrftoken"],
    )


def _line(identity, user, seq, status, lat_ms=5.0):
    return {"u": user, "s": seq, "ok": status == 200, "st": status, "err": None, "lat_ms": lat_ms,
            "vars": {"session_id": identity["session_id"]}}


def _verify(tmp_path, lines):
    log = tmp_path / "requests.jsonl"
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "verify.out"
    with open(out, "w") as fh:
        call_command(heartbeat_verify.Command(), "--log", str(log), "--interval", str(INTERVAL), stdout=fh)
    return json.loads(out.read_text().strip().splitlines()[-1])


def _run(tmp_path, clock, people, beats=4):
    """Every learner beats ``beats`` times, INTERVAL seconds apart on the server's clock."""
    lines = []
    for seq in range(beats):
        for user, identity in enumerate(people):
            response = _beat(identity, seq)
            assert response.status_code == 200, response.content
            lines.append(_line(identity, user, seq, 200))
        clock[0] += dt.timedelta(seconds=INTERVAL)
    return lines


def test_the_fleet_beats_through_the_real_endpoint_and_every_second_is_verified(tmp_path, clock):
    fleet = _seed(tmp_path)
    people = fleet["learners"]
    assert len(people) == 3 and fleet["interval"] == INTERVAL
    assert StudySession.objects.filter(status=StudySession.Status.LIVE).count() == 3
    lines = _run(tmp_path, clock, people)
    # The first beat starts the clock; three gaps of 2 s are credited.
    assert sorted(LessonProgress.objects.values_list("seconds", flat=True)) == [6, 6, 6]
    result = _verify(tmp_path, lines)
    assert (result["lost"], result["duplicated"], result["phantom"], result["ok"]) == (0, 0, 0, True)
    assert result["acked_requests"] == 12 and result["credited_seconds"] == 18

    # Credit missing from the progress, credit nobody earned, and a session that moved unseen are caught.
    first, second, third = (StudySession.objects.get(pk=p["session_id"]) for p in people)
    LessonProgress.objects.filter(pk=first.progress_id).update(seconds=4)
    StudySession.objects.filter(pk=second.pk).update(credited=12)
    LessonProgress.objects.filter(pk=second.progress_id).update(seconds=12)
    result = _verify(tmp_path, [line for line in lines if line["vars"]["session_id"] != third.pk])
    assert (result["lost"], result["duplicated"], result["phantom"], result["ok"]) == (1, 1, 1, False)


def test_a_replayed_beat_is_refused_and_an_accepted_replay_would_be_caught(tmp_path, clock):
    (identity,) = _seed(tmp_path, learners=1)["learners"]
    lines = _run(tmp_path, clock, [identity], beats=3)
    replay = _beat(identity, 1)
    assert replay.status_code == 409 and replay.json()["reason"] == "replay"
    assert _verify(tmp_path, lines + [_line(identity, 0, 1, 409)])["ok"]
    # Had the server acknowledged it, the log would show beat 2 accepted twice.
    assert _verify(tmp_path, lines + [_line(identity, 0, 1, 200)])["duplicated"] == 1


def test_a_beat_without_reply_may_have_counted(tmp_path, clock):
    (identity,) = _seed(tmp_path, learners=1)["learners"]
    lines = _run(tmp_path, clock, [identity], beats=3)
    # The third beat was applied but its reply timed out: ambiguous, not extra credit.
    lines[-1].update(ok=False, st=None, err="timeout", lat_ms=10000.0)
    result = _verify(tmp_path, lines)
    assert result["ok"] and result["ambiguous"] == 1
    # Without the third beat in the log, its 2 s are credit nobody sent.
    assert _verify(tmp_path, lines[:-1])["duplicated"] == 1


def test_reseeding_opens_fresh_sessions_and_logs_the_old_cookies_out(tmp_path, clock):
    before = _seed(tmp_path, learners=2)["learners"]
    _run(tmp_path, clock, before, beats=2)
    after = _seed(tmp_path, learners=3)["learners"]
    assert len(after) == 3 and [p["employee_no"] for p in after[:2]] == [p["employee_no"] for p in before]
    assert set(LessonProgress.objects.values_list("seconds", flat=True)) == {0}
    assert StudySession.objects.count() == 3 and StudySession.objects.filter(status="live").count() == 3
    stale = _beat(dict(after[0], sessionid=before[0]["sessionid"]), 0)
    assert stale.status_code == 401  # the old login session is gone
    assert _beat(before[0], 0).status_code in (401, 404)
    assert _beat(after[0], 0).status_code == 200


def test_the_beat_numbers_the_generator_sends_start_at_one_and_follow_its_counter():
    from bench.heartbeat import SPEC_DWELL, SPEC_QUESTIONS, beat_number

    # loadgen.py's {question} for counter seq is 1 + (seq // dwell) % questions.
    assert [1 + (seq // SPEC_DWELL) % SPEC_QUESTIONS for seq in range(5)] == [1, 2, 3, 4, 5]
    assert [beat_number(seq) for seq in range(5)] == [1, 2, 3, 4, 5]
