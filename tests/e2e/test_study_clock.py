"""The study clock as a learner meets it on a phone, against the live server
(the rules themselves are unit-tested with a fake clock in
tests/courses/test_timing.py; here the real player, heartbeats and server):

- a presence check pops up at a random moment; answered, the clock goes on;
  left unanswered past its time, the clock stops until it is answered;
- a video lesson counts only while the video plays, cannot be skipped
  ahead, and is done once the video is watched and the time studied;
- opening the lesson in a second tab stops the first one.

Times are shortened as in test_online_learning (one study minute is one
second, a heartbeat every second)."""

import base64
import os
import time

import pytest

from courses import services
from courses.models import LessonProgress, StudySession
from lms.archive.models import TrainingRecord
from tests.courses.conftest import add_video_lesson, lesson_of, make_video
from tests.e2e.conftest import log_in
from tests.factories import make_course

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/e2e-study-{}.png"
VIDEO_SECONDS = 6

# Chromium records a short WebM of a changing colour (MediaRecorder on a
# canvas): a real, playable video without a media toolchain on the machine.
RECORD_WEBM = """async (seconds) => {
    const canvas = document.createElement("canvas");
    canvas.width = 160; canvas.height = 90;
    const ctx = canvas.getContext("2d");
    const recorder = new MediaRecorder(canvas.captureStream(10), {mimeType: "video/webm;codecs=vp8"});
    const chunks = [];
    recorder.ondataavailable = (event) => chunks.push(event.data);
    const t0 = performance.now();
    const paint = setInterval(() => {
        ctx.fillStyle = `hsl(${Math.floor((performance.now() - t0) / 10) % 360}, 80%, 50%)`;
        ctx.fillRect(0, 0, 160, 90);
    }, 50);
    recorder.start(200);
    await new Promise((done) => setTimeout(done, seconds * 1000));
    const stopped = new Promise((done) => { recorder.onstop = done; });
    recorder.stop();
    await stopped;
    clearInterval(paint);
    const blob = new Blob(chunks, {type: "video/webm"});
    return await new Promise((done) => {
        const reader = new FileReader();
        reader.onload = () => done(reader.result.split(",")[1]);
        reader.readAsDataURL(blob);
    });
}"""


def owed_course(worker, **course):
    """A workshop-level course the worker owes, enrolled from the obligation."""
    course = make_course(category="induction_workshop", credit_hours=1, **course)
    assert services.enrolments_from_obligations(employee_ids=[worker.employee.pk]) == 1
    return course


def studied(worker, lesson) -> int:
    return LessonProgress.objects.get(enrolment__employee=worker.employee, lesson=lesson).seconds


def live_session(worker) -> StudySession:
    return StudySession.objects.get(user=worker, status=StudySession.Status.LIVE)


def beats_after(session: StudySession, n: int, *, timeout: float = 20.0) -> None:
    """Wait until the server has accepted ``n`` more heartbeats of ``session``."""
    deadline = time.monotonic() + timeout
    while StudySession.objects.get(pk=session.pk).seq < session.seq + n:
        assert time.monotonic() < deadline, f"fewer than {n} heartbeats accepted in {timeout} s"
        time.sleep(0.2)


