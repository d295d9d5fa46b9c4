"""Every rule of online study time, in one place.

The player sends a heartbeat every ``interval`` seconds while the page is
visible; the server decides here how many seconds the gap since the previous
heartbeat earns. Pure functions over plain values, with the clock (``now``)
and the randomness (``rng``) passed in, so the tests control both.

The rules (each one a reason code the player can show):

- ``replay``: a heartbeat's sequence number must be exactly one more than
  the last accepted one; a repeated or out-of-order heartbeat is refused and
  changes nothing.
- Time is credited only *between two consecutive valid heartbeats*: the
  previous one and this one must both be "counting" (page visible, not idle,
  media playing while the video is not yet watched, presence check not
  overdue, no seek ahead).
- ``gap``: a gap longer than ``interval + slack`` earns nothing (the tab
  slept, the network dropped, someone replays old requests) — the clock just
  restarts.
- ``too_fast``: a heartbeat sooner than ``min_gap`` after the last counted
  one earns nothing *now*; its time is earned by the next regular heartbeat
  (the anchor does not move), so a fast client gains nothing and loses nothing.
- ``seek``: the watched position may grow only by about the wall time since
  the last beat (``rate`` × gap + ``tolerance``, for a gap within
  ``interval + slack``), and only while the clock counts. A jump past what
  was watched earns nothing and the player is told to go back.
- ``idle``: no keyboard, pointer or touch input for ``idle`` seconds.
- ``presence``: at a random moment (server-chosen, between ``presence_min``
  and ``presence_max`` seconds after the previous check) the next heartbeat
  carries a prompt; it must be answered within ``presence_answer`` seconds,
  otherwise the clock stops until it is answered.
- ``daily_cap``: no more than ``daily_cap`` seconds per person and day
  (Asia/Shanghai days); once reached, every beat that day says so.
- One live session per person is enforced by the database and the services
  (courses.services), not here: a superseded session's heartbeats are
  refused before these rules run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Reason:
    OK = "ok"
    FIRST = "first"
    REPLAY = "replay"
    GAP = "gap"
    TOO_FAST = "too_fast"
    HIDDEN = "hidden"
    PAUSED = "paused"
    IDLE = "idle"
    PRESENCE = "presence"
    SEEK = "seek"
    DAILY_CAP = "daily_cap"


MESSAGES = {
    Reason.OK: _("正在计时"),
    Reason.FIRST: _("开始计时"),
    Reason.REPLAY: _("重复或过期的心跳，不计时"),
    Reason.GAP: _("与上次心跳间隔过长，重新开始计时"),
    Reason.TOO_FAST: _("心跳过于频繁，本次不计时"),
    Reason.HIDDEN: _("页面不在前台，暂停计时"),
    Reason.PAUSED: _("视频未播放，暂停计时"),
    Reason.IDLE: _("长时间无操作，暂停计时"),
    Reason.PRESENCE: _("未及时确认在学，暂停计时，请点击“继续学习”"),
    Reason.SEEK: _("不能跳过未观看的内容，已退回到已观看的位置"),
    Reason.DAILY_CAP: _("今日学习时长已达上限，明天再学"),
}


@dataclass(frozen=True)
class Rules:
    interval: int = 30
    slack: int = 15
    idle: int = 600
    presence_min: int = 300
    presence_max: int = 1200
    presence_answer: int = 60
    daily_cap: int = 8 * 3600
    rate: float = 1.1  # how much faster than wall time the watched position may grow
    tolerance: float = 2.0  # seconds of media position jitter allowed per heartbeat

    @classmethod
    def from_settings(cls) -> Rules:
        return cls(
            interval=settings.ANXUN_STUDY_HEARTBEAT_SECONDS,
            slack=settings.ANXUN_STUDY_HEARTBEAT_SLACK_SECONDS,
            idle=settings.ANXUN_STUDY_IDLE_SECONDS,
            presence_min=settings.ANXUN_STUDY_PRESENCE_MIN_SECONDS,
            presence_max=settings.ANXUN_STUDY_PRESENCE_MAX_SECONDS,
            presence_answer=settings.ANXUN_STUDY_PRESENCE_ANSWER_SECONDS,
            daily_cap=settings.ANXUN_STUDY_DAILY_CAP_MINUTES * 60,
        )

    @property
    def max_gap(self) -> float:
        return self.interval + self.slack

    @property
    def min_gap(self) -> float:
        # Half the interval: the watched position's tolerance is per
        # heartbeat, so heartbeats must not come arbitrarily fast.
        return max(1.0, self.interval / 2)


@dataclass
class State:
    """What the server keeps per study session between heartbeats."""

    seq: int = 0
    last_beat_at: dt.datetime | None = None  # the anchor the next gap is measured from
    counting: bool = False
    last_activity_at: dt.datetime | None = None
    max_position: float = 0.0
    media_seconds: float = 0.0
    presence_due_at: dt.datetime | None = None
    presence_nonce: str = ""
    presence_deadline: dt.datetime | None = None
    day: dt.date | None = None
    day_base: int = 0
    day_credit: int = 0
    credited: int = 0
    last_reason: str = ""

    FIELDS = (
        "seq", "last_beat_at", "counting", "last_activity_at", "max_position", "media_seconds", "presence_due_at",
        "presence_nonce", "presence_deadline", "day", "day_base", "day_credit", "credited", "last_reason",
    )

    @classmethod
    def of(cls, obj) -> State:
        return cls(**{name: getattr(obj, name) for name in cls.FIELDS})

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.FIELDS}

    @property
    def media_watched(self) -> bool:
        return self.media_seconds <= 0 or self.max_position >= self.media_seconds - 2.0


@dataclass(frozen=True)
class Beat:
    """What the player reports."""

    seq: int
    visible: bool = True
    playing: bool = False
    position: float | None = None  # media position, seconds
    duration: float | None = None  # media duration as the browser sees it
    idle_seconds: float = 0.0  # since the last keyboard/pointer/touch input
    presence_nonce: str = ""  # the answer to a presence prompt


@dataclass
class Outcome:
    accepted: bool
    credit: int
    reason: str
    state: State
    prompt: tuple[str, dt.datetime] | None = None
    seek_back_to: float | None = None

    @property
    def message(self) -> str:
        return message_for(self.reason)


_translated: dict[tuple[str | None, str], str] = {}


def message_for(reason: str) -> str:
    """MESSAGES[reason] in the active language (every heartbeat shows one;
    translating it afresh each time cost more than the timing rules)."""
    key = (translation.get_language(), reason)
    text = _translated.get(key)
    if text is None:
        text = _translated[key] = str(MESSAGES[reason])
    return text


def _local_day(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


def _next_presence(now: dt.datetime, rules: Rules, rng: random.Random) -> dt.datetime:
    return now + dt.timedelta(seconds=rng.uniform(rules.presence_min, rules.presence_max))


def start(*, now: dt.datetime, day_base: int, max_position: float, media_seconds: float, rules: Rules,
          rng: random.Random) -> State:
    """The state of a new session. ``day_base``: seconds already credited to
    the person today; ``max_position``: what earlier sessions watched."""
    return State(
        max_position=max_position,
        media_seconds=media_seconds,
        presence_due_at=_next_presence(now, rules, rng),
        day=_local_day(now),
        day_base=day_base,
        last_activity_at=now,
    )


def beat(state: State, b: Beat, *, now: dt.datetime, rules: Rules, has_media: bool, rng: random.Random) -> Outcome:
    """Apply one heartbeat to ``state``; returns the new state and the seconds earned."""
    if b.seq != state.seq + 1:
        return Outcome(False, 0, Reason.REPLAY, state)
    s = dataclasses.replace(state, seq=b.seq)
    if s.day != _local_day(now):
        # A new day: only this session can be live, so nothing else counts yet.
        s.day, s.day_base, s.day_credit = _local_day(now), 0, 0
    if has_media and s.media_seconds <= 0 and b.duration and math.isfinite(b.duration) and b.duration > 0:
        # The editor did not enter the video's duration: take the browser's,
        # once, for this session.
        s.media_seconds = float(b.duration)

    # Presence check: an answer clears it; a due check is asked now.
    if s.presence_nonce and b.presence_nonce and secrets.compare_digest(
        b.presence_nonce.encode(), s.presence_nonce.encode()  # bytes: a non-ASCII answer is wrong, not an error
    ):
        s.presence_nonce, s.presence_deadline = "", None
        s.presence_due_at = _next_presence(now, rules, rng)
        s.last_activity_at = now
    elif not s.presence_nonce and s.presence_due_at is not None and now >= s.presence_due_at:
        s.presence_nonce = "%032x" % rng.getrandbits(128)
        s.presence_deadline = now + dt.timedelta(seconds=rules.presence_answer)
    prompt = (s.presence_nonce, s.presence_deadline) if s.presence_nonce else None

    idle = max(0.0, float(b.idle_seconds or 0))
    if idle < rules.idle:
        s.last_activity_at = max(s.last_activity_at or now, now - dt.timedelta(seconds=idle))

    # Is the learner studying right now? (At the cap the clock stays stopped
    # for the rest of the day, and says so at every beat.)
    if s.day_base + s.day_credit >= rules.daily_cap:
        reason = Reason.DAILY_CAP
    elif not b.visible:
        reason = Reason.HIDDEN
    elif idle >= rules.idle:
        reason = Reason.IDLE
    elif s.presence_nonce and now > s.presence_deadline:
        reason = Reason.PRESENCE
    elif has_media and not s.media_watched and not b.playing:
        reason = Reason.PAUSED
    else:
        reason = Reason.OK
    counting_now = reason == Reason.OK

    gap = None if s.last_beat_at is None else (now - s.last_beat_at).total_seconds()
    if counting_now and s.counting and gap is not None and 0 <= gap < rules.min_gap:
        # Too soon (e.g. the beat that answers a presence check): keep the
        # anchor; the next regular heartbeat earns this time. A beat that
        # stops the clock (hidden, idle…) is never "too soon".
        s.last_reason = Reason.TOO_FAST
        return Outcome(True, 0, Reason.TOO_FAST, s, prompt)

    interval_ok = gap is not None and 0 <= gap <= rules.max_gap
    creditable = counting_now and s.counting and interval_ok

    seek_back_to = None
    if has_media and b.position is not None and math.isfinite(b.position):
        position = max(0.0, float(b.position))
        # The video may have played on since the last beat even when that
        # beat did not count (paused, idle, sent back after a seek): allow
        # the wall time of any regular gap, or the learner would be sent back
        # again at every beat. What played while not counting is not watched.
        bound = s.max_position + (gap * rules.rate if interval_ok else 0.0) + rules.tolerance
        if position > bound:
            reason, counting_now, creditable = Reason.SEEK, False, False
            seek_back_to = s.max_position
        elif counting_now:
            s.max_position = max(s.max_position, position)

    credit = 0
    if creditable:
        room = max(0, rules.daily_cap - (s.day_base + s.day_credit))
        whole = int(gap)  # whole seconds; the anchor moves by exactly that, so no fraction is lost
        credit = min(whole, room)
        if room <= 0:
            reason, counting_now = Reason.DAILY_CAP, False
        s.day_credit += credit
        s.credited += credit
        s.last_beat_at = s.last_beat_at + dt.timedelta(seconds=whole)
    else:
        if counting_now:
            reason = Reason.GAP if (s.counting and gap is not None and not interval_ok) else Reason.FIRST
        s.last_beat_at = now
    s.counting = counting_now
    s.last_reason = reason
    return Outcome(True, credit, reason, s, prompt, seek_back_to)


def system_rng() -> random.Random:
    """Randomness for production: presence checks the client cannot predict."""
    return random.SystemRandom()
