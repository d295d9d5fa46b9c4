"""Benchmark: exam autosave under load — the real app on gunicorn + PostgreSQL,
measured against the floor (/work/shared/perf/floor) in the same run.

    .venv/bin/python bench/exam_load.py [--duration 30] [--steps 100,200,400] [--max-rate 400]
                                        [--users 500] [--questions 60] [--journey-duration 30]
                                        [--db anxun_h2bench] [--floor-db anxun_h2floor] [--json-out PATH]

What it does, all on this machine:

1. drops and creates two PostgreSQL databases on 127.0.0.1:5432 — the app's
   (``--db``) and the floor's (``--floor-db``, passed to the floor driver with
   ``--database-url``) — and migrates the app's;
2. starts gunicorn with the real app, production settings
   (``lms.settings.production``: DEBUG off, persistent connections with health
   checks, the full middleware stack, CSRF, sessions in the database), the same
   worker count and class as the floor (5 sync workers), on a free port; the
   generator talks plain HTTP and sends ``X-Forwarded-Proto: https`` as the
   TLS-terminating proxy would, so the HTTPS CSRF checks (Referer) run;
3. runs the floor driver (``run_floor.py --endpoints autosave --compare …``):
   a baseline of ``--users`` examinees each autosaving once per 10 s (500 →
   50 req/s), then a step test, floor and app interleaved at the same rates.
   Before every app run ``python -m bench.seed.exam_seed`` makes the examinees
   (logged-in sessions + CSRF secret), one exam on a fixed paper of
   ``--questions`` fill-in questions and one attempt in progress each; after
   it ``python -m bench.seed.exam_verify`` checks every acknowledged answer against
   the database (lost / duplicated / phantom);
4. the journey: reseeds ``--users`` examinees, autosaves at the baseline rate
   for ``--journey-duration`` s, verifies, then every examinee submits — twice,
   10 s apart (a replayed request) — and ``bench.seed.exam_verify --submitted``
   checks that every attempt was graded exactly once with one training record
   and that the answers it graded are the ones acknowledged.

Prints the baseline latency (P50/P95/P99 from the scheduled send time), the
step test's maximum sustainable rate (P95 ≤ 150 ms, ≥ 95 % achieved, ≤ 0.1 %
errors), app/floor ratios, the CPU split the driver measures (generator,
floor gunicorn, app gunicorn) plus the CPU of the PostgreSQL backends of each
database, and the load average sampled through the run. Target: app at ≥ 2/3
of the floor's sustainable rate, autosave P95 ≤ 150 ms at the baseline, zero
lost or duplicated answers. Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DEFAULT_FLOOR = Path(os.environ.get("FLOOR_DIR", str(ROOT.parent / "shared" / "perf" / "floor")))
if not DEFAULT_FLOOR.exists():
    DEFAULT_FLOOR = Path("/work/shared/perf/floor")
PG = "postgres://postgres@127.0.0.1:5432"
CLK = os.sysconf("SC_CLK_TCK")

# bench.seed.exam_seed's question ids are 1…Q: the generator's question number n is sent as the JSON
# integer n (tests/exams/test_bench_commands.py checks this equals bench.seed.exam_seed.question_id_template()).
QUESTION_ID_TEMPLATE = "{question}"
TARGET_RATIO = 2 / 3  # app's sustainable rate / floor's
TARGET_P95_MS = 150.0

sys.path.insert(0, str(ROOT))

from bench.workdir import add_option as add_work_dir_option, out  # noqa: E402


def log(*parts):
    print("[exam-load]", *parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(cmd: list[str], **kw) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


def add_server_options(ap: argparse.ArgumentParser, *, db: str, floor_db: str, redis_db: int) -> None:
    """The options both load benchmarks share: databases, floor, Redis, work folder."""
    ap.add_argument("--db", default=db, help="the app's PostgreSQL database (dropped and created)")
    ap.add_argument("--floor-db", default=floor_db, help="the floor's database (dropped and created)")
    ap.add_argument("--floor-dir", type=Path, default=DEFAULT_FLOOR)
    ap.add_argument("--floor-python", default="",
                    help="the floor's Python (default: a virtualenv in the work folder, made on first use "
                         "from the floor's requirements.txt)")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="the Redis server of the app's cache")
    ap.add_argument("--redis-db", type=int, default=redis_db,
                    help=f"the Redis database number of the app's cache (default {redis_db})")
    add_work_dir_option(ap)


def prepare(args, name: str) -> Path:
    """Fill in the derived options (cache URL, floor Python, made if missing)
    and make this run's folder ``<work folder>/<name>-<time>``."""
    args.cache_url = f"{args.redis_url.rstrip('/')}/{args.redis_db}"
    if not args.floor_python:
        venv = out() / "floorvenv"
        args.floor_python = str(venv / "bin" / "python")
        if not Path(args.floor_python).exists():
            log(f"making the floor's virtualenv in {venv}")
            sh([sys.executable, "-m", "venv", str(venv)])
            sh([args.floor_python, "-m", "pip", "install", "--quiet", "-r", str(args.floor_dir / "requirements.txt")])
    workdir = out() / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    workdir.mkdir(parents=True)
    (workdir / "static").mkdir()
    return workdir


