"""python -m bench.seed.heartbeat_verify --log REQUESTS.jsonl --interval S

Checks the database after a heartbeat load run (bench/heartbeat.py) against
the load generator's per-request log (one JSON line per request: ``u``, ``s``,
``ok``, ``st``, ``err``, ``lat_ms``, ``vars``). Prints one JSON line, the last
line of output, as the floor driver expects: ``{"lost": n, "duplicated": n, …}``.

The generator sends learner u's beats with sequence numbers 1, 2, 3 … (its
counter + 1) ``--interval`` seconds apart on its schedule, and the server
accepts only the next number, so a session whose ``seq`` is j has applied
beats 1…j in order. For each study session:

- every acknowledged (2xx) beat must be among 1…j, none acknowledged twice,
  and each of 1…j must have been sent and not cleanly refused (4xx);
- the credit: the first beat starts the clock and every gap is credited in
  whole seconds with the anchor moving by exactly that much, so the credit of
  beats 1…m is ⌊t_m − t_1⌋, t being when the server handled a beat — between
  its scheduled send time and its reply (``lat_ms``); m is j, or earlier when
  beat j may have come under ``min_gap`` after beat j−1 (its time is then held
  for the next beat). The session's ``credited`` must lie in that window and
  the lesson progress's ``seconds`` must equal it. A session with a beat that
  was applied although its reply was lost (timeout, 5xx, reset) is
  ``ambiguous``: when the server handled it is unknown, so its credit is only
  checked against the rules' cap ((j − 1) × (interval + slack)).

- ``lost``: sessions whose ``seq`` is behind an acknowledged beat, whose
  credit is below the window, or whose progress holds fewer seconds;
- ``duplicated``: a beat acknowledged twice, ``seq`` ahead of what was sent
  or past a refused beat, credit above the window (or the cap), or progress
  holding more seconds than the session credited;
- ``phantom``: sessions of the bench lesson that nobody sent a beat to but
  that moved.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.models import StudySession

from bench.seed.heartbeat_seed import bench_lesson


def _maybe_written(rec) -> bool:
    # A 4xx is a clean refusal; anything else that is not a 2xx may have committed.
    st = rec.get("st")
    return not rec["ok"] and not (st is not None and 400 <= st < 500)


class Command(BaseCommand):
    help = "核对心跳压测后的数据库：已确认的心跳计时一秒不少、序号不重复（输出一行 JSON）。"

    def add_arguments(self, parser):
        parser.add_argument("--log", required=True, help="负载生成器的请求日志（JSON lines）")
        parser.add_argument("--interval", type=float, default=None,
                            help="生成器的心跳间隔（秒，默认为 ANXUN_STUDY_HEARTBEAT_SECONDS）")

    def handle(self, *args, log, interval, **options):
        lesson = bench_lesson()
        if lesson is None:
            raise CommandError("没有压测课时：请先运行 python -m bench.seed.heartbeat_seed")
        interval = float(interval or settings.ANXUN_STUDY_HEARTBEAT_SECONDS)
        min_gap = max(1.0, settings.ANXUN_STUDY_HEARTBEAT_SECONDS / 2)
        max_gap = settings.ANXUN_STUDY_HEARTBEAT_SECONDS + settings.ANXUN_STUDY_HEARTBEAT_SLACK_SECONDS
        by_session = defaultdict(list)
        recs = 0
        statuses = Counter()
        with open(log, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    recs += 1
                    statuses[str(r["st"])] += 1
                    by_session[int(r["vars"]["session_id"])].append(r)
        sessions = {
            s["id"]: s
            for s in StudySession.objects.filter(progress__lesson=lesson).values(
                "id", "seq", "credited", "status", "progress__seconds"
            )
        }
        lost = duplicated = phantom = ambiguous = acked = 0
        credited_total = expected_min = expected_max = 0
        examples = []

        def bad(kind, sid, **info):
            if len(examples) < 8:
                examples.append({"problem": kind, "session": sid, **info})

        for sid, s in sessions.items():
            rs = sorted(by_session.get(sid, []), key=lambda r: r["s"])
            credited_total += s["credited"]
            if s["progress__seconds"] != s["credited"]:
                if s["progress__seconds"] < s["credited"]:
                    lost += 1
                    bad("progress_behind", sid, progress=s["progress__seconds"], credited=s["credited"])
                else:
                    duplicated += 1
                    bad("progress_ahead", sid, progress=s["progress__seconds"], credited=s["credited"])
                continue
            if not rs:
                if s["seq"] or s["credited"]:
                    phantom += 1
                    bad("phantom", sid, seq=s["seq"], credited=s["credited"])
                continue
            by_beat = defaultdict(list)  # beat number (the generator's counter + 1) → its requests
            for r in rs:
                by_beat[r["s"] + 1].append(r)
            oks = [n for n, group in by_beat.items() if any(r["ok"] for r in group)]
            acked += sum(1 for r in rs if r["ok"])
            if any(sum(1 for r in group if r["ok"]) > 1 for group in by_beat.values()):
                duplicated += 1
                bad("acked_twice", sid)
                continue
            j = s["seq"]  # the server accepts only the next number: beats 1…j were applied, in order
            if oks and max(oks) > j:
                lost += 1
                bad("seq_behind", sid, seq=j, acked=max(oks))
                continue
            unsent = [n for n in range(1, j + 1) if n not in by_beat]
            refused = [n for n in range(1, j + 1) if n in by_beat and not any(
                r["ok"] or _maybe_written(r) for r in by_beat[n])]
            if unsent or refused:
                duplicated += 1
                bad("seq_ahead", sid, seq=j, unsent=unsent[:5], refused=refused[:5])
                continue
            if j == 0:
                if s["credited"]:
                    duplicated += 1
                    bad("credit_extra", sid, credited=s["credited"], seq=0)
                continue
            if any(not any(r["ok"] for r in by_beat[n]) for n in range(1, j + 1)):
                # A beat the server applied without the generator seeing the reply (timeout, 5xx):
                # when it was handled is unknown, so only the rules' own cap bounds the credit.
                ambiguous += 1
                if s["credited"] > (j - 1) * max_gap:
                    duplicated += 1
                    bad("credit_extra", sid, credited=s["credited"], cap=(j - 1) * max_gap, seq=j)
                continue
            lat = {n: min(r["lat_ms"] for r in by_beat[n] if r["ok"]) / 1000.0 for n in range(1, j + 1)}
            sched = {n: (n - 1) * interval for n in range(1, j + 1)}  # relative to beat 1's schedule
            # The credit of beats 1…m is floor(t_m - t_1) (t: when the server handled the beat,
            # between its schedule and its reply), m being the last beat that was not under
            # min_gap after the one before (such a beat's time is held for the next one).
            m = j
            while m >= 2 and sched[m] - (sched[m - 1] + lat[m - 1]) < min_gap:
                m -= 1
            lo = max(0, math.floor(sched[m] - lat[1]))
            hi = max(0, math.floor(sched[j] + lat[j]))
            expected_min += lo
            expected_max += hi
            if s["credited"] < lo:
                lost += 1
                bad("credit_short", sid, credited=s["credited"], window=[lo, hi], seq=j)
            elif s["credited"] > hi:
                duplicated += 1
                bad("credit_extra", sid, credited=s["credited"], window=[lo, hi], seq=j)
        unknown = sorted(set(by_session) - set(sessions))
        out = {
            "kind": "study-heartbeat",
            "requests": recs,
            "acked_requests": acked,
            "sessions": len(sessions),
            "sessions_sent_to": len(by_session),
            "unknown_sessions": len(unknown),
            "credited_seconds": credited_total,
            "expected_seconds": [expected_min, expected_max],
            "lost": lost,
            "duplicated": duplicated,
            "phantom": phantom,
            "ambiguous": ambiguous,
            "status_counts": dict(sorted(statuses.items())),
            "examples": examples,
        }
        out["ok"] = not (lost or duplicated or phantom or unknown)
        self.stdout.write(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    from bench.seed import main

    main(Command, "bench.seed.heartbeat_verify")
