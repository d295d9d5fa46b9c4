"""Benchmark: import a 10,000-row employee spreadsheet, then import it again.

    .venv/bin/python bench/import_employees.py [--rows 10000] [--database-url URL] [--json-out PATH]

Without --database-url a fresh SQLite file in the work folder (``--work-dir``,
default bench/out/) is created and migrated. With a PostgreSQL URL the
database is migrated in place and a new ``scale-NNNN`` enterprise is used, so
earlier runs do not get in the way.

What is timed is ``lms.workforce.importing.import_employees`` alone (reading,
checking every row, writing in one transaction); making the database and the
spreadsheet is not. Queries are counted with CaptureQueriesContext. The first
import creates everyone; the second must find every row unchanged.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import random
import resource
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workdir import add_option as add_work_dir_option, out  # noqa: E402

TARGET_SECONDS_PER_10K = 15.0  # the import must take at most 15 s for 10,000 rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="员工导入性能基准（首次导入 + 重复导入）")
    parser.add_argument("--rows", type=int, default=10_000, help="导入表行数（默认 10000）")
    parser.add_argument("--database-url", default="", help="数据库地址（默认：工作目录下新建的 SQLite 文件）")
    parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
    parser.add_argument("--json-out", default="", help="另外把结果写成 JSON")
    add_work_dir_option(parser)
    return parser.parse_args(argv)


def setup_django(database_url: str) -> str:
    """Point Django at the benchmark database and set it up; returns the URL."""
    sys.path.insert(0, str(ROOT))
    if not database_url:
        db = out() / "import-bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{db}"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    return database_url


def run_import(path: Path, enterprise, label: str) -> dict:
    """Time one import of ``path`` and count its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lms.workforce.importing import import_employees

    # Django keeps at most 9,000 queries in its log; count them all.
    connection.queries_log = collections.deque(maxlen=None)
    with path.open("rb") as fh, CaptureQueriesContext(connection) as ctx:
        began, cpu_began = time.perf_counter(), time.process_time()
        result = import_employees(enterprise=enterprise, fileobj=fh, filename=path.name, actor=None)
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - cpu_began
    if not result.ok:
        for error in result.errors[:20]:
            print(f"  错误：{error}")
        raise SystemExit(f"{label}失败：{len(result.errors)} 处错误")
    rows = result.total_rows
    # Rows naming a post are put on it only if the clearance gate says yes.
    assigned, awaiting = getattr(result, "assigned", 0), getattr(result, "awaiting_clearance", 0)
    queries = len(ctx.captured_queries)
    target = TARGET_SECONDS_PER_10K * rows / 10_000
    ratio = seconds / target
    print(
        f"{label}: rows {rows}, created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
        f"put on post {assigned}, awaiting clearance {awaiting}; "
        f"time {seconds:.2f} s / target {target:.0f} s = {ratio:.2f} ({'PASS' if ratio <= 1 else 'FAIL'}); "
        f"cpu {cpu_seconds:.2f} s; {rows / seconds:,.0f} rows/s; queries {queries} ({queries / rows:.3f} per row)"
    )
    return {
        "run": label,
        "rows": rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "assigned": assigned,
        "awaiting_clearance": awaiting,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "rows_per_second": round(rows / seconds),
        "target_seconds": target,
        "ratio_to_target": round(ratio, 3),
        "passed": ratio <= 1,
        "queries": queries,
        "queries_per_row": round(queries / rows, 4),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    database_url = setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from bench.seed import scale

    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor} ({database_url.split('@')[-1]}), migrate {time.perf_counter() - began:.1f} s")

    index = scale.next_free_scale_index()
    enterprise = scale.create_scale_enterprise(index, seed=args.seed, employees_per=0)
    sheet = out() / f"employees-{args.rows}.xlsx"
    began = time.perf_counter()
    scale.write_employee_sheet(sheet, enterprise, args.rows, random.Random(f"anxun-bench:{args.seed}"))
    print(
        f"enterprise {enterprise.code}: {enterprise.org_units.count()} units, {enterprise.posts.count()} posts, "
        f"0 employees; sheet {sheet} ({args.rows} rows, {sheet.stat().st_size // 1024} KiB, "
        f"written in {time.perf_counter() - began:.1f} s)"
    )

    runs = [run_import(sheet, enterprise, "first import"), run_import(sheet, enterprise, "re-import")]
    first, again = runs
    if first["created"] != args.rows or again["unchanged"] != args.rows:
        raise SystemExit(
            "unexpected counts: the first import must create every row, the second find every row unchanged"
        )

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(
        f"peak RSS {peak_mib:.0f} MiB; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )
    if args.json_out:
        report = {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "database": connection.vendor,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "rows": args.rows,
            "peak_rss_mib": round(peak_mib),
            "load_average": [round(x, 2) for x in load],
            "runs": runs,
        }
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if all(r["passed"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
