"""courses.timing: every study-time rule, with an explicit clock (``now``)
and seeded randomness. No database."""

import dataclasses
import datetime as dt
import random
import zoneinfo

import pytest

from courses import timing
from courses.timing import Reason

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)
NO_PRESENCE = dict(presence_min=10**7, presence_max=10**7)  # presence checks far away
RULES = timing.Rules(**NO_PRESENCE)


class Study:
    """One study session driven beat by beat on a fake clock."""

    def __init__(self, rules=RULES, *, media=0.0, day_base=0, max_position=0.0, now=T0, seed=7):
        self.rules, self.now, self.media = rules, now, media
        self.rng = random.Random(seed)
        self.state = timing.start(now=now, day_base=day_base, max_position=max_position, media_seconds=media,
                                  rules=rules, rng=self.rng)

    def beat(self, after=30, *, seq=None, **fields) -> timing.Outcome:
        self.now += dt.timedelta(seconds=after)
        if self.media and "playing" not in fields:
            fields["playing"] = True
        b = timing.Beat(seq=self.state.seq + 1 if seq is None else seq, **fields)
        out = timing.beat(self.state, b, now=self.now, rules=self.rules, has_media=self.media > 0, rng=self.rng)
        if out.accepted:
            self.state = out.state
        return out


def test_time_is_credited_only_between_consecutive_valid_beats():
    s = Study()
    first = s.beat(0)
    assert (first.accepted, first.credit, first.reason) == (True, 0, Reason.FIRST)
    assert str(first.message) == "开始计时"
    second = s.beat(30)
    assert (second.credit, second.reason) == (30, Reason.OK)
    assert s.beat(30).credit == 30
    assert s.state.credited == 60


@pytest.mark.parametrize("seq", [2, 1, 0])
def test_replayed_or_old_heartbeat_is_refused_and_changes_nothing(seq):
    s = Study()
    s.beat(0)
    s.beat(30)
    before = dataclasses.replace(s.state).as_dict()
    out = s.beat(30, seq=seq)
    assert (out.accepted, out.credit, out.reason) == (False, 0, Reason.REPLAY)
    assert out.state.as_dict() == before
    assert s.state.as_dict() == before
    # The genuine next heartbeat still earns the time since the last accepted one.
    assert s.beat(0).credit == 30


def test_gap_longer_than_interval_plus_slack_earns_nothing_and_restarts_the_clock():
    s = Study()
    s.beat(0)
    assert s.beat(45).credit == 45  # interval + slack is still fine
    out = s.beat(46)
    assert (out.credit, out.reason) == (0, Reason.GAP)
    assert str(out.message).startswith("与上次心跳间隔过长")
    assert s.beat(30).credit == 30
    assert s.state.credited == 75


def test_too_fast_heartbeat_earns_nothing_now_and_the_next_one_earns_the_time():
    s = Study()
    s.beat(0)
    s.beat(30)
    fast = s.beat(5)
    assert (fast.accepted, fast.credit, fast.reason) == (True, 0, Reason.TOO_FAST)
    regular = s.beat(25)
    assert regular.credit == 30  # measured from the last counted beat
    assert s.state.credited == 60


def test_seek_ahead_is_refused_with_the_position_to_go_back_to():
    s = Study(media=600)
    s.beat(0, position=0)
    assert s.beat(30, position=30).credit == 30
    out = s.beat(30, position=400)
    assert (out.accepted, out.credit, out.reason) == (True, 0, Reason.SEEK)
    assert out.seek_back_to == 30
    assert s.state.max_position == 30
    assert str(out.message) == "不能跳过未观看的内容，已退回到已观看的位置"


def test_after_being_sent_back_playing_on_from_the_watched_point_earns_again():
    s = Study(media=600)
    s.beat(0, position=0)
    s.beat(30, position=30)
    assert s.beat(30, position=400).reason == Reason.SEEK  # sent back to 30
    resumed = s.beat(30, position=60)  # played on for 30 s from 30
    assert resumed.reason != Reason.SEEK
    assert resumed.seek_back_to is None
    assert s.state.max_position == 60
    assert s.beat(30, position=90).credit == 30


