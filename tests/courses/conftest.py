"""Online-learning world (enterprise B, general industry: 24 学时 induction,
8 per level, assessment required):

- ``worker``: 张三, hired 2026-11-02 in B's team 甲班, owes the three levels;
- ``course``: a platform 车间级安全教育 of 8 学时, one lesson of 360 study
  minutes with one check question, counting as the assessment;
- study minutes are shortened to one second (``ANXUN_STUDY_MINUTE_SECONDS``),
  so 1 学时 = 45 s of server-measured study; heartbeats stay at 30 s.

Times are explicit: ``T0`` is 2026-11-10 09:00 in Shanghai.
"""

import datetime as dt
import random
import uuid
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from courses import services, timing
from courses.models import LessonPage
from tests.factories import lesson_body, make_course
from tests.factories import make_worker

T0 = timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0))
QUESTION = ("进入车间作业前，首先应当做的是：", [("了解本车间的危险区域和安全警示标志", True), ("直接开始操作设备", False)])
STUDY_SECONDS = 360  # 8 学时 at 45 s each


@pytest.fixture(autouse=True)
def short_minutes(settings):
    settings.ANXUN_STUDY_MINUTE_SECONDS = 1
    settings.ANXUN_STUDY_HEARTBEAT_SECONDS = 30
    settings.ANXUN_STUDY_HEARTBEAT_SLACK_SECONDS = 15
    settings.ANXUN_STUDY_PRESENCE_MIN_SECONDS = 100000  # presence checks are timing's tests
    settings.ANXUN_STUDY_PRESENCE_MAX_SECONDS = 100000
    settings.ANXUN_STUDY_DAILY_CAP_MINUTES = 480


@pytest.fixture
def worker(ent_b, tree_b):
    return make_worker(ent_b, tree_b[2], "张三", "W001")


@pytest.fixture
def learner(worker):
    return worker.user


@pytest.fixture
def course(db):
    return make_course(title="车间级安全教育（通用）", category="induction_workshop", credit_hours=Decimal("8"),
                       min_minutes=STUDY_SECONDS, question=QUESTION, counts_as_assessment=True)


def lesson_of(course, n=1) -> LessonPage:
    return list(course.get_lessons())[n - 1].specific


@pytest.fixture
def lesson(course):
    return lesson_of(course)


def question_id(lesson) -> str:
    return lesson.questions()[0][0]


def make_video(duration=60.0, *, data=b"\x00" * 16, ext="mp4"):
    """A wagtailmedia video of ``duration`` s; its file is ``data`` (placeholder bytes unless given)."""
    from wagtailmedia.models import get_media_model

    Media = get_media_model()
    media = Media(title="安全警示视频", type="video", duration=duration)
    media.file.save(f"v-{uuid.uuid4().hex[:6]}.{ext}", ContentFile(data), save=False)
    media.save()
    return media


def add_video_lesson(course, media, *, min_minutes=60):
    body = [{"type": "video", "value": {"video": media.pk, "caption": ""}, "id": str(uuid.uuid4())}]
    body += lesson_body(question=None)
    lesson = LessonPage(title="视频课", slug=f"video-{uuid.uuid4().hex[:6]}", min_minutes=min_minutes, body=body)
    course.add_child(instance=lesson)
    lesson.save_revision().publish()
    return LessonPage.objects.get(pk=lesson.pk)


class Learner:
    """One tab studying a lesson on the fake clock, through the services."""

    def __init__(self, user, lesson, *, now=T0, login_key="login-1", seed=3):
        self.user, self.lesson, self.now, self.login_key = user, lesson, now, login_key
        self.rng = random.Random(seed)
        self.session = services.study_start(user=user, lesson=lesson, login_key=login_key, now=now, rng=self.rng)
        self.seq = 0

    def beat(self, after=30, *, seq=None, **fields) -> dict:
        self.now += dt.timedelta(seconds=after)
        seq = self.seq + 1 if seq is None else seq
        reply = services.study_heartbeat(user=self.user, token=self.session.token, beat=timing.Beat(seq=seq, **fields),
                                         login_key=self.login_key, now=self.now, rng=self.rng)
        if reply["accepted"]:
            self.seq = reply["seq"]
        return reply

    def study(self, seconds, **fields) -> dict:
        """Heartbeats every 30 s until ``seconds`` more are credited."""
        reply = self.beat(0, **fields)
        target = reply["seconds"] + seconds
        for _ in range(seconds // 30 + 3):
            if reply["seconds"] >= target or reply["completed"]:
                break
            reply = self.beat(30, **fields)
        return reply


def answer(user, lesson, now=None):
    return services.lesson_answer(user=user, lesson=lesson, block_id=question_id(lesson), choices=[0], now=now)