def test_a_presence_check_left_unanswered_stops_the_clock_until_answered(
    phone, live_server, short_study, settings, worker
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.ANXUN_STUDY_PRESENCE_MIN_SECONDS = 3
    settings.ANXUN_STUDY_PRESENCE_MAX_SECONDS = 4
    settings.ANXUN_STUDY_PRESENCE_ANSWER_SECONDS = 3
    lesson = lesson_of(owed_course(worker, min_minutes=600))
    page = phone
    log_in(page, live_server.url, worker)
    page.goto(f"{live_server.url}{lesson.url}")
    dialog = page.locator("#presence-dialog")
    status = page.locator("#study-status")

    # The first check: answered in time, the clock goes on.
    dialog.wait_for(state="visible", timeout=20000)
    assert "请在 3 秒内点击“继续学习”" in dialog.inner_text()
    page.screenshot(path=SCREENSHOTS.format("presence"), full_page=True)
    dialog.get_by_role("button", name="继续学习").click()
    dialog.wait_for(state="hidden")
    status.filter(has_text="正在计时").wait_for()

    # The next check, left alone: past its 3 s the clock stops, on the screen and on the server.
    dialog.wait_for(state="visible", timeout=20000)
    status.filter(has_text="未及时确认在学").wait_for(timeout=20000)
    stopped_at = page.locator("#study-time").inner_text()
    credited = studied(worker, lesson)
    # Three more heartbeats while the prompt waits earn nothing.
    beats_after(live_session(worker), 3)
    assert page.locator("#study-time").inner_text() == stopped_at
    assert studied(worker, lesson) == credited
    assert dialog.is_visible()

    # Answered late, the clock starts again.
    dialog.get_by_role("button", name="继续学习").click()
    status.filter(has_text="正在计时").wait_for(timeout=10000)
    page.wait_for_function(f"() => document.getElementById('study-time').textContent !== {stopped_at!r}",
                           timeout=10000)
    assert studied(worker, lesson) > credited


@pytest.fixture
def webm(browser):
    """A real WebM of VIDEO_SECONDS seconds, recorded by chromium itself."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto("about:blank")
        return base64.b64decode(page.evaluate(RECORD_WEBM, VIDEO_SECONDS))
    finally:
        context.close()


def test_a_video_lesson_counts_while_playing_cannot_be_skipped_and_completes_when_watched(
    phone, live_server, short_study, worker, webm
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    course = owed_course(worker, lessons=0)
    lesson = add_video_lesson(course, make_video(VIDEO_SECONDS, data=webm, ext="webm"), min_minutes=4)
    page = phone
    # The video comes through the private media view (/media/…: login, byte ranges), as it would in production.
    assert lesson.videos()[0]["video"].url.startswith("/media/")
    log_in(page, live_server.url, worker)
    page.goto(f"{live_server.url}{lesson.url}")
    status = page.locator("#study-status")
    video = page.locator("video.study-video")

    # Not playing: the clock waits.
    status.filter(has_text="视频未播放").wait_for(timeout=20000)
    beats_after(live_session(worker), 2)
    assert studied(worker, lesson) == 0

    # Playing (muted, as a phone may autoplay): the clock runs.
    video.evaluate("v => { v.muted = true; return v.play(); }")
    status.filter(has_text="正在计时").wait_for(timeout=10000)
    page.wait_for_function("() => document.querySelector('video.study-video').currentTime > 1", timeout=10000)

    # A jump past what was watched is put back by the player.
    video.evaluate(f"v => {{ v.currentTime = {VIDEO_SECONDS - 0.5}; }}")
    page.wait_for_function(f"() => document.querySelector('video.study-video').currentTime < {VIDEO_SECONDS - 2}",
                           timeout=5000)
    page.screenshot(path=SCREENSHOTS.format("video"), full_page=True)

    # Watched to the end and the 4 minutes (seconds here) studied: the lesson is done, the record written.
    page.locator("#lesson-done").wait_for(state="visible", timeout=40000)
    assert status.inner_text() == "本课时已学完"
    progress = LessonProgress.objects.get(enrolment__employee=worker.employee, lesson=lesson)
    assert progress.completed_at is not None and progress.seconds >= lesson.required_seconds
    assert progress.max_position >= VIDEO_SECONDS - 2
    assert progress.revision_id == lesson.live_revision_id
    record = TrainingRecord.objects.get(employee=worker.employee)
    assert (record.source, record.level, record.title) == ("online", "workshop", course.title)


def test_opening_the_lesson_in_a_second_tab_stops_the_first(phone, live_server, short_study, worker):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    lesson = lesson_of(owed_course(worker, min_minutes=600))
    first = phone
    log_in(first, live_server.url, worker)
    first.goto(f"{live_server.url}{lesson.url}")
    first.locator("#study-status", has_text="正在计时").wait_for(timeout=20000)

    second = first.context.new_page()
    second.goto(f"{live_server.url}{lesson.url}")
    second.locator("#study-status", has_text="正在计时").wait_for(timeout=20000)

    # The first tab is told, and earns no more; the second one studies on.
    first.locator("#gone-box").wait_for(state="visible", timeout=10000)
    assert "已在其他页面或设备学习" in first.locator("#gone-message").inner_text()
    first.screenshot(path=SCREENSHOTS.format("second-tab"), full_page=True)
    sessions = StudySession.objects.filter(user=worker).order_by("pk")
    assert [s.status for s in sessions] == ["superseded", "live"]
    gone = sessions[0]
    beats_after(sessions[1], 3)
    assert StudySession.objects.get(pk=gone.pk).credited == gone.credited

    # Back on the first tab, 在此页面继续学习 takes the clock back.
    first.get_by_role("button", name="在此页面继续学习").click()
    first.locator("#study-status", has_text="正在计时").wait_for(timeout=10000)
    second.locator("#gone-box").wait_for(state="visible", timeout=10000)
    assert StudySession.objects.filter(user=worker, status="live").count() == 1
