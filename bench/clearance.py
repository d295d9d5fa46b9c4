"""Benchmark: batch clearance, lapsed-on-post and the daily obligation scan at scale.

    .venv/bin/python bench/clearance.py [--employees 10000] [--small 1000] [--scan-enterprises 10]
                                        [--today 2026-03-10] [--database-url URL] [--json-out PATH] [--skip-scan]

Without --database-url a fresh SQLite file in the work folder (``--work-dir``,
default bench/out/) is created and migrated. With a PostgreSQL URL the
database is migrated in place and must hold no employees yet (drop and
recreate it between runs), because the scan reads every enterprise in the
database.

The data (all written in bulk, see ``build_enterprise``):

* scale enterprises from ``bench.seed.scale.create_scale_enterprise`` (org
  tree, posts, employees, hire events, ~92 % on a post), with the generator's
  special-operation posts thinned out so that ~5 % of people hold one;
* the hire obligations from the real service
  ``obligations_generate_for_events`` (timed, reported);
* ~70 % of the people who owe pre-post training have it met, marked with a
  bulk UPDATE (status met, met_on = hire date + 7 days, apprenticeship met on
  its due date, completed hours = required hours, exam passed) instead of
  appending tens of thousands of training records one by one;
* a special-operation certificate for everyone on a special-operation post
  (~15 % of them expired), competence certificates for principals and safety
  managers of high-risk enterprises;
* a login (user with e-mail) for every employee and one HR user per
  enterprise, so that the scan's notices and e-mails are really produced.

Measured: ``clearance_batch(enterprise=E)`` for everyone on a post (median of
3 runs) at ``--employees`` and at ``--small`` employees, ``lapsed_on_post``,
and ``scan_obligations(today=...)`` over every enterprise — first run and a
second run the same day, which must create and send nothing. E-mail goes to
Django's in-memory backend (``EMAIL_URL=memorymail://``). DEBUG is off so
Django does not log queries during timed runs; queries are counted with a
``connection.execute_wrapper`` counter, cross-checked once against
``CaptureQueriesContext``.
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
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workdir import add_option as add_work_dir_option, out  # noqa: E402

TARGET_CLEARANCE_SECONDS = 2.0  # clearance_batch for a 10,000-employee enterprise
TARGET_SCAN_SECONDS = 120.0  # scan_obligations over 100,000 employees
SPECIAL_SHARE = 0.05  # of all employees, on a special-operation post
MET_SHARE = 0.70  # of the people owing pre-post training, who have it met
EXPIRED_SHARE = 0.15  # of special-operation certificates, expired
BATCH = 500


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="岗位准入批量检查与每日培训义务扫描的性能基准")
    parser.add_argument("--employees", type=int, default=10_000, help="批量准入检查的企业人数（默认 10000）")
    parser.add_argument("--small", type=int, default=1_000, help="对照企业人数，用于比较查询数（默认 1000）")
    parser.add_argument("--scan-enterprises", type=int, default=10, help="扫描部分的企业数（含第一家，默认 10）")
    parser.add_argument("--today", default="2026-03-10", help="检查和扫描日期（默认 2026-03-10）")
    parser.add_argument("--repeat", type=int, default=3, help="准入检查重复次数，取中位数（默认 3）")
    parser.add_argument("--users-share", type=float, default=1.0, help="有登录账号（含邮箱）的员工比例（默认 1.0）")
    parser.add_argument("--skip-scan", action="store_true", help="只测准入检查，不建扫描数据、不扫描")
    parser.add_argument("--database-url", default="", help="数据库地址（默认：工作目录下新建的 SQLite 文件）")
    parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
    parser.add_argument("--json-out", default="", help="另外把结果写成 JSON")
    add_work_dir_option(parser)
    return parser.parse_args(argv)


def setup_django(database_url: str, name: str = "clearance-bench") -> str:
    """Point Django at the benchmark database (DEBUG off, in-memory e-mail)
    and set it up; returns the URL. No URL: a fresh <work folder>/<name>.sqlite3."""
    if not database_url:
        db = out() / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{db}"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings.dev"
    os.environ["EMAIL_URL"] = "memorymail://"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    return database_url


class QueryCounter:
    """Counts every statement sent to the database (execute_wrapper), by its
    first word (SELECT, INSERT, UPDATE, SAVEPOINT…)."""

    def __init__(self):
        self.count = 0
        self.kinds = collections.Counter()

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.kinds[sql.lstrip().split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)


def timed(fn, counter: QueryCounter | None = None):
    """Run ``fn()`` once; return (result, wall seconds, CPU seconds, queries)."""
    from django.db import connection

    counter = counter or QueryCounter()
    with connection.execute_wrapper(counter):
        began, cpu_began = time.perf_counter(), time.process_time()
        result = fn()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    return result, seconds, cpu, counter.count


def captured_queries(fn) -> int:
    """Queries of ``fn()`` as CaptureQueriesContext sees them (no log limit)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log = collections.deque(maxlen=None)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def git_commit() -> str:
    """The checkout's commit, with "+changes" if files differ from it."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def verdict(seconds: float, target: float) -> str:
    ratio = seconds / target
    return f"{seconds:.2f} s / target {target:.0f} s = {ratio:.2f} ({'PASS' if ratio <= 1 else 'FAIL'})"


# --- data ---------------------------------------------------------------------------------


def thin_special_posts(seed: int):
    """Wrap ``scale.build_scale_enterprise`` so that only ~SPECIAL_SHARE of the
    people are on a special-operation post (the generator puts ~25 % there);
    the others move to a random ordinary team post. Deterministic per seed."""
    from bench.seed import scale

    original = scale.build_scale_enterprise

    def build(index, *, seed=seed, employees_per):
        bundle = original(index, seed=seed, employees_per=employees_per)
        rng = random.Random(f"anxun-bench-clearance:{seed}:{index}")
        special = {p["code"] for p in bundle.posts if p["special_operation"]}
        plain = [p for p in bundle.posts if p["unit"] != "C" and not p["special_operation"]]
        on_special = [e for e in bundle.employees if e["post"] in special]
        keep = SPECIAL_SHARE * len(bundle.employees) / len(on_special) if on_special else 0
        for e in on_special:
            if rng.random() >= keep:
                post = rng.choice(plain)
                e["post"], e["unit"] = post["code"], post["unit"]
        return bundle

    scale.build_scale_enterprise = build


def build_enterprise(index: int, employees: int, *, seed: int, today: dt.date, users_share: float) -> dict:
    """Write one scale enterprise with obligations, met training, certificates
    and logins (see the module docstring); returns its figures."""
    from certificates.models import Certificate, CertificateKind
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from lms.accounts.models import Membership
    from lms.accounts.roles import Role
    from lms.compliance.models import Obligation, ObligationKind
    from lms.compliance.services import obligations_generate_for_events
    from bench.seed import scale
    from lms.workforce.demo import add_years
    from lms.workforce.models import Employee, EmploymentEvent, PostAssignment

    User = get_user_model()
    rng = random.Random(f"anxun-bench-clearance-data:{seed}:{index}")
    began = time.perf_counter()
    enterprise = scale.create_scale_enterprise(index, seed=seed, employees_per=employees)
    if enterprise is None:
        raise SystemExit(f"{scale.scale_code(index)} 已存在：请使用新建的空数据库")
    workforce_seconds = time.perf_counter() - began

    events = list(EmploymentEvent.objects.filter(employee__enterprise=enterprise, type=EmploymentEvent.Type.HIRE))
    created, gen_seconds, gen_cpu, gen_queries = timed(lambda: obligations_generate_for_events(events))

    began = time.perf_counter()
    with transaction.atomic():
        # ~70 % of the people who owe pre-post training have it met (bulk UPDATE,
        # not training records: benchmark data).
        hire_obligations = list(
            Obligation.objects.filter(employee__enterprise=enterprise, event__type=EmploymentEvent.Type.HIRE).only(
                "pk", "employee_id", "kind", "start_date", "due_date", "min_hours"
            )
        )
        owing = sorted({o.employee_id for o in hire_obligations if o.kind == ObligationKind.INDUCTION})
        met_people = set(rng.sample(owing, round(MET_SHARE * len(owing))))
        now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
        met = []
        for o in hire_obligations:
            if o.employee_id not in met_people:
                continue
            o.status = Obligation.Status.MET
            o.met_on = o.due_date if o.kind == ObligationKind.APPRENTICESHIP else o.start_date + dt.timedelta(days=7)
            o.met_at = now
            o.completed_hours, o.exam_passed = o.min_hours, True
            met.append(o)
        Obligation.objects.bulk_update(
            met, ["status", "met_on", "met_at", "completed_hours", "exam_passed"], batch_size=BATCH
        )

        # Certificates: special operation for everyone on such a post, some expired.
        staff = list(Employee.objects.filter(enterprise=enterprise).order_by("pk"))
        on_post = dict(
            PostAssignment.objects.filter(employee__enterprise=enterprise, end_date__isnull=True).values_list(
                "employee_id", "post__special_operation"
            )
        )
        certificates, expired = [], 0
        for e in staff:
            category = on_post.get(e.pk) or ""
            if category:
                if rng.random() < EXPIRED_SHARE:
                    issued = today - dt.timedelta(days=6 * 365 + rng.randrange(30, 700))
                    valid_until = add_years(issued, 6)
                    review = valid_until
                    expired += 1
                else:
                    issued = today - dt.timedelta(days=rng.randrange(1, 6 * 365 - 30))
                    valid_until = add_years(issued, 6)
                    review = add_years(issued, 3)
                    review = review if review > today else valid_until
                certificates.append(
                    Certificate(
                        employee=e, kind=CertificateKind.SPECIAL_OPERATION, category=category,
                        number=f"T{enterprise.pk:04d}{e.employee_no}", authority="规模测试应急管理局",
                        issued_on=issued, valid_until=valid_until, next_review_due=review,
                    )
                )
            if enterprise.is_high_risk and (e.is_principal or e.is_safety_manager):
                issued = today - dt.timedelta(days=rng.randrange(30, 1000))
                certificates.append(
                    Certificate(
                        employee=e,
                        kind=CertificateKind.PRINCIPAL_COMPETENCE if e.is_principal
                        else CertificateKind.SAFETY_MANAGER_COMPETENCE,
                        number=f"K{enterprise.pk:04d}{e.employee_no}", authority="规模测试应急管理局",
                        issued_on=issued, valid_until=add_years(issued, 3),
                    )
                )
        Certificate.objects.bulk_create(certificates, batch_size=BATCH)

        # Logins: the scan tells each person (notice + e-mail) and HR (digest).
        with_login = [e for e in staff if rng.random() < users_share]
        User.objects.bulk_create(
            [
                User(
                    username=f"{enterprise.code}-{e.employee_no}",
                    email=f"{e.employee_no.lower()}@{enterprise.code}.bench",
                    full_name=e.name,
                    password="!",  # unusable: benchmark logins never sign in
                )
                for e in with_login
            ],
            batch_size=BATCH,
        )
        ids = dict(User.objects.filter(username__startswith=f"{enterprise.code}-").values_list("username", "pk"))
        for e in with_login:
            e.user_id = ids[f"{enterprise.code}-{e.employee_no}"]
        Employee.objects.bulk_update(with_login, ["user"], batch_size=BATCH)
        hr = User.objects.create(
            username=f"{enterprise.code}.hr", email=f"hr@{enterprise.code}.bench", full_name="人力资源", password="!"
        )
        Membership.objects.create(user=hr, enterprise=enterprise, role=Role.HR)

    figures = {
        "code": enterprise.code,
        "employees": len(staff),
        "on_post": len(on_post),
        "on_special_post": sum(1 for c in on_post.values() if c),
        "hire_events": len(events),
        "obligations_created": created,
        "owing_pre_post": len(owing),
        "people_met": len(met_people),
        "obligations_met": len(met),
        "certificates": len(certificates),
        "certificates_expired": expired,
        "logins": len(with_login),
        "workforce_seconds": round(workforce_seconds, 2),
        "generate_seconds": round(gen_seconds, 3),
        "generate_cpu_seconds": round(gen_cpu, 3),
        "generate_queries": gen_queries,
        "extras_seconds": round(time.perf_counter() - began, 2),
    }
    print(
        f"  {enterprise.code}: {figures['employees']} employees ({figures['on_post']} on a post, "
        f"{figures['on_special_post']} on a special-operation post), workforce {workforce_seconds:.1f} s; "
        f"obligations_generate_for_events({len(events)} hire events) → {created} obligations in "
        f"{gen_seconds:.2f} s (cpu {gen_cpu:.2f} s, {gen_queries} queries); "
        f"met for {len(met_people)}/{len(owing)} people ({len(met)} obligations); "
        f"{len(certificates)} certificates ({expired} expired); {len(with_login)} logins + 1 HR"
    )
    figures["enterprise"] = enterprise
    return figures


# --- measurements ---------------------------------------------------------------------------


def measure_clearance(enterprise, today: dt.date, repeat: int, label: str) -> dict:
    """clearance_batch and lapsed_on_post for one enterprise."""
    from lms.compliance.selectors import clearance_batch, lapsed_on_post

    load = os.getloadavg()[0]
    runs = [timed(lambda: clearance_batch(enterprise=enterprise, on_date=today)) for _ in range(repeat)]
    results = runs[0][0]
    seconds = statistics.median(r[1] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    queries = runs[0][3]
    captured = captured_queries(lambda: clearance_batch(enterprise=enterprise, on_date=today))
    cleared = sum(1 for c in results.values() if c.cleared)
    codes = collections.Counter(code for c in results.values() for code in set(c.codes))
    lapsed, l_seconds, l_cpu, l_queries = timed(lambda: lapsed_on_post(enterprise=enterprise, on_date=today))
    print(
        f"{label}: clearance_batch {len(results)} pairs ({cleared} cleared, {len(results) - cleared} not): "
        f"median time {verdict(seconds, TARGET_CLEARANCE_SECONDS)} "
        f"[runs {', '.join(f'{r[1]:.2f}' for r in runs)} s]; cpu {cpu:.2f} s; "
        f"queries {queries} (CaptureQueriesContext {captured}); load {load:.2f}"
    )
    print(f"    reasons (people): {', '.join(f'{k} {v}' for k, v in codes.most_common())}")
    print(f"    lapsed_on_post: {len(lapsed)} lapsed; {l_seconds:.2f} s (cpu {l_cpu:.2f} s); queries {l_queries}")
    return {
        "run": label,
        "employees": enterprise.employees.count(),
        "pairs": len(results),
        "cleared": cleared,
        "reasons": dict(codes.most_common()),
        "seconds_runs": [round(r[1], 3) for r in runs],
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "target_seconds": TARGET_CLEARANCE_SECONDS,
        "ratio_to_target": round(seconds / TARGET_CLEARANCE_SECONDS, 3),
        "queries": queries,
        "queries_captured": captured,
        "lapsed": len(lapsed),
        "lapsed_seconds": round(l_seconds, 3),
        "lapsed_cpu_seconds": round(l_cpu, 3),
        "lapsed_queries": l_queries,
        "load_average_1min": round(load, 2),
    }


def measure_scan(today: dt.date, label: str) -> dict:
    """One scan_obligations run over the whole database."""
    from django.core import mail

    from lms.compliance.models import Notice, Obligation
    from lms.compliance.scan import scan_obligations
    from lms.workforce.models import Employee

    mail.outbox = []
    employees = Employee.objects.filter(status=Employee.Status.ACTIVE).count()
    obligations_before, notices_before = Obligation.objects.count(), Notice.objects.count()
    counter = QueryCounter()
    load = os.getloadavg()[0]
    # The scan hands the e-mails to Celery (send_notice_emails, one task per
    # 500 notices) and a worker sends them. Without a broker the settings run
    # tasks eagerly, inside the scan; here the tasks are queued as a broker
    # would hold them, the scan is timed alone, then the queued tasks are run
    # (what the workers do) and timed on their own.
    from lms.compliance import tasks

    queued: list[list[int]] = []
    real_delay = tasks.send_notice_emails.delay
    tasks.send_notice_emails.delay = lambda notice_ids: queued.append(list(notice_ids))
    try:
        result, seconds, cpu, queries = timed(lambda: scan_obligations(today=today), counter)
    finally:
        tasks.send_notice_emails.delay = real_delay
    delivered, mail_seconds, mail_cpu, mail_queries = timed(
        lambda: [tasks.send_notice_emails(chunk) for chunk in queued], QueryCounter()
    )
    rows = Obligation.objects.count() - obligations_before
    notices = Notice.objects.count() - notices_before
    emails = len(mail.outbox)
    per_1000 = queries / employees * 1000
    print(
        f"{label}: {employees} active employees; created {result.created} obligations ({rows} new rows), "
        f"overdue {result.overdue}, due soon {result.due_soon}, lapsed {result.lapsed}; "
        f"notices {notices} new rows, e-mails {emails} (result.emails {result.emails}); "
        f"time {verdict(seconds, TARGET_SCAN_SECONDS * employees / 100_000)}; cpu {cpu:.2f} s; "
        f"queries {queries} ({per_1000:.2f} per 1,000 employees; "
        f"{', '.join(f'{k} {v}' for k, v in counter.kinds.most_common())}); load {load:.2f}"
    )
    print(
        f"  then the queued e-mail tasks (Celery workers' share, not the scan's): {len(queued)} tasks, "
        f"{sum(d['sent'] for d in delivered)} sent in {mail_seconds:.2f} s (cpu {mail_cpu:.2f} s, {mail_queries} queries)"
    )
    mail.outbox = []
    return {
        "run": label,
        "employees": employees,
        "created": result.created,
        "new_obligation_rows": rows,
        "overdue": result.overdue,
        "due_soon": result.due_soon,
        "lapsed": result.lapsed,
        "notices": notices,
        "emails": emails,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "target_seconds": TARGET_SCAN_SECONDS * employees / 100_000,
        "ratio_to_target": round(seconds / (TARGET_SCAN_SECONDS * employees / 100_000), 3),
        "queries": queries,
        "email_tasks": len(queued),
        "email_delivery_seconds": round(mail_seconds, 3),
        "email_delivery_cpu_seconds": round(mail_cpu, 3),
        "email_delivery_queries": mail_queries,
        "queries_per_1000_employees": round(per_1000, 2),
        "queries_by_kind": dict(counter.kinds.most_common()),
        "load_average_1min": round(load, 2),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    load_start = os.getloadavg()
    database_url = setup_django(args.database_url)
    today = dt.date.fromisoformat(args.today)

    from django.core.management import call_command
    from django.db import connection

    from lms.workforce.models import Employee

    commit = git_commit()
    print(
        f"commit {commit}; load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    server = connection.pg_version if connection.vendor == "postgresql" else None
    print(f"database: {connection.vendor} ({database_url.split('@')[-1]}), migrate {time.perf_counter() - began:.1f} s")
    if Employee.objects.exists():
        raise SystemExit("数据库里已有员工：扫描会读取所有企业，请使用新建的空数据库（dropdb/createdb）")

    thin_special_posts(args.seed)
    print(f"building the clearance data ({args.employees} + {args.small} employees, day {today}):")
    big = build_enterprise(1, args.employees, seed=args.seed, today=today, users_share=args.users_share)
    small = build_enterprise(
        args.scan_enterprises + 1, args.small, seed=args.seed, today=today, users_share=args.users_share
    )
    built = [big, small]

    def clearance_pair(stage: str) -> list[dict]:
        print(f"clearance {stage}:")
        runs = [
            measure_clearance(big["enterprise"], today, args.repeat, f"  {args.employees} employees"),
            measure_clearance(small["enterprise"], today, args.repeat, f"  {args.small} employees"),
        ]
        for run in runs:
            run["stage"] = stage
        return runs

    clearance_runs = clearance_pair("before the scan (pre-post obligations only)")
    scan_runs = []
    if not args.skip_scan:
        print(f"building the scan data ({args.scan_enterprises - 1} more enterprises × {args.employees} employees):")
        began = time.perf_counter()
        for index in range(2, args.scan_enterprises + 1):
            built.append(
                build_enterprise(index, args.employees, seed=args.seed, today=today, users_share=args.users_share)
            )
        print(f"  built in {time.perf_counter() - began:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        scan_runs = [measure_scan(today, "scan, first run"), measure_scan(today, "scan, second run (same day)")]
        again = scan_runs[1]
        if again["new_obligation_rows"] or again["notices"] or again["emails"]:
            print("错误：同一天第二次扫描不应新建义务、通知或发送邮件")
            return 2
        clearance_runs += clearance_pair("after the scan (the year's refresher and the quarter's warning open)")

    gen_total = sum(b["generate_seconds"] for b in built)
    gen_events = sum(b["hire_events"] for b in built)
    gen_rows = sum(b["obligations_created"] for b in built)
    print(
        f"obligations_generate_for_events: {gen_events} hire events → {gen_rows} obligations in {gen_total:.1f} s "
        f"({len(built)} calls, one per enterprise; queries per call {sorted({b['generate_queries'] for b in built})})"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_end = os.getloadavg()
    print(
        f"peak RSS {peak_mib:.0f} MiB; load average at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}"
    )
    big_runs = [r for r in clearance_runs if r["employees"] == args.employees]
    passed = all(r["ratio_to_target"] <= 1 for r in big_runs + scan_runs)
    if args.json_out:
        for b in built:
            b.pop("enterprise", None)
        report = {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "commit": commit,
            "database": connection.vendor,
            "server_version": server,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "today": today.isoformat(),
            "load_average_start": [round(x, 2) for x in load_start],
            "load_average_end": [round(x, 2) for x in load_end],
            "peak_rss_mib": round(peak_mib),
            "enterprises": built,
            "clearance": clearance_runs,
            "scan": scan_runs,
            "passed": passed,
        }
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