def test_video_that_played_on_while_idle_is_not_a_seek_once_the_learner_is_back():
    rules = dataclasses.replace(RULES, idle=60)
    s = Study(rules, media=600)
    s.beat(0, position=0)
    s.beat(30, position=30, idle_seconds=30)
    assert s.beat(30, position=60, idle_seconds=60).reason == Reason.IDLE
    back = s.beat(30, position=90, idle_seconds=1)
    assert back.reason in (Reason.FIRST, Reason.SEEK)
    if back.reason == Reason.SEEK:  # what played while idle is not watched…
        assert back.seek_back_to == 30
        position = 30 + 30
    else:
        position = 120
    # …but from there on the clock runs again.
    again = s.beat(30, position=position)
    assert again.reason in (Reason.FIRST, Reason.OK)
    assert s.beat(30, position=position + 30).credit == 30


def test_idle_stops_the_clock_until_there_is_input_again():
    s = Study()
    s.beat(0)
    assert s.beat(30, idle_seconds=300).credit == 30
    idle = s.beat(30, idle_seconds=600)
    assert (idle.credit, idle.reason) == (0, Reason.IDLE)
    assert s.beat(30, idle_seconds=630).credit == 0
    back = s.beat(30, idle_seconds=2)
    assert (back.credit, back.reason) == (0, Reason.FIRST)
    assert s.beat(30, idle_seconds=20).credit == 30
    assert s.state.credited == 60


def test_hidden_page_stops_the_clock():
    s = Study()
    s.beat(0)
    hidden = s.beat(30, visible=False)
    assert (hidden.credit, hidden.reason) == (0, Reason.HIDDEN)
    assert s.beat(30, visible=False).credit == 0
    assert s.beat(30).reason == Reason.FIRST
    assert s.beat(30).credit == 30
    assert s.state.credited == 30


def test_paused_video_stops_the_clock_until_the_video_is_watched():
    s = Study(media=60)
    s.beat(0, position=0)
    paused = s.beat(30, position=0, playing=False)
    assert (paused.credit, paused.reason) == (0, Reason.PAUSED)
    s.beat(0, position=0)  # play again
    s.beat(30, position=30)
    s.beat(30, position=60)
    assert s.state.media_watched
    # Watched: reading the rest of the lesson with the video stopped counts.
    assert s.beat(30, position=60, playing=False).credit == 30


def _presence_study(**rules):
    return Study(dataclasses.replace(RULES, presence_min=300, presence_max=300, **rules))


def test_presence_prompt_appears_at_the_due_time():
    s = _presence_study()
    assert s.state.presence_due_at == T0 + dt.timedelta(seconds=300)
    prompts = [s.beat(0 if i == 0 else 30).prompt for i in range(11)]  # beats at 0 … 300 s
    assert prompts[:10] == [None] * 10
    nonce, deadline = prompts[10]
    assert len(nonce) == 32
    assert deadline == T0 + dt.timedelta(seconds=360)


def test_unanswered_presence_check_stops_the_clock_and_the_right_answer_resumes_it():
    s = _presence_study()
    for i in range(11):
        s.beat(0 if i == 0 else 30)  # the prompt comes with the beat at 300 s
    nonce = s.state.presence_nonce
    assert s.beat(30).credit == 30  # 330 s: still within the 60 s to answer
    assert s.beat(30).credit == 30  # 360 s: the deadline itself
    late = s.beat(30)  # 390 s: unanswered
    assert (late.credit, late.reason) == (0, Reason.PRESENCE)
    assert late.prompt[0] == nonce
    wrong = s.beat(30, presence_nonce="0" * 32)
    assert (wrong.credit, wrong.reason) == (0, Reason.PRESENCE)
    odd = s.beat(30, presence_nonce="不是随机码")  # non-ASCII answers are just wrong, not an error
    assert odd.reason == Reason.PRESENCE
    answered = s.beat(5, presence_nonce=nonce)
    assert answered.reason == Reason.FIRST
    assert answered.prompt is None
    assert s.beat(30).credit == 30
    assert s.state.presence_due_at == answered.state.presence_due_at


