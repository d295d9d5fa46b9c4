"""python -m bench.seed.exam_verify --log REQUESTS.jsonl [--submitted]

Checks the database after an autosave load run (bench/exam_load.py) against
the load generator's per-request log (one JSON line per request: ``u``, ``s``,
``ok``, ``st``, ``err``, ``vars``). Prints one JSON line, the last line of
output, as the floor driver expects: ``{"lost": n, "duplicated": n, …}``.

Autosave, per (attempt, question) key: the saved answer must be the one of the
latest acknowledged (2xx) request for that key — each request sends a unique
answer (``<run>-u<user>-s<seq>|…``), so an older or foreign value is caught.
Earlier acknowledgements are superseded by design (the latest save wins). A
key whose later send failed without a 4xx (timeout, 5xx, reset) may hold that
newer value: counted as ``ambiguous``, not lost.

- ``lost``: acknowledged keys whose row is missing or holds neither the last
  acknowledged answer nor an allowed ambiguous one;
- ``duplicated``: (attempt, question) pairs with more than one row;
- ``phantom``: rows of the bench exam whose key never appeared in the log.

With ``--submitted`` (after every attempt was submitted, replays included):
every bench attempt must be graded exactly once — status 已评分, one training
record whose source is that attempt and which the attempt points at, one
answer row per question of its layout (unanswered ones get a 0-point row) —
and the answers must still be the ones verified above (``regraded``,
``ungraded``, ``records_missing``, ``records_extra``, ``answer_rows_wrong``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from exams.models import Attempt, AttemptAnswer, Exam
from lms.archive.models import TrainingRecord

from bench.seed.exam_seed import ENTERPRISE_CODE, EXAM_TITLE, QUESTION_BASE


def _maybe_written(rec) -> bool:
    # A 4xx is a clean refusal; anything else that is not a 2xx may have committed.
    st = rec.get("st")
    return not rec["ok"] and not (st is not None and 400 <= st < 500)


class Command(BaseCommand):
    help = "核对压测后的数据库：已确认保存的答案一条不少、一条不重复（输出一行 JSON）。"

    def add_arguments(self, parser):
        parser.add_argument("--log", required=True, help="负载生成器的请求日志（JSON lines）")
        parser.add_argument("--submitted", action="store_true", help="同时核对每份答卷只评分一次、档案记录一条")

    def handle(self, *args, log, submitted, **options):
        exam = Exam.objects.filter(enterprise__code=ENTERPRISE_CODE, title=EXAM_TITLE).first()
        if exam is None:
            raise CommandError("没有压测考试：请先运行 python -m bench.seed.exam_seed")
        recs = []
        with open(log, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    recs.append(json.loads(line))
        out = self.autosave(exam, recs)
        if submitted:
            out.update(self.grading(exam))
        problems = ("lost", "duplicated", "phantom", "ungraded", "regraded", "records_missing", "records_extra",
                    "answer_rows_wrong")
        out["ok"] = all(not out.get(k) for k in problems)
        self.stdout.write(json.dumps(out, ensure_ascii=False))

    def autosave(self, exam, recs) -> dict:
        by_key = defaultdict(list)
        for r in recs:
            v = r["vars"]
            by_key[(int(v["attempt_id"]), QUESTION_BASE + int(v["question"]))].append(r)
        answers = AttemptAnswer.objects.filter(attempt__exam=exam)
        db = {}
        for attempt_id, question_id, response in answers.values_list("attempt_id", "question_id", "response").iterator():
            db[(attempt_id, question_id)] = response[0] if response else None
        duplicated = (
            answers.values("attempt_id", "question_id").annotate(n=Count("id")).filter(n__gt=1).count()
        )
        lost = ambiguous = acked_keys = 0
        examples = []
        for key, rs in by_key.items():
            oks = [r for r in rs if r["ok"]]
            if not oks:
                continue
            acked_keys += 1
            last = max(oks, key=lambda r: r["s"])
            allowed = {last["vars"]["answer"]}
            later_maybe = [r for r in rs if _maybe_written(r) and r["s"] > last["s"]]
            if later_maybe:
                ambiguous += 1
                allowed.update(r["vars"]["answer"] for r in later_maybe)
            if db.get(key) not in allowed:
                lost += 1
                if len(examples) < 5:
                    examples.append({"key": key, "db": (db.get(key) or "")[:40], "want": last["vars"]["answer"][:40]})
        # Rows nobody sent (0-point rows written for unanswered questions at grading are not phantoms).
        phantom = sum(1 for k, v in db.items() if k not in by_key and v is not None)
        statuses = Counter(r["st"] for r in recs)
        return {
            "kind": "exam-autosave",
            "requests": len(recs),
            "acked_requests": sum(1 for r in recs if r["ok"]),
            "acked_keys": acked_keys,
            "rows": len(db),
            "lost": lost,
            "duplicated": duplicated,
            "phantom": phantom,
            "ambiguous": ambiguous,
            "status_counts": {str(k): n for k, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
            "examples": examples,
        }

    def grading(self, exam) -> dict:
        attempts = list(
            Attempt.objects.filter(exam=exam).values("id", "status", "record_id", "graded_at", "layout")
        )
        records = Counter(
            TrainingRecord.objects.filter(source_ref__startswith=f"exam:{exam.pk}/attempt:").values_list(
                "source_ref", flat=True
            )
        )
        rows = dict(
            AttemptAnswer.objects.filter(attempt__exam=exam)
            .values("attempt_id")
            .annotate(n=Count("id"))
            .values_list("attempt_id", "n")
        )
        linked = dict(
            TrainingRecord.objects.filter(source_ref__startswith=f"exam:{exam.pk}/attempt:").values_list(
                "pk", "source_ref"
            )
        )
        ungraded = regraded = missing = wrong_rows = 0
        for a in attempts:
            ref = f"exam:{exam.pk}/attempt:{a['id']}"
            if a["status"] != Attempt.Status.GRADED or a["graded_at"] is None:
                ungraded += 1
                continue
            n = records.get(ref, 0)
            if n == 0 or linked.get(a["record_id"]) != ref:
                missing += 1
            regraded += max(0, n - 1)
            if rows.get(a["id"], 0) != len(a["layout"] or []):
                wrong_rows += 1
        known = {f"exam:{exam.pk}/attempt:{a['id']}" for a in attempts}
        return {
            "attempts": len(attempts),
            "graded": sum(1 for a in attempts if a["status"] == Attempt.Status.GRADED),
            "ungraded": ungraded,
            "regraded": regraded,
            "records_missing": missing,
            "records_extra": sum(n for ref, n in records.items() if ref not in known),
            "answer_rows_wrong": wrong_rows,
        }


if __name__ == "__main__":
    from bench.seed import main

    main(Command, "bench.seed.exam_verify")
