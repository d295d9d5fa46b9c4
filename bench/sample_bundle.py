"""Benchmark: a regulator's sample bundle of 50 archives (target ≤ 60 s).

    .venv/bin/python bench/sample_bundle.py [--enterprises 5] [--employees 200] [--per-enterprise 10]
                                            [--records 8] [--database-url URL] [--json-out PATH]

Without --database-url a fresh SQLite file in the work folder (``--work-dir``,
default bench/out/) is created and
migrated; a PostgreSQL database must be empty (drop and recreate it).

The data: ``--enterprises`` scale enterprises (bench/clearance.py's builder:
org tree, posts, hire obligations from the real service, ~70 % of pre-post
training met, certificates) moved into one region (320505), and a regulator
of 320500. The regulator draws a sample through the real service
(``sample_draw``: all enterprises, ``--per-enterprise`` people each, seed 1),
then each sampled person gets ``--records`` training records appended
through the archive service (real hash chains, obligations re-evaluated), so
every file in the bundle has a full page of records, obligations and
certificates.

Timed: ``bundle_build`` — the Celery task's body — rendering one person-file
PDF per sampled person (xhtml2pdf, Chinese font), logging each regulator
read, the Excel summary, and saving the zip. Printed: seconds against the
target, seconds per archive, zip size, queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.clearance import QueryCounter, build_enterprise, git_commit, setup_django, thin_special_posts  # noqa: E402
from bench.workdir import add_option as add_work_dir_option, out  # noqa: E402

TARGET_SECONDS = 60.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="监管抽查样本打包（50 份档案）的性能基准")
    parser.add_argument("--enterprises", type=int, default=5, help="企业数（默认 5）")
    parser.add_argument("--employees", type=int, default=200, help="每家企业人数（默认 200）")
    parser.add_argument("--per-enterprise", type=int, default=10, help="每家企业抽取人数（默认 10，共 50 份）")
    parser.add_argument("--records", type=int, default=8, help="每名被抽人员追加的培训记录数（默认 8）")
    parser.add_argument("--today", default="2026-09-15")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json-out", default="")
    add_work_dir_option(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("MEDIA_ROOT", str(out() / "bundle-media"))
    setup_django(args.database_url, "bundle-bench")
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    today = dt.date.fromisoformat(args.today)
    thin_special_posts(args.seed)
    began = time.perf_counter()
    from lms.accounts.models import RegulatorMembership, User
    from lms.archive.services import record_append
    from lms.supervision.bundle import bundle_build
    from lms.supervision.models import SampleBundle
    from lms.supervision.services import sample_draw
    from lms.workforce.models import Enterprise

    for index in range(1, args.enterprises + 1):
        build_enterprise(index, args.employees, seed=args.seed, today=today, users_share=0.0)
    Enterprise.objects.update(region_code="320505")
    regulator = User.objects.create_user(username="bench-regulator", email="reg@bench.local", password="!")
    RegulatorMembership.objects.create(user=regulator, region_code="320500", authority="规模测试应急管理局")
    sample = sample_draw(regulator=regulator, region_code="320500", n=args.enterprises, m=args.per_enterprise, seed=1)
    people = [item.employee for item in sample.items.select_related("employee__enterprise") if item.employee_id]
    tz = timezone.get_current_timezone()
    for person in people:
        for i in range(args.records):
            day = dt.date(today.year - 1, 1, 10) + dt.timedelta(days=45 * i)
            start = dt.datetime.combine(day, dt.time(9), tzinfo=tz)
            record_append(
                employee=person, actor=None, kind="refresher", title=f"安全再培训第{i + 1}期",
                content="安全生产法律法规、本岗位操作规程、典型事故案例与应急处置", start_at=start,
                end_at=start + dt.timedelta(hours=4), place="公司培训中心", hours=Decimal("4"), trainer="安全科 王工",
                assessment_method="笔试", assessment_result="passed", score=Decimal("88"), source="offline",
            )
    print(f"data: {args.enterprises} enterprises × {args.employees} people, sample of {len(people)} "
          f"with {args.records} records each, built in {time.perf_counter() - began:.0f} s")

    bundle = SampleBundle.objects.create(sample=sample, requested_by=regulator, total=len(people))
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        began, cpu = time.perf_counter(), time.process_time()
        bundle_build(bundle_id=bundle.pk)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    bundle.refresh_from_db()
    assert bundle.status == SampleBundle.Status.SUCCEEDED, (bundle.status, bundle.error)
    with bundle.archive.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        size = bundle.archive.size
    pdfs = sum(1 for n in names if n.endswith(".pdf"))
    ratio = seconds / TARGET_SECONDS
    print(f"bundle of {pdfs} archives + {len(names) - pdfs} summary: {seconds:.2f} s (CPU {cpu:.2f} s), "
          f"{seconds / max(pdfs, 1):.2f} s per archive, {size / 1024 / 1024:.1f} MB, {counter.count} queries — "
          f"{seconds:.2f} s / target {TARGET_SECONDS:.0f} s = {ratio:.2f} ({'PASS' if ratio <= 1 else 'FAIL'})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
          f"{connection.vendor}, load {os.getloadavg()[0]:.2f}, peak RSS {peak:.0f} MB, commit {git_commit()}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "archives": pdfs, "seconds": round(seconds, 3), "cpu": round(cpu, 3), "queries": counter.count,
            "bytes": size, "ratio": round(ratio, 3), "vendor": connection.vendor, "commit": git_commit(),
        }, ensure_ascii=False, indent=2))
    return 0 if ratio <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
