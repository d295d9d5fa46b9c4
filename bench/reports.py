"""Benchmark: the coverage report (培训覆盖与学时) over 100,000 employees.

    .venv/bin/python bench/reports.py [--enterprises 10] [--employees 10000] [--today 2026-09-15]
                                      [--database-url URL] [--json-out PATH]

Without --database-url a fresh SQLite file in the work folder (``--work-dir``,
default bench/out/) is created and migrated; a PostgreSQL database must be
empty (drop and recreate it).

The data: ``--enterprises`` scale enterprises of ``--employees`` people each,
built like bench/clearance.py (org tree, posts, hire events and the hire
obligations from the real service, ~70 % of pre-post training met,
certificates), plus, for the report's year, the annual cycle obligations the
daily scan would create (``cycle_obligations``: refresher, principals'
annual hours, the quarter's warning education) and 0–4 training records per
person (≈ 2 on average, 1–8 学时 each), bulk-inserted with distinct hashes
(benchmark data, not the archive service).

Timed (median of 3): ``frames.coverage`` for all enterprises grouped by
enterprise, unit, post and quarter; the Excel export of the unit table; and
the whole page ``GET /reports/coverage/?by=unit`` through Django's test client
as a safety manager with a view role in every enterprise. Target: ≤ 10 s each at 100,000
employees. Queries are counted; they must not depend on headcount.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.clearance import QueryCounter, build_enterprise, git_commit, setup_django, thin_special_posts  # noqa: E402
from bench.workdir import add_option as add_work_dir_option  # noqa: E402

TARGET_SECONDS = 10.0
BATCH = 2000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="培训覆盖与学时报表的性能基准")
    parser.add_argument("--enterprises", type=int, default=10, help="企业数（默认 10）")
    parser.add_argument("--employees", type=int, default=10_000, help="每家企业人数（默认 10000）")
    parser.add_argument("--today", default="2026-09-15", help="统计日期（默认 2026-09-15）")
    parser.add_argument("--repeat", type=int, default=3, help="重复次数，取中位数（默认 3）")
    parser.add_argument("--database-url", default="", help="数据库地址（默认：工作目录下新建的 SQLite 文件）")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json-out", default="")
    add_work_dir_option(parser)
    return parser.parse_args(argv)


def add_year_data(enterprise, today: dt.date, seed: int) -> dict:
    """The year's cycle obligations and training records of one enterprise (bulk)."""
    from django.db import transaction

    from lms.archive.models import TrainingRecord
    from lms.compliance.models import Obligation
    from lms.compliance.rules import RuleBook
    from lms.compliance.services import cycle_obligations
    from lms.workforce.models import Employee

    rng = random.Random(f"anxun-bench-reports:{seed}:{enterprise.pk}")
    staff = list(Employee.objects.filter(enterprise=enterprise).select_related("enterprise"))
    book = RuleBook.load()
    quarter = (today.month - 1) // 3 + 1
    with transaction.atomic():
        cycles = []
        for q in range(1, quarter + 1):
            made = cycle_obligations(staff, today.year, q, book)
            cycles.extend(o for o in made if q == 1 or o.kind == "warning")
        Obligation.objects.bulk_create(cycles, batch_size=BATCH, ignore_conflicts=True)
        tz = dt.timezone(dt.timedelta(hours=8))
        records = []
        for e in staff:
            for seq in range(1, rng.choice((0, 1, 2, 2, 3, 4)) + 1):
                day = dt.date(today.year, 1, 1) + dt.timedelta(days=rng.randrange(0, (today - dt.date(today.year, 1, 1)).days))
                start = dt.datetime.combine(day, dt.time(9), tzinfo=tz)
                hours = rng.choice((1, 2, 2, 4, 8))
                records.append(TrainingRecord(
                    employee_id=e.pk, seq=seq, kind="refresher", title="年度安全再培训", content="规模测试",
                    start_at=start, end_at=start + dt.timedelta(hours=hours), place="培训教室", hours=hours,
                    trainer="规模测试", source="offline", prev_hash="0" * 64, hash=secrets.token_hex(32),
                    mac=secrets.token_hex(32), mac_key_id="bench",
                ))
        TrainingRecord.objects.bulk_create(records, batch_size=BATCH)
    return {"cycle_obligations": len(cycles), "records": len(records)}


