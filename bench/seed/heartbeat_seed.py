"""python -m bench.seed.heartbeat_seed --learners N --fleet FILE [--minutes 600]

Data for the study heartbeat load test (bench/heartbeat.py): an enterprise
``bench-study`` with N learners, each a user with a logged-in session (a real
``django_session`` row, as after a password login) and a CSRF secret, one
platform course ``bench-heartbeat`` with one text lesson (no video, no check
question, ``--minutes`` minimum study time so that nobody completes it during
a run), and one live study session per learner opened through the real
service :func:`courses.services.study_start` (enrolment, lesson progress,
timing state). Writes the load generator's fleet file:
``{"interval": s, "learners": [{"session_id", "token", "sessionid", "csrftoken", "employee_no"}, …]}``.

Run it before every load run: the bench lesson's progress rows and study
sessions are deleted and opened afresh, login sessions are replaced; users,
employees, the course and the enrolments are created once and reused.

The timing rules come from the settings as usual, so run it (and the server)
with the same ``ANXUN_STUDY_*`` environment: bench/heartbeat.py sets a 2 s
heartbeat and presence checks a day away (an open-loop generator cannot
answer them).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils import timezone
from django.utils.crypto import get_random_string

from content.models import HomePage
from courses import services
from courses.models import CourseIndexPage, CoursePage, LessonPage, LessonProgress, StudySession
from lms.accounts.models import User
from lms.workforce.models import Employee, Enterprise, OrgUnit
from bench.seed.people import bench_people, bench_sessions
from lms.workforce.synthetic import make_credit_code

ENTERPRISE_CODE = "bench-study"
UNIT_CODE = "BENCH"
COURSE_SLUG = "bench-heartbeat"
SESSION_PREFIX = "bh"  # the bench's login session keys start with it (replaced on every seed)


def bench_lesson() -> LessonPage | None:
    course = CoursePage.objects.filter(slug=COURSE_SLUG).first()
    return None if course is None else LessonPage.objects.child_of(course).first()


class Command(BaseCommand):
    help = "压测数据：N 名已登录学员，每人一个进行中的学习会话（同一课时），并写出负载生成器的 fleet 文件。"

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, required=True, help="学员人数")
        parser.add_argument("--fleet", required=True, help="写出的 fleet JSON 文件")
        parser.add_argument("--minutes", type=int, default=600, help="课时最低学习时长（分钟，默认 600）")

    def handle(self, *args, learners, fleet, minutes, **options):
        if learners < 1:
            raise CommandError("--learners 至少为 1")
        started = time.perf_counter()
        now = timezone.now()
        with transaction.atomic():
            enterprise, unit = self._enterprise()
            lesson = self._lesson(minutes)
            employees = self._learners(enterprise, unit, learners)
            LessonProgress.objects.filter(lesson=lesson).delete()  # with their study sessions
            users = [e.user for e in employees]
            keys = self._logins(users, now)
        # The real service, one learner at a time (each its own transaction, as in production).
        sessions = [services.study_start(user=u, lesson=lesson, login_key=keys[u.pk], now=now) for u in users]
        identities = [
            {
                "session_id": s.pk,
                "token": str(s.token),
                "sessionid": keys[e.user_id],
                "csrftoken": get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS),
                "employee_no": e.employee_no,
            }
            for e, s in zip(employees, sessions, strict=True)
        ]
        with open(fleet, "w", encoding="utf-8") as fh:
            json.dump({"lesson_id": lesson.pk, "interval": settings.ANXUN_STUDY_HEARTBEAT_SECONDS,
                       "learners": identities}, fh)
        self.stdout.write(
            f"seeded {learners} learners with live study sessions on lesson {lesson.pk} in "
            f"{time.perf_counter() - started:.1f} s (heartbeat {settings.ANXUN_STUDY_HEARTBEAT_SECONDS} s); "
            f"fleet {fleet}"
        )

    # --- parts -----------------------------------------------------------------------------

    def _enterprise(self):
        enterprise = Enterprise.objects.filter(code=ENTERPRISE_CODE).first()
        if enterprise is None:
            enterprise = Enterprise(
                code=ENTERPRISE_CODE,
                name="压测企业（在线学习）",
                credit_code=make_credit_code(990002),
                industry="manufacturing",
                region_code="320505",
            )
            enterprise.full_clean()
            enterprise.save()
        unit, _created = OrgUnit.objects.get_or_create(
            enterprise=enterprise, code=UNIT_CODE, defaults={"kind": OrgUnit.Kind.COMPANY, "name": "压测学员"}
        )
        return enterprise, unit

    def _lesson(self, minutes: int) -> LessonPage:
        lesson = bench_lesson()
        if lesson is not None:
            if lesson.min_minutes != minutes:
                lesson.min_minutes = minutes
                lesson.save_revision().publish()
            return lesson
        home = HomePage.objects.order_by("path").first()
        if home is None:
            raise CommandError("没有首页（HomePage）：请先 migrate")
        index = CourseIndexPage.objects.child_of(home).first()
        if index is None:
            index = CourseIndexPage(title="在线课程", slug="courses")
            home.add_child(instance=index)
            index.save_revision().publish()
        course = CoursePage(title="压测课程：学习心跳", slug=COURSE_SLUG, category="refresher",
                            credit_hours=Decimal("1"), summary="压测用课程。", counts_as_assessment=False)
        index.add_child(instance=course)
        course.save_revision().publish()
        lesson = LessonPage(
            title="压测课时", slug="lesson-1", min_minutes=minutes,
            body=[{"type": "text", "value": "<p>压测课时：只有文字。</p>"}],
        )
        course.add_child(instance=lesson)
        lesson.save_revision().publish()
        return LessonPage.objects.get(pk=lesson.pk)

    def _learners(self, enterprise, unit, learners: int) -> list[Employee]:
        return bench_people(enterprise, unit, learners, username="bench-study", employee_no="BH", name="压测学员",
                            first_birth=dt.date(1975, 1, 1))

    def _logins(self, users: list[User], now) -> dict[int, str]:
        """A logged-in session per user; their earlier live study sessions end."""
        StudySession.objects.filter(user__in=users, status=StudySession.Status.LIVE).update(
            status=StudySession.Status.ENDED, ended_at=now
        )
        return bench_sessions(users, now, prefix=SESSION_PREFIX)


if __name__ == "__main__":
    from bench.seed import main

    main(Command, "bench.seed.heartbeat_seed")
