"""python -m bench.seed.exam_seed --users N --fleet FILE [--questions 60]

Data for the exam autosave load test (bench/exam_load.py): an enterprise
``bench-exam`` with N examinees, each a user with a logged-in session (a real
``django_session`` row, as after a password login) and a CSRF secret, one exam
on a fixed paper of Q fill-in questions, and one attempt in progress per
examinee (layout drawn by :func:`exams.services.paper_draw`, so shuffled as in
production). Writes the load generator's fleet file:
``{"examinees": [{"attempt_id", "token", "sessionid", "csrftoken", "employee_no"}, …]}``.

Run it before every load run: answers of the bench exam are deleted, attempts
are made afresh (new tokens, deadline two hours from now), sessions are
replaced; users and employees are created only once and reused. The bench's
questions have the fixed ids ``1 … Q`` so that the generator's question
number n (1…Q) is sent as the JSON integer id n, as the real page sends it
(the autosave takes only a JSON integer); the seed refuses a database where
one of those ids is another question (use a fresh database).

Refuses to run if the bench exam has a graded attempt (the archive keeps the
training records of graded attempts for ever: use a fresh database).
This writes with bulk_create, not through the services: it is bench data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

from exams import services
from exams.models import Attempt, AttemptAnswer, Exam, Paper, PaperQuestion, Question, QuestionBank, QuestionType
from exams.question_services import question_fingerprint
from lms.accounts.models import User
from lms.workforce.models import Employee, Enterprise, OrgUnit
from bench.seed.people import bench_people, bench_sessions
from lms.workforce.synthetic import make_credit_code

ENTERPRISE_CODE = "bench-exam"
UNIT_CODE = "BENCH"
EXAM_TITLE = "考试压测：自动保存"
# The bench questions' ids: QUESTION_BASE + n for n = 1 … Q (Q ≤ 99).
QUESTION_BASE = 0
SESSION_PREFIX = "bx"  # the bench's session keys start with it (replaced on every seed)
MAX_QUESTIONS = 99


def question_id_template() -> str:
    """The target-spec template that sends the generator's {question} (1…Q) as the bench question id,
    a JSON integer (a template that is exactly "{name}" keeps the value's type)."""
    return "{question}"


class Command(BaseCommand):
    help = "压测数据：N 名已登录考生、一场 Q 道填空题的考试、每人一份进行中的答卷，并写出负载生成器的 fleet 文件。"

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, required=True, help="考生人数")
        parser.add_argument("--fleet", required=True, help="写出的 fleet JSON 文件")
        parser.add_argument("--questions", type=int, default=60, help="试卷题数（1–99，默认 60）")
        parser.add_argument("--duration", type=int, default=120, help="考试时长（分钟，默认 120）")
        parser.add_argument("--seed", type=int, default=1, help="乱序的随机种子")

    def handle(self, *args, users, fleet, questions, duration, seed, **options):
        if users < 1:
            raise CommandError("--users 至少为 1")
        if not 1 <= questions <= MAX_QUESTIONS:
            raise CommandError(f"--questions 应在 1 到 {MAX_QUESTIONS} 之间")
        started = time.perf_counter()
        now = timezone.now()
        with transaction.atomic():
            enterprise, unit = self._enterprise()
            exam = self._exam(enterprise, questions, duration, now)
            employees = self._examinees(enterprise, unit, users)
            attempts = self._attempts(exam, employees, now, random.Random(seed))
            sessions = self._sessions([e.user for e in employees], now)
        identities = [
            {
                "attempt_id": a.pk,
                "token": a.token,
                "sessionid": sessions[e.user_id],
                "csrftoken": get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS),
                "employee_no": e.employee_no,
            }
            for e, a in zip(employees, attempts, strict=True)
        ]
        with open(fleet, "w", encoding="utf-8") as fh:
            json.dump({"exam_id": exam.pk, "questions": questions, "examinees": identities}, fh)
        self.stdout.write(
            f"seeded {users} examinees, exam {exam.pk} ({questions} questions) in "
            f"{time.perf_counter() - started:.1f} s; fleet {fleet}"
        )

    # --- parts -----------------------------------------------------------------------------

    def _enterprise(self):
        enterprise = Enterprise.objects.filter(code=ENTERPRISE_CODE).first()
        if enterprise is None:
            enterprise = Enterprise(
                code=ENTERPRISE_CODE,
                name="压测企业（考试）",
                credit_code=make_credit_code(990001),
                industry="manufacturing",
                region_code="320505",
            )
            enterprise.full_clean()
            enterprise.save()
        unit, _created = OrgUnit.objects.get_or_create(
            enterprise=enterprise, code=UNIT_CODE, defaults={"kind": OrgUnit.Kind.COMPANY, "name": "压测考生"}
        )
        return enterprise, unit

    def _exam(self, enterprise, count: int, duration: int, now) -> Exam:
        bank, _created = QuestionBank.objects.get_or_create(enterprise=enterprise, name="压测题库")
        wanted = {QUESTION_BASE + n for n in range(1, count + 1)}
        have = set(Question.objects.filter(pk__in=wanted, bank=bank).values_list("pk", flat=True))
        if Question.objects.filter(pk__in=wanted - have).exists():
            raise CommandError("压测题目的编号 1…Q 已被其他题目占用：请使用新的数据库")
        new = []
        for pk in sorted(wanted - have):
            stem = f"压测填空题 {pk - QUESTION_BASE}：安全生产方针是安全第一、（ ）为主、综合治理。"
            new.append(
                Question(
                    pk=pk,
                    bank=bank,
                    type=QuestionType.FILL_BLANK,
                    stem=stem,
                    answer=[["预防"]],
                    explanation="压测题：十二字方针。",
                    fingerprint=question_fingerprint(QuestionType.FILL_BLANK, stem, []),
                )
            )
        Question.objects.bulk_create(new)
        if new:  # explicit ids: move the table's id sequence past them (PostgreSQL)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Question]):
                    cursor.execute(sql)
        name = f"压测试卷（{count} 题）"
        paper = Paper.objects.filter(enterprise=enterprise, name=name).first()
        if paper is None:
            paper = Paper.objects.create(enterprise=enterprise, name=name, kind=Paper.Kind.FIXED)
            PaperQuestion.objects.bulk_create(
                PaperQuestion(paper=paper, question_id=pk, points=1, position=pk - QUESTION_BASE)
                for pk in sorted(wanted)
            )
        window = {"opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(days=7)}
        exam = Exam.objects.filter(enterprise=enterprise, paper=paper, title=EXAM_TITLE).first()
        if exam is None:
            exam = services.exam_create(
                enterprise=enterprise,
                actor=None,
                paper=paper,
                title=EXAM_TITLE,
                duration_minutes=duration,
                pass_score=60,
                attempts_allowed=1,
                audience={"units": [UNIT_CODE]},
                **window,
            )
        else:
            Exam.objects.filter(pk=exam.pk).update(duration_minutes=duration, **window)
            exam.refresh_from_db()
        return exam

    def _examinees(self, enterprise, unit, users: int) -> list[Employee]:
        return bench_people(enterprise, unit, users, username="bench-exam", employee_no="BX", name="压测考生",
                            first_birth=dt.date(1970, 1, 1))

    def _attempts(self, exam: Exam, employees: list[Employee], now, rng: random.Random) -> list[Attempt]:
        if Attempt.objects.filter(exam=exam).exclude(status=Attempt.Status.IN_PROGRESS).exists():
            raise CommandError("压测考试已有交卷的答卷（档案记录不可删除）：请使用新的数据库")
        AttemptAnswer.objects.filter(attempt__exam=exam).delete()
        Attempt.objects.filter(exam=exam).delete()
        deadline = Attempt.deadline_for(exam, now)
        attempts = [
            Attempt(
                exam=exam,
                employee=e,
                number=1,
                started_at=now,
                deadline=deadline,
                layout=services.paper_draw(exam.paper, rng),
                token=secrets.token_urlsafe(24),
            )
            for e in employees
        ]
        Attempt.objects.bulk_create(attempts, batch_size=1000)
        by_employee = {a.employee_id: a for a in Attempt.objects.filter(exam=exam).only("pk", "token", "employee_id")}
        return [by_employee[e.pk] for e in employees]

    def _sessions(self, users: list[User], now) -> dict[int, str]:
        return bench_sessions(users, now, prefix=SESSION_PREFIX)


if __name__ == "__main__":
    from bench.seed import main

    main(Command, "bench.seed.exam_seed")