def test_presence_answered_in_time_keeps_the_clock_running():
    s = _presence_study()
    for i in range(11):
        s.beat(0 if i == 0 else 30)
    credited = s.state.credited
    nonce = s.state.presence_nonce
    answer = s.beat(10, presence_nonce=nonce)  # the answer goes out at once
    assert answer.reason == Reason.TOO_FAST and answer.prompt is None
    assert s.beat(20).credit == 30
    assert s.state.credited == credited + 30


def test_presence_moments_come_from_the_given_randomness():
    rules = dataclasses.replace(RULES, presence_min=300, presence_max=1200)
    dues = [timing.start(now=T0, day_base=0, max_position=0, media_seconds=0, rules=rules, rng=random.Random(seed))
            .presence_due_at for seed in (1, 1, 2)]
    assert dues[0] == dues[1] != dues[2]
    assert all(T0 + dt.timedelta(seconds=300) <= d <= T0 + dt.timedelta(seconds=1200) for d in dues)


def test_daily_cap_stops_the_clock_and_says_so():
    s = Study(dataclasses.replace(RULES, daily_cap=100), day_base=40)
    s.beat(0)
    assert s.beat(30).credit == 30
    assert s.beat(30).credit == 30  # 100 reached
    capped = s.beat(30)
    assert (capped.credit, capped.reason) == (0, Reason.DAILY_CAP)
    assert str(capped.message) == "今日学习时长已达上限，明天再学"
    # It stays capped (and says so) for the rest of the day.
    assert [(o.credit, o.reason) for o in (s.beat(30), s.beat(30), s.beat(30))] == [(0, Reason.DAILY_CAP)] * 3
    assert s.state.day_credit == 60


def test_daily_cap_partial_last_beat():
    s = Study(dataclasses.replace(RULES, daily_cap=100), day_base=90)
    s.beat(0)
    assert s.beat(30).credit == 10
    assert s.beat(30).reason == Reason.DAILY_CAP


def test_daily_cap_resets_at_midnight_in_shanghai_not_utc():
    start = dt.datetime(2026, 11, 10, 23, 59, 0, tzinfo=SHANGHAI)  # 15:59 UTC: still the 10th in UTC afterwards
    s = Study(dataclasses.replace(RULES, daily_cap=100), day_base=100, now=start)
    s.beat(0)
    assert s.beat(30).reason == Reason.DAILY_CAP  # 23:59:30
    after = s.beat(30)  # 00:00:00 on the 11th in Shanghai (16:00 UTC on the 10th)
    assert s.now.astimezone(dt.timezone.utc).date() == dt.date(2026, 11, 10)
    assert s.state.day == dt.date(2026, 11, 11) and s.state.day_base == 0
    assert after.reason == Reason.FIRST
    assert s.beat(30).credit == 30
    assert s.state.day_credit == 30


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_fractional_seconds_are_lost_over_many_beats(seed):
    rng = random.Random(seed)
    s = Study()
    s.beat(0)
    elapsed = 0.0
    for _ in range(500):
        gap = rng.uniform(20.0, 40.0)  # a phone timer jitters around 30 s
        elapsed += gap
        assert s.beat(gap).accepted
    assert s.state.credited == int(elapsed)


def test_fixed_fractional_interval_adds_up():
    s = Study()
    s.beat(0)
    for _ in range(100):
        s.beat(30.4)
    assert s.state.credited == 3040  # 100 × 30.4 s, nothing rounded away


def test_rules_come_from_the_settings(settings):
    settings.ANXUN_STUDY_HEARTBEAT_SECONDS = 10
    settings.ANXUN_STUDY_DAILY_CAP_MINUTES = 2
    rules = timing.Rules.from_settings()
    assert (rules.interval, rules.max_gap, rules.min_gap, rules.daily_cap) == (10, 25, 5, 120)


def test_messages_follow_the_active_language_though_kept_per_language():
    from django.utils import translation

    with translation.override("en"):
        assert timing.message_for(Reason.OK) == "Timing"
    with translation.override("zh-hans"):
        assert timing.message_for(Reason.OK) == "正在计时"
    with translation.override("en"):
        assert timing.Outcome(True, 0, Reason.OK, timing.State()).message == "Timing"
