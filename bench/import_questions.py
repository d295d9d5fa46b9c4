"""Benchmark: import a 5,000-question spreadsheet into a bank, then again.

    .venv/bin/python bench/import_questions.py [--questions 5000] [--database-url URL] [--json-out PATH]

Without --database-url a fresh SQLite file in the work folder (``--work-dir``,
default bench/out/) is created and migrated.
With a PostgreSQL URL the database is migrated in place and a new
platform bank (``基准题库-<time>``) is used, so earlier runs do not get in the way.

The sheet mixes the four types (single 40 %, multiple 25 %, true/false 20 %,
fill-in 15 %) over 60 three-level categories, and writes answers the ways
real files do (AC, A,C, a、c, √/×, 对/错, alternatives with /). What is timed
is ``exams.importing.import_questions`` alone (reading, checking every
question, writing in one transaction); making the database and the
spreadsheet is not. The second run imports the same file with
--skip-duplicates: every question must be found already in the bank.
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

TARGET_SECONDS_PER_5K = 10.0  # the import must take at most 10 s for 5,000 questions

HEADERS = ["题型*", "题干*", "选项A", "选项B", "选项C", "选项D", "选项E", "答案*", "解析", "难度", "分类", "知识点"]
TOPICS = (
    "用电安全",
    "消防",
    "危险化学品",
    "受限空间",
    "高处作业",
    "机械安全",
    "职业卫生",
    "应急救援",
    "特种设备",
    "法律法规",
)
WORDS = ("检查", "佩戴", "隔离", "通风", "监护", "审批", "标识", "培训", "检测", "报告", "巡检", "维护", "上锁", "挂牌")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="题库导入性能基准（首次导入 + 重复导入跳过）")
    parser.add_argument("--questions", type=int, default=5_000, help="题目数（默认 5000）")
    parser.add_argument("--database-url", default="", help="数据库地址（默认：工作目录下新建的 SQLite 文件）")
    parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
    parser.add_argument("--json-out", default="", help="另外把结果写成 JSON")
    add_work_dir_option(parser)
    return parser.parse_args(argv)


def setup_django(database_url: str) -> str:
    """Point Django at the benchmark database and set it up; returns the URL."""
    sys.path.insert(0, str(ROOT))
    if not database_url:
        db = out() / "question-bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{db}"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    return database_url


def write_sheet(path: Path, count: int, rng: random.Random) -> None:
    """A question spreadsheet of ``count`` distinct questions."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("题目")
    sheet.append(HEADERS)
    categories = [f"{topic}/{'基础' if n % 2 else '提高'}/第{n}章" for topic in TOPICS for n in range(1, 7)]
    for n in range(1, count + 1):
        topic = rng.choice(TOPICS)
        verb = rng.choice(WORDS)
        stem = f"第{n}题：关于{topic}，作业前应当如何{verb}？（编号 {rng.randrange(10**6):06d}）"
        roll = rng.random()
        options = [f"{rng.choice(WORDS)}{topic}措施{k}" for k in range(1, 6)]
        if roll < 0.40:
            row = ["单选题", stem, *options[:4], "", rng.choice(["A", "b", "Ｃ", " D "])]
        elif roll < 0.65:
            letters = sorted(rng.sample("ABCDE", rng.randint(2, 4)))
            written = rng.choice(["".join(letters), ",".join(letters), "、".join(letters).lower(), " ".join(letters)])
            row = ["多选题", stem, *options, written]
        elif roll < 0.85:
            row = [
                "判断题",
                stem.replace("如何", "必须"),
                "",
                "",
                "",
                "",
                "",
                rng.choice(["对", "错", "√", "×", "T", "F"]),
            ]
        else:
            row = ["填空题", stem.replace("如何", "____"), "", "", "", "", "", f"{verb}/{verb}作业|{topic}"]
        row += [f"依据《安全生产法》，{topic}须{verb}。", rng.choice(["容易", "中等", "困难", "1", "2", "3", ""])]
        row += [rng.choice(categories), f"{topic}、{verb}"]
        sheet.append(row)
    workbook.save(path)


def run_import(path: Path, bank, label: str, **kwargs) -> dict:
    """Time one import of ``path`` and count its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exams.importing import import_questions

    connection.queries_log = collections.deque(maxlen=None)
    with path.open("rb") as fh, CaptureQueriesContext(connection) as ctx:
        began, cpu_began = time.perf_counter(), time.process_time()
        result = import_questions(bank=bank, fileobj=fh, filename=path.name, actor=None, **kwargs)
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - cpu_began
    if not result.ok:
        for error in result.errors[:20]:
            print(f"  错误：{result.describe(error)}")
        raise SystemExit(f"{label}失败：{len(result.errors)} 处错误")
    total = result.total
    queries = len(ctx.captured_queries)
    target = TARGET_SECONDS_PER_5K * total / 5_000
    ratio = seconds / target
    print(
        f"{label}: questions {total}, created {result.created}, skipped {len(result.skipped)}, "
        f"new categories {result.new_categories}; "
        f"time {seconds:.2f} s / target {target:.0f} s = {ratio:.2f} ({'PASS' if ratio <= 1 else 'FAIL'}); "
        f"cpu {cpu_seconds:.2f} s; {total / seconds:,.0f} questions/s; queries {queries}"
    )
    return {
        "run": label,
        "questions": total,
        "created": result.created,
        "skipped": len(result.skipped),
        "new_categories": result.new_categories,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "questions_per_second": round(total / seconds),
        "target_seconds": target,
        "ratio_to_target": round(ratio, 3),
        "passed": ratio <= 1,
        "queries": queries,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    database_url = setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from exams.question_services import bank_create

    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor} ({database_url.split('@')[-1]}), migrate {time.perf_counter() - began:.1f} s")

    bank = bank_create(enterprise=None, name=f"基准题库-{dt.datetime.now():%Y%m%d%H%M%S}", actor=None)
    sheet = out() / f"questions-{args.questions}.xlsx"
    began = time.perf_counter()
    write_sheet(sheet, args.questions, random.Random(f"anxun-questions:{args.seed}"))
    print(
        f"bank {bank.name}; sheet {sheet} ({args.questions} questions, "
        f"{sheet.stat().st_size // 1024} KiB, written in {time.perf_counter() - began:.1f} s)"
    )

    runs = [
        run_import(sheet, bank, "first import"),
        run_import(sheet, bank, "re-import (skip duplicates)", skip_duplicates=True),
    ]
    first, again = runs
    if first["created"] != args.questions or again["skipped"] != args.questions:
        raise SystemExit("unexpected counts: the first import must create every question, the second skip every one")

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
            "questions": args.questions,
            "peak_rss_mib": round(peak_mib),
            "load_average": [round(x, 2) for x in load],
            "runs": runs,
        }
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if all(r["passed"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
