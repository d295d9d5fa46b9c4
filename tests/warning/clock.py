"""Drive a warning study's clock as the study page's player does: start it,
then a heartbeat every interval (answering presence checks), so a test can
study for N minutes of the clock's time without waiting."""

import datetime as dt
import random

from django.utils import timezone

from courses import timing
from courses.warning import services


def run_clock(study, user, *, minutes: float, start: dt.datetime, interval: int | None = None, **beat):
    """Heartbeats from ``start`` for ``minutes`` of wall time; returns the reply of the last beat."""
    rules = timing.Rules.from_settings()
    step = dt.timedelta(seconds=interval or rules.interval)
    rng = random.Random(18)
    token = services.study_clock_start(study=study, user=user, now=start, rng=rng)["token"]
    now, seq, nonce, reply = start, 0, "", None
    end = start + dt.timedelta(minutes=minutes)
    while True:
        seq += 1
        reply = services.study_heartbeat(study=study, user=user, token=token, now=now, rng=rng,
                                         beat=timing.Beat(seq=seq, presence_nonce=nonce, **beat))
        nonce = (reply["presence"] or {}).get("nonce", "")
        if now >= end:
            return reply
        now = min(end, now + step)


def studied(campaign, user, minutes: float = 30):
    """The user's study of ``campaign``, opened and studied ``minutes`` on the clock, ending now."""
    start = timezone.now() - dt.timedelta(minutes=minutes)
    study = services.study_open(campaign=campaign, user=user, now=start - dt.timedelta(seconds=5))
    run_clock(study, user, minutes=minutes, start=start)
    study.refresh_from_db()
    return study
