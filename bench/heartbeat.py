"""Benchmark: the study heartbeat (POST /learn/heartbeat/) under load — the real
app on gunicorn + PostgreSQL, measured against the floor's heartbeat
(/work/shared/perf/floor) in the same run.

    .venv/bin/python bench/heartbeat.py [--learners 400] [--interval 2] [--steps 300,400,500,600]
                                        [--max-rate 600] [--slo-p95-ms 100] [--duration 30]
                                        [--db anxun_hbbench] [--floor-db anxun_hbfloor] [--json-out PATH]

What it does, all on this machine (the structure of bench/exam_load.py, whose
helpers it reuses):

1. drops and creates two PostgreSQL databases on 127.0.0.1:5432 — the app's
   and the floor's — and migrates the app's;
2. starts gunicorn with the real app and production settings (DEBUG off,
   persistent connections with health checks, the full middleware stack,
   CSRF; ``--cache-url`` is Redis, so sessions are ``cached_db`` and the
   logged-in user is cached as in production — lms/settings/caching.py —
   and that Redis database is emptied first: user ids repeat across runs),
   5 sync workers like the floor, with a
   heartbeat interval of ``--interval`` s (``ANXUN_STUDY_HEARTBEAT_SECONDS``;
   the server credits only gaps of at least half of it, so a beat every
   ``--interval`` s per learner is the normal rhythm) and presence checks a
   day away (``ANXUN_STUDY_PRESENCE_*``: the generator cannot answer them);
3. runs the floor driver (``run_floor.py --endpoints heartbeat --compare …``):
   a baseline of ``--learners`` learners each beating once per interval
   (400 / 2 s = 200 req/s, the issue's target), then a step test, floor and
   app interleaved at the same rates, with the heartbeat's SLO (P95 ≤
   ``--slo-p95-ms``). Before every app run ``python -m bench.seed.heartbeat_seed``
   logs the learners in and opens one live study session each through
   ``courses.services.study_start``; after it ``python -m
   bench.seed.heartbeat_verify`` checks every session against the request log:
   the accepted sequence numbers are 1…k in order, and the credited seconds
   (session and lesson progress) are exactly what the applied beats earn.

The generator's per-user counter ``seq`` starts at 0 and the server wants
1, 2, 3 …: the spec sends loadgen's ``{question}`` variable, which with
``dwell`` 1 and a question count larger than any run is ``seq + 1``
(:func:`beat_number`). Each learner's beats are ``--interval`` s apart on the
generator's schedule and, the interval being far above the latency, arrive in
order; a beat lost to a timeout makes the learner's later beats replays
(409), which count as errors.

Target (issue 4): ≥ 200 req/s with P95 ≤ 100 ms and no lost credit; app at
≥ 2/3 of the floor's sustainable rate. Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.exam_load import (  # noqa: E402
    TARGET_RATIO,
    App,
    Sampler,
    add_server_options,
    machine,
    prepare,
    recreate_database,
    report_driver,
    report_machine,
    run_driver,
)

TARGET_RPS = 200.0
TARGET_P95_MS = 100.0
# loadgen.py: question = 1 + (seq // dwell) % questions, i.e. seq + 1 for any run shorter than this.
SPEC_DWELL = 1
SPEC_QUESTIONS = 10**9


def log(*parts):
    print("[heartbeat]", *parts, file=sys.stderr, flush=True)


def beat_number(seq: int) -> int:
    """The sequence number the spec sends for the generator's counter ``seq``."""
    return 1 + (seq // SPEC_DWELL) % SPEC_QUESTIONS


def load_snapshot() -> dict:
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    return {"at": time.strftime("%H:%M:%S"), "uptime": out(["uptime"]), "vmstat": out(["vmstat", "1", "3"])}


class HeartbeatApp(App):
    probe_path = "/learn/heartbeat/"  # 405 to a GET: a worker is up

    def __init__(self, args, workdir: Path):
        super().__init__(args, workdir)
        self.env.update({
            "ANXUN_STUDY_HEARTBEAT_SECONDS": str(int(args.interval)),
            "ANXUN_STUDY_PRESENCE_MIN_SECONDS": "86400",
            "ANXUN_STUDY_PRESENCE_MAX_SECONDS": "86460",
        })

    def seed(self, users: int) -> dict:
        self.python("-m", "bench.seed.heartbeat_seed", "--learners", str(users), "--fleet", str(self.fleet))
        return json.loads(self.fleet.read_text())

    def heartbeat_spec(self) -> dict:
        origin = f"https://127.0.0.1:{self.port}"
        return {
            "name": "app-heartbeat",
            "base_url": f"http://127.0.0.1:{self.port}",
            "method": "POST",
            "url": "/learn/heartbeat/",
            "headers": {
                "Cookie": "sessionid={sessionid}; csrftoken={csrftoken}",
                "X-CSRFToken": "{csrftoken}",
                "Referer": origin + "/learn/",
                "X-Forwarded-Proto": "https",
            },
            # The player's beat: a text lesson, page visible, input just now.
            "json": {"token": "{token}", "seq": "{question}", "visible": True, "playing": False, "idle": 0},
            "fleet": str(self.fleet),
            "fleet_key": "learners",
            "questions": SPEC_QUESTIONS,
            "dwell": SPEC_DWELL,
            "expect": [200],
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_options(ap, db="anxun_hbbench", floor_db="anxun_hbfloor", redis_db=13)
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    ap.add_argument("--learners", type=int, default=400, help="learners at the baseline (one beat each per interval)")
    ap.add_argument("--interval", type=int, default=2, help="s between one learner's heartbeats")
    ap.add_argument("--duration", type=float, default=30.0, help="s per run")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--steps", default="300,400,500,600")
    ap.add_argument("--max-rate", type=float, default=600)
    ap.add_argument("--refine", type=int, default=1)
    ap.add_argument("--slo-p95-ms", type=float, default=TARGET_P95_MS)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()

    workdir = prepare(args, "heartbeat")
    summary: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), "workdir": str(workdir)}
    summary["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "json_out"}
    summary["load_before"] = load_snapshot()
    log("machine:", json.dumps(summary["machine"], ensure_ascii=False))
    log("load:", summary["load_before"]["uptime"])
    sampler = Sampler([args.db, args.floor_db])
    sampler.start()
    app = HeartbeatApp(args, workdir)
    try:
        for name in (args.db, args.floor_db):
            recreate_database(name)
        t0 = time.perf_counter()
        app.manage("migrate", "--noinput")
        log(f"migrated {args.db} in {time.perf_counter() - t0:.0f} s")
        # The bench's own cache database: a previous run's cached users and roles have the same ids.
        app.manage("shell", "-c", "from django.core.cache import cache; cache.clear()")
        t0 = time.perf_counter()
        app.seed(args.learners)
        log(f"first seed ({args.learners} learners) in {time.perf_counter() - t0:.1f} s")
        app.start()
        sampler.roots = [app.proc.pid]
        target = {
            "name": "app-heartbeat",
            "floor": "heartbeat",
            "spec": app.heartbeat_spec(),
            "reset_cmd": app.python_cmd("-m", "bench.seed.heartbeat_seed", "--learners", "{users}",
                                        "--fleet", str(app.fleet)),
            "verify_cmd": app.python_cmd("-m", "bench.seed.heartbeat_verify", "--log", "{log}", "--interval",
                                         str(args.interval)),
            "cpu_pids": [app.proc.pid],
        }
        summary["driver"] = run_driver(args, sampler, workdir, endpoint="heartbeat", target=target,
                                       baseline_users=args.learners, extra=("--slo-p95-ms", str(args.slo_p95_ms)))
    finally:
        app.stop()
        sampler.stop_event.set()
    summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    summary["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    summary["load_after"] = load_snapshot()
    failures: list[str] = []
    report(summary, args, failures)
    summary["failures"] = failures
    path = args.json_out or workdir.with_suffix(".json")
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log(f"summary: {path}")
    return 1 if failures else 0


def report(summary: dict, args, failures: list[str]) -> None:
    report_machine(summary)
    app, ratio = report_driver(summary["driver"], "floor-heartbeat", "app-heartbeat", args.slo_p95_ms)
    passed_rates = [s["target_rps"] for s in [app["baseline"], *app["steps"]] if s["pass"]]
    if not passed_rates or max(passed_rates) < TARGET_RPS:
        failures.append(f"no app run at ≥ {TARGET_RPS:.0f} req/s passed (P95 ≤ {args.slo_p95_ms} ms)")
    if not ratio or ratio < TARGET_RATIO:
        failures.append(f"sustainable rate app/floor {ratio} < {TARGET_RATIO:.2f}")
    for s in [app["baseline"], *app["steps"]]:
        v = s.get("verify", {})
        if v.get("lost") or v.get("duplicated") or v.get("phantom") or not v.get("ok", False):
            failures.append(f"{s['target_rps']} req/s: lost {v.get('lost')}, duplicated {v.get('duplicated')}, "
                            f"phantom {v.get('phantom')}")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("all targets met")


if __name__ == "__main__":
    sys.exit(main())