def measure(label: str, fn, repeat: int) -> dict:
    from django.db import connection

    runs = []
    for _ in range(repeat):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            began, cpu = time.perf_counter(), time.process_time()
            result = fn()
            runs.append((time.perf_counter() - began, time.process_time() - cpu, counter.count))
    seconds = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    queries = runs[-1][2]
    ratio = seconds / TARGET_SECONDS
    print(f"  {label:<38} {seconds:6.2f} s (CPU {cpu:5.2f} s), {queries:3d} queries — "
          f"{seconds:.2f} s / target {TARGET_SECONDS:.0f} s = {ratio:.2f} ({'PASS' if ratio <= 1 else 'FAIL'})")
    return {"label": label, "seconds": round(seconds, 3), "cpu": round(cpu, 3), "queries": queries,
            "ratio": round(ratio, 3), "runs": [round(r[0], 3) for r in runs], "result": result}


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    setup_django(args.database_url, "reports-bench")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    today = dt.date.fromisoformat(args.today)
    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}, migrate {time.perf_counter() - began:.1f} s")
    thin_special_posts(args.seed)
    began = time.perf_counter()
    data = {"employees": 0, "records": 0, "cycle_obligations": 0}
    from lms.workforce.models import Enterprise

    for index in range(1, args.enterprises + 1):
        figures = build_enterprise(index, args.employees, seed=args.seed, today=today, users_share=0.0)
        extra = add_year_data(Enterprise.objects.get(code=figures["code"]), today, args.seed)
        data["employees"] += figures["employees"]
        data["records"] += extra["records"]
        data["cycle_obligations"] += extra["cycle_obligations"]
        print(f"  built {figures['code']}: {figures['employees']} people, {extra['records']} records, "
              f"{extra['cycle_obligations']} cycle obligations ({time.perf_counter() - began:.0f} s so far)")
    print(f"data: {data} in {time.perf_counter() - began:.0f} s")

    from lms.accounts.models import User
    from lms.reports import frames
    from lms.reports.exports import table_xlsx

    ids = tuple(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
    results = []
    print(f"coverage report, {data['employees']:,} employees in {len(ids)} enterprises, as of {today}:")
    for by in ("enterprise", "unit", "post", "quarter"):
        scope = frames.ReportScope(ids, today.year, today, by)
        results.append(measure(f"frames.coverage(by={by})", lambda s=scope: len(frames.coverage(s).frame), args.repeat))
    unit_table = frames.coverage(frames.ReportScope(ids, today.year, today, "unit"))
    results.append(measure("Excel export (by=unit)", lambda: len(table_xlsx(unit_table, title="培训覆盖与学时", about=[])),
                           args.repeat))
    # A group safety manager with a view role in every enterprise (no MFA needed for that role).
    from lms.accounts.models import Membership
    from lms.accounts.roles import Role

    viewer = User.objects.create_user(username="bench-viewer", email="viewer@bench.local", password="!")
    Membership.objects.bulk_create([Membership(user=viewer, enterprise_id=pk, role=Role.SAFETY_MANAGER) for pk in ids])
    client = Client()
    client.force_login(viewer)

    def page():
        response = client.get("/reports/coverage/", {"by": "unit", "year": today.year})
        assert response.status_code == 200, response.status_code
        return len(response.content)

    results.append(measure("GET /reports/coverage/?by=unit", page, args.repeat))
    total = unit_table.total
    print(f"  totals: headcount {total['headcount']:,}, trained {total['trained']:,}, hours {total['hours']:,.1f}, "
          f"coverage {total['coverage']:.1%}, completion {total['completion']:.1%}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f}, peak RSS {peak:.0f} MB, commit {git_commit()}")
    failed = [r for r in results if r["ratio"] > 1]
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"data": data, "results": results, "vendor": connection.vendor,
                                                   "commit": git_commit()}, ensure_ascii=False, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
