"""Benchmark: one certificate PDF, and a batch issuance of 1,000 through the Celery task.

    .venv/bin/python bench/certificates.py [--batch 1000] [--pdf-runs 20] [--json-out PATH]

A fresh SQLite file in the work folder (``--work-dir``, default bench/out/)
is created and migrated. One enterprise with a seal, ``--batch`` employees
who each passed the same offline session (one training record each,
appended through ``record_append``).

Measured:

* ``render_certificate_pdf`` of one A4 post certificate (QR, seal, photo-less),
  median of ``--pdf-runs`` renders after one warm-up; target ≤ 0.3 s;
* ``batch_create`` → ``certificates.batch_run`` task for the session, from
  enqueue to the zip on disk; target ≤ 180 s. Without CELERY_BROKER_URL the
  task runs eagerly in this process (the embedded default); with a broker it
  runs on a worker and the script polls the batch row.

Prints the load average at the start of each measurement and the commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workdir import add_option as add_work_dir_option, out  # noqa: E402

TARGET_PDF_SECONDS = 0.3
TARGET_BATCH_SECONDS = 180.0


def setup_django() -> None:
    db = out() / "certificates-bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings.dev"
    os.environ["EMAIL_URL"] = "memorymail://"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("MEDIA_ROOT", str(out() / "certificates-media"))
    import django

    django.setup()


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def seal_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (240, 240), (255, 255, 255, 0))
    ImageDraw.Draw(img).ellipse([6, 6, 234, 234], outline=(200, 20, 20, 255), width=12)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--pdf-runs", type=int, default=20)
    parser.add_argument("--json-out")
    add_work_dir_option(parser)
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate {time.perf_counter() - began:.1f} s")

    from certificates.models import Certificate, CertificateKind, IssuanceBatch
    from certificates.pdf import render_certificate_pdf
    from certificates.services import batch_create, issuer_profile_save, type_for
    from lms.archive.services import record_append
    from lms.workforce.models import Employee, Enterprise, Industry, OrgUnit, Post
    from lms.workforce.synthetic import make_credit_code, make_id_number

    enterprise = Enterprise.objects.create(code="bench", name="基准测试化工有限公司", credit_code=make_credit_code(7),
                                           industry=Industry.HAZARDOUS_CHEMICALS, risk_class="high_risk",
                                           region_code="320505")
    unit = OrgUnit.objects.create(enterprise=enterprise, kind=OrgUnit.Kind.COMPANY, code="C", name="公司")
    post = Post.objects.create(enterprise=enterprise, org_unit=unit, code="OP", name="操作工")
    issuer_profile_save(enterprise=enterprise, issuer_name="基准测试化工有限公司安全环保部",
                        seal=SimpleUploadedFile("seal.png", seal_png()), actor=None)
    Employee.objects.bulk_create([
        Employee(enterprise=enterprise, org_unit=unit, employee_no=f"B{i:05d}", name=f"员工{i:04d}",
                 id_number=make_id_number(seq=i % 1000, birth=dt.date(1980, 1, 1) + dt.timedelta(days=i)),
                 hire_date=dt.date(2026, 1, 5))
        for i in range(args.batch)
    ])
    start = timezone.make_aware(dt.datetime(2026, 11, 2, 8))
    began = time.perf_counter()
    for n, employee in enumerate(Employee.objects.filter(enterprise=enterprise).order_by("pk")):
        record_append(employee=employee, actor=None, evaluate=False, kind="induction", level="company",
                      title="厂级安全教育", content="安全生产法律法规、规章制度、事故案例", start_at=start,
                      end_at=start + dt.timedelta(hours=9), place="培训教室", hours=8, trainer="王老师",
                      assessment_method="笔试", assessment_result="passed", source="offline",
                      source_ref=f"offline_session:1/attendance:{n}")
    print(f"data: {args.batch} employees and records in {time.perf_counter() - began:.1f} s")

    # One PDF.
    certificate_type = type_for(enterprise, CertificateKind.POST)
    from certificates.services import _issue

    with transaction.atomic():
        one = _issue(employee=Employee.objects.get(employee_no="B00000"), type=certificate_type, via="manual",
                     actor=None, post=post, basis_key="bench")
    one = Certificate.objects.select_related("employee__enterprise", "type", "post").get(pk=one.pk)
    print(f"pdf: load {load()}")
    render_certificate_pdf(one)  # warm-up: fonts, template compile
    times = []
    for _ in range(args.pdf_runs):
        t0 = time.perf_counter()
        pdf = render_certificate_pdf(one)
        times.append(time.perf_counter() - t0)
    pdf_median = statistics.median(times)
    print(f"one PDF: median {pdf_median * 1000:.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), "
          f"{len(pdf) // 1024} KiB — {'PASS' if pdf_median <= TARGET_PDF_SECONDS else 'FAIL'} "
          f"{pdf_median / TARGET_PDF_SECONDS:.2f} of target")

    # The batch, through the Celery task.
    induction_type = type_for(enterprise, CertificateKind.INDUCTION_COMPLETION)
    eager = bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
    print(f"batch: load {load()}, celery {'eager (in process)' if eager else 'worker'}")
    cpu0, t0 = time.process_time(), time.perf_counter()
    with transaction.atomic():
        batch = batch_create(enterprise=enterprise, type=induction_type, session_id=1, actor=None)
    while not IssuanceBatch.objects.get(pk=batch.pk).is_finished:
        time.sleep(0.5)
    batch_wall, batch_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    batch.refresh_from_db()
    size = batch.archive.size if batch.archive else 0
    print(f"batch of {batch.total}: {batch.status}, {batch.issued_count} issued, {len(batch.skipped)} skipped, "
          f"zip {size // 1024} KiB in {batch_wall:.1f} s (CPU here {batch_cpu:.1f} s) — "
          f"{'PASS' if batch_wall <= TARGET_BATCH_SECONDS else 'FAIL'} {batch_wall / TARGET_BATCH_SECONDS:.2f} of target")

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": commit.strip(),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPU, python {platform.python_version()}",
        "pdf_median_s": round(pdf_median, 3), "batch": args.batch, "batch_wall_s": round(batch_wall, 1),
        "batch_cpu_s": round(batch_cpu, 1), "celery": "eager" if eager else "worker", "load_end": load(),
    }
    print(json.dumps(result, ensure_ascii=False))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if pdf_median <= TARGET_PDF_SECONDS and batch_wall <= TARGET_BATCH_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