def recreate_database(name: str) -> None:
    sh(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
        "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', "-c", f'CREATE DATABASE "{name}"'])


# --- CPU and load sampling -------------------------------------------------------------------


def _proc_stat(pid: int):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            raw = fh.read()
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    rest = raw[raw.rfind(")") + 2:].split()
    return cmdline, int(rest[11]) + int(rest[12])


def tree_ticks(roots: list[int]) -> int:
    """utime+stime of ``roots`` and their live descendants (gunicorn master + workers)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                raw = fh.read()
        except OSError:
            continue
        rest = raw[raw.rfind(")") + 2:].split()
        parents[int(name)], ticks[int(name)] = int(rest[1]), int(rest[11]) + int(rest[12])
    total, stack, seen = 0, [p for p in roots if p in ticks], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += ticks[pid]
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total


class Sampler(threading.Thread):
    """Every second: the load average, and the CPU ticks of the PostgreSQL
    backends serving each of ``databases`` (per pid, so backends that end
    between samples still count up to their last sample)."""

    def __init__(self, databases: list[str]):
        super().__init__(daemon=True)
        self.databases = databases
        self.roots: list[int] = []  # process trees whose CPU marks record (the app's gunicorn)
        self.loads: list[tuple[float, float]] = []
        self.ticks: dict[str, dict[int, int]] = {db: {} for db in databases}
        self.stop_event = threading.Event()
        self.marks: list[tuple[str, float, dict[str, int]]] = []

    def _sample(self):
        self.loads.append((time.time(), os.getloadavg()[0]))
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            info = _proc_stat(int(name))
            if info is None or not info[0].startswith("postgres: "):
                continue
            for db in self.databases:
                if f" {db} " in info[0]:
                    self.ticks[db][int(name)] = info[1]

    def total(self) -> dict[str, int]:
        return {db: sum(per.values()) for db, per in self.ticks.items()}

    def mark(self, label: str):
        self._sample()
        self.marks.append((label, time.time(), {**self.total(), "_app": tree_ticks(self.roots)}))

    def run(self):
        while not self.stop_event.wait(1.0):
            self._sample()

    def between(self, start: str, end: str) -> dict:
        (_a, t0, c0), (_b, t1, c1) = (next(m for m in self.marks if m[0] == label) for label in (start, end))
        wall = max(t1 - t0, 1e-6)
        loads = [value for t, value in self.loads if t0 <= t <= t1]
        return {
            "wall_s": round(wall, 1),
            "postgres_cpu_cores": {db: round((c1[db] - c0[db]) / CLK / wall, 3) for db in self.databases},
            "app_gunicorn_cpu_cores": round((c1["_app"] - c0["_app"]) / CLK / wall, 3),
            "load_avg_1m": {
                "min": min(loads, default=None),
                "mean": round(sum(loads) / len(loads), 2) if loads else None,
                "max": max(loads, default=None),
            },
        }


# --- the app under test ----------------------------------------------------------------------


class App:
    # Any HTTP answer from this path means a worker is up (405: the autosave URL wants POST).
    probe_path = "/exams/attempts/1/answer/"

    def __init__(self, args, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.port = free_port()
        self.env = {
            "DJANGO_SETTINGS_MODULE": "lms.settings.production",
            "DATABASE_URL": f"{PG}/{args.db}",
            "SECRET_KEY": secrets.token_urlsafe(48),
            # Fixed (bench data only): the bench database outlives one run.
            "ANXUN_PII_KEYS": "YW54dW4tYmVuY2gtcGlpLWtleS1ub3Qtc2VjcmV0LTA=",
            "ANXUN_PII_HASH_KEY": "anxun-bench-pii-hash-key-not-secret-0123456789",
            "ANXUN_ARCHIVE_MAC_KEYS": "b1:YW54dW4tYmVuY2gtYXJjaGl2ZS1tYWMta2V5LTAxMjM=",
            "ANXUN_ARCHIVE_SIGNING_KEY": "YW54dW4tYmVuY2gtc2lnbmluZy1rZXktbm90LXNlY3I=",
            "ANXUN_ARCHIVE_SIGNING_KEY_ID": "bench",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CACHE_URL": args.cache_url,
            "STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            "EMAIL_URL": "consolemail://",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.fleet = workdir / "fleet.json"
        self.proc = None

    def full_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
        return {**env, **self.env}

    def python_cmd(self, *args: str) -> str:
        """A shell command line (for the driver's reset/verify hooks) running the venv's python with the app's env."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        return f"cd {shlex.quote(str(ROOT))} && env {env} {shlex.quote(PY)} " + " ".join(shlex.quote(a) for a in args)

    def python(self, *args: str) -> str:
        return sh([PY, *args], cwd=ROOT, env=self.full_env())

    def manage(self, *args: str) -> str:
        return self.python("manage.py", *args)

    def seed(self, users: int) -> dict:
        self.python("-m", "bench.seed.exam_seed", "--users", str(users), "--fleet", str(self.fleet),
                    "--questions", str(self.args.questions))
        return json.loads(self.fleet.read_text())

    def verify(self, logpath: Path, *extra: str) -> dict:
        return json.loads(self.python("-m", "bench.seed.exam_verify", "--log", str(logpath), *extra).strip().splitlines()[-1])

    def start(self):
        a = self.args
        cmd = [
            GUNICORN, "lms.wsgi:application", "-c", "python:lms.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(a.workers),
            "--worker-class", "sync",
            "--timeout", "30", "--graceful-timeout", "5",
            "--backlog", "2048",
            "--error-logfile", str(self.workdir / "gunicorn.log"),
            "--log-level", "warning",
        ]
        log("starting:", " ".join(cmd[1:]))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.full_env(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{self.port}{self.probe_path}"
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.workdir / 'gunicorn.log'}")
            try:
                urllib.request.urlopen(urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"}),
                                       timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer in 30 s")
        for _ in range(4 * a.workers):  # let every worker import and connect once
            try:
                urllib.request.urlopen(url, timeout=5)
            except (urllib.error.HTTPError, OSError):
                pass
        log(f"app gunicorn pid {self.proc.pid} on port {self.port}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            log(f"app gunicorn pid {self.proc.pid} stopped")

    # --- target specs for the floor's load generator ---

    def _headers(self, extra=None) -> dict:
        origin = f"https://127.0.0.1:{self.port}"
        return {
            "Cookie": "sessionid={sessionid}; csrftoken={csrftoken}",
            "X-CSRFToken": "{csrftoken}",
            "Referer": origin + "/exams/attempts/{attempt_id}/",
            "X-Forwarded-Proto": "https",
            **(extra or {}),
        }

    def autosave_spec(self) -> dict:
        a = self.args
        return {
            "name": "app-exam-autosave",
            "base_url": f"http://127.0.0.1:{self.port}",
            "method": "POST",
            "url": "/exams/attempts/{attempt_id}/answer/",
            "headers": self._headers(),
            # The real page's request: the attempt token, the question id, one string per blank, and the
            # save's sequence number (the generator's per-user request counter: increasing per attempt).
            "json": {"token": "{token}", "question": QUESTION_ID_TEMPLATE, "response": ["{answer}"], "seq": "{seq}"},
            "fleet": str(self.fleet),
            "fleet_key": "examinees",
            "questions": a.questions,
            "dwell": a.dwell,
            "answer_bytes": a.answer_bytes,
            "expect": [200],
        }

    def submit_spec(self) -> dict:
        return {
            "name": "app-exam-submit",
            "base_url": f"http://127.0.0.1:{self.port}",
            "method": "POST",
            "url": "/exams/attempts/{attempt_id}/submit/",
            "headers": self._headers(
                {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
            ),
            "body": "token={token}",
            "fleet": str(self.fleet),
            "fleet_key": "examinees",
            "expect": [200],
        }


def loadgen(args, spec: dict, rate: float, duration: float, warmup: float, logpath: Path, out: Path) -> dict:
    cmd = [args.floor_python, str(args.floor_dir / "loadgen.py"), "--target", json.dumps(spec),
           "--rate", str(rate), "--interval", str(args.interval), "--duration", str(duration),
           "--warmup", str(warmup), "--timeout", "10", "--log", str(logpath), "--out", str(out)]
    sh(cmd)
    return json.loads(out.read_text())


def brief(s: dict) -> dict:
    keep = ("target_rps", "achieved_rps", "errors", "error_rate", "errors_by_kind", "latency_ms", "service_ms",
            "gen_cpu_cores", "gunicorn_cpu_cores", "app_cpu_cores", "verify", "pass")
    return {k: s[k] for k in keep if k in s}


def machine() -> dict:
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    commit = out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "exams", "bench", "exams/api.py"])
    return {
        "nproc": out(["nproc"]),
        "free": out(["free", "-h"]).splitlines()[1] if out(["free", "-h"]) else "",
        "python": platform.python_version(),
        "postgres": out(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"]),
        "commit": commit + (" (exams/bench changed since)" if dirty else ""),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def run_driver(args, sampler: Sampler, workdir: Path, *, endpoint: str, target: dict, baseline_users: int,
               extra: tuple[str, ...] = ()) -> dict:
    """Run the floor driver (``run_floor.py --compare``) on the floor's
    ``endpoint`` and the app's ``target``, interleaved; return its
    configuration, results and what the sampler saw meanwhile."""
    compare_path = workdir / "compare.json"
    # The driver formats reset/verify commands with str.format: keep the spec's braces out of them.
    compare_path.write_text(json.dumps({"targets": [target]}, ensure_ascii=False, indent=1))
    driver_out = workdir / "driver.json"
    cmd = [
        args.floor_python, str(args.floor_dir / "run_floor.py"),
        "--database-url", f"{PG}/{args.floor_db}",
        "--endpoints", endpoint,
        "--compare", str(compare_path),
        "--workers", str(args.workers), "--worker-class", "sync",
        "--baseline-users", str(baseline_users), "--interval", str(args.interval),
        "--duration", str(args.duration), "--warmup", str(args.warmup),
        "--steps", args.steps, "--max-rate", str(args.max_rate), "--refine", str(args.refine),
        *extra,
        "--workdir", str(workdir / "driver"), "--out", str(driver_out),
    ]
    log("driver:", " ".join(cmd[1:]))
    sampler.mark("driver-start")
    r = subprocess.run(cmd, cwd=args.floor_dir, stdout=subprocess.PIPE, text=True)
    sampler.mark("driver-end")
    if r.returncode != 0:
        raise RuntimeError(f"the floor driver failed (exit {r.returncode}); see {workdir / 'driver'}")
    driver = json.loads(driver_out.read_text())
    return {"config": driver.get("config"), "results": driver.get("results"),
            "sampled": sampler.between("driver-start", "driver-end")}


def lat(s: dict) -> str:
    m = s["latency_ms"]
    return f"P50 {m['p50']} / P95 {m['p95']} / P99 {m['p99']} ms"


def cpu(s: dict) -> str:
    who = f"app gunicorn {s['app_cpu_cores']}" if "app_cpu_cores" in s else f"floor gunicorn {s.get('gunicorn_cpu_cores')}"
    return f"cpu cores: gen {s.get('gen_cpu_cores')}, {who}"


def report_machine(summary: dict) -> None:
    m = summary["machine"]
    print(f"machine: {m['nproc']} CPU, {m['free']}, PostgreSQL {m['postgres']}, commit {m['commit']}")
    print(f"load average at start {m['load_avg_at_start']}, at end {m['load_avg_at_end']}")


def report_driver(driver: dict, floor_name: str, app_name: str, slo_p95_ms: float) -> tuple[dict, float | None]:
    """Print every floor and app run of the driver and the app/floor ratios;
    return the app's results and its sustainable rate over the floor's."""
    floor, app = driver["results"][floor_name], driver["results"][app_name]
    for name, res in (("floor", floor), ("app", app)):
        for label, s in [("baseline", res["baseline"]), *(("step", s) for s in res["steps"])]:
            v = s.get("verify", {})
            print(f"{name:>5} {label:>8} {s['target_rps']:>6}: achieved {s['achieved_rps']}, {lat(s)}, "
                  f"errors {s['errors']}, lost {v.get('lost')}, dup {v.get('duplicated')}, "
                  f"{'PASS' if s['pass'] else 'FAIL'}; {cpu(s)}")
        note = f" ({res['max_sustainable_note']})" if res.get("max_sustainable_note") else ""
        print(f"{name:>5} max sustainable {res['max_sustainable_rps']} req/s (P95 ≤ {slo_p95_ms} ms), "
              f"first failing {res['first_failing_rps']}{note}")
    vs = app.get("vs_floor", {})
    fm, am = floor["max_sustainable_rps"], app["max_sustainable_rps"]
    ratio = round(am / fm, 2) if fm and am else None
    if ratio is not None and floor["first_failing_rps"] is None:
        # Every floor step passed: its real limit is higher, so this is only an
        # upper bound of the ratio — not a result. Raise --max-rate.
        print(f"app/floor ≤ {ratio}: the floor passed every step up to {fm} req/s (raise --max-rate); "
              "the ratio is not established")
        ratio = None
    print(f"app/floor: baseline P50 ×{vs.get('baseline_p50_app_over_floor')}, "
          f"P95 ×{vs.get('baseline_p95_app_over_floor')}, P99 ×{vs.get('baseline_p99_app_over_floor')}; "
          f"sustainable rate app/floor = {ratio} (target ≥ {TARGET_RATIO:.2f}: "
          f"{'PASS' if ratio and ratio >= TARGET_RATIO else 'FAIL'})")
    sampled = driver["sampled"]
    print(f"PostgreSQL backend CPU over the driver run (cores): {sampled['postgres_cpu_cores']}; "
          f"load average 1 min {sampled['load_avg_1m']}")
    return app, ratio


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_options(ap, db="anxun_h2bench", floor_db="anxun_h2floor", redis_db=12)
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    ap.add_argument("--users", type=int, default=500, help="examinees at the baseline (one save each per interval)")
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--questions", type=int, default=60)
    ap.add_argument("--dwell", type=int, default=3, help="saves of the same question before the next")
    ap.add_argument("--answer-bytes", type=int, default=200)
    ap.add_argument("--duration", type=float, default=30.0, help="s per run")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--steps", default="100,200,400")
    ap.add_argument("--max-rate", type=float, default=400)
    ap.add_argument("--refine", type=int, default=1)
    ap.add_argument("--journey-duration", type=float, default=30.0, help="s of autosave before everyone submits")
    ap.add_argument("--skip-driver", action="store_true", help="only the journey (autosave, submit, verify)")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()

    workdir = prepare(args, "exam-load")
    summary: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), "workdir": str(workdir)}
    summary["config"] = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("json_out",)
    }
    log("machine:", json.dumps(summary["machine"], ensure_ascii=False))
    sampler = Sampler([args.db, args.floor_db])
    sampler.start()
    app = App(args, workdir)
    failures: list[str] = []
    try:
        for name in (args.db, args.floor_db):
            recreate_database(name)
        t0 = time.perf_counter()
        app.manage("migrate", "--noinput")
        log(f"migrated {args.db} in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        app.seed(max(args.users, 1))
        log(f"first seed ({args.users} examinees) in {time.perf_counter() - t0:.1f} s")
        app.start()
        sampler.roots = [app.proc.pid]

        if not args.skip_driver:
            target = {
                "name": "app-exam-autosave",
                "floor": "autosave",
                "spec": app.autosave_spec(),
                "reset_cmd": app.python_cmd(
                    "-m", "bench.seed.exam_seed", "--users", "{users}", "--fleet", str(app.fleet),
                    "--questions", str(args.questions),
                ),
                "verify_cmd": app.python_cmd("-m", "bench.seed.exam_verify", "--log", "{log}"),
                "cpu_pids": [app.proc.pid],
            }
            summary["driver"] = run_driver(
                args, sampler, workdir, endpoint="autosave", target=target, baseline_users=args.users,
                extra=("--questions", str(args.questions), "--dwell", str(args.dwell),
                       "--answer-bytes", str(args.answer_bytes)),
            )

        # The journey: autosave at the baseline, then everyone submits twice.
        rate = args.users / args.interval
        app.seed(args.users)
        sampler.mark("journey-start")
        autosave_log = workdir / "journey-autosave.jsonl"
        saved = loadgen(args, app.autosave_spec(), rate, args.journey_duration, args.warmup, autosave_log,
                        workdir / "journey-autosave.json")
        saved["verify"] = app.verify(autosave_log)
        sampler.mark("journey-saved")
        submit_log = workdir / "journey-submit.jsonl"
        submitted = loadgen(args, app.submit_spec(), rate, 2 * args.interval, 0, submit_log,
                            workdir / "journey-submit.json")
        sampler.mark("journey-end")
        submitted["verify"] = app.verify(autosave_log, "--submitted")
        statuses: dict[str, int] = {}
        for line in submit_log.read_text().splitlines():
            rec = json.loads(line)
            statuses[str(rec["st"])] = statuses.get(str(rec["st"]), 0) + 1
        summary["journey"] = {
            "autosave": brief(saved),
            "autosave_sampled": sampler.between("journey-start", "journey-saved"),
            "submit": {**brief(submitted), "status_counts": statuses},
            "submit_sampled": sampler.between("journey-saved", "journey-end"),
        }
    finally:
        app.stop()
        sampler.stop_event.set()
    summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    summary["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]

    report(summary, args, failures)
    summary["failures"] = failures
    path = args.json_out or workdir.with_suffix(".json")
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log(f"summary: {path}")
    return 1 if failures else 0


def report(summary: dict, args, failures: list[str]) -> None:
    report_machine(summary)
    driver = summary.get("driver")
    if driver:
        app, ratio = report_driver(driver, "floor-autosave", "app-exam-autosave", TARGET_P95_MS)
        p95 = app["baseline"]["latency_ms"]["p95"]
        if p95 is None or p95 > TARGET_P95_MS:
            failures.append(f"baseline autosave P95 {p95} ms > {TARGET_P95_MS} ms")
        if not ratio or ratio < TARGET_RATIO:
            failures.append(f"sustainable rate app/floor {ratio} < {TARGET_RATIO:.2f}")
        for s in [app["baseline"], *app["steps"]]:
            v = s.get("verify", {})
            if v.get("lost") or v.get("duplicated") or v.get("phantom"):
                failures.append(f"{s['target_rps']} req/s: lost {v.get('lost')}, duplicated {v.get('duplicated')}")
    journey = summary.get("journey")
    if journey:
        a, s = journey["autosave"], journey["submit"]
        va, vs = a["verify"], s["verify"]
        print(f"journey: {args.users} examinees autosave {a['target_rps']} req/s for {args.journey_duration:.0f} s: "
              f"{lat(a)}, errors {a['errors']}, acked {va['acked_requests']} of {va['requests']}, "
              f"lost {va['lost']}, duplicated {va['duplicated']}, phantom {va['phantom']}")
        print(f"journey: every examinee submits twice (10 s apart): responses {s['status_counts']}, {lat(s)}; "
              f"graded {vs.get('graded')} of {vs.get('attempts')}, regraded {vs.get('regraded')}, "
              f"records missing {vs.get('records_missing')}, extra {vs.get('records_extra')}, "
              f"answer rows wrong {vs.get('answer_rows_wrong')}, lost after grading {vs.get('lost')}")
        for phase in ("autosave", "submit"):
            sampled = journey[f"{phase}_sampled"]
            print(f"journey {phase} CPU (cores): generator {journey[phase].get('gen_cpu_cores')}, app gunicorn "
                  f"{sampled['app_gunicorn_cpu_cores']}, PostgreSQL backends {sampled['postgres_cpu_cores']}; "
                  f"load average 1 min {sampled['load_avg_1m']}")
        if va["lost"] or va["duplicated"] or va["phantom"]:
            failures.append("journey autosave lost or duplicated answers")
        if not vs.get("ok"):
            failures.append("journey submission: not every attempt graded exactly once")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("all targets met")


if __name__ == "__main__":
    sys.exit(main())
