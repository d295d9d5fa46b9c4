"""The learner's pages and the player's JSON endpoints. Thin: each calls one
service and renders or answers JSON. Courses of other enterprises answer 404."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lms import jsonbody

from . import selectors, services, timing
from .models import CoursePage, LessonPage

MAX_BODY = 4096
MAX_DEPTH = 4  # a heartbeat or an answer: one object, lists of choices
MAX_SEQ = 2**31 - 1  # StudySession.seq is a PositiveIntegerField


def _visible_course_or_404(request, pk) -> CoursePage:
    course = get_object_or_404(CoursePage.objects.live(), pk=pk)
    if not course.is_visible_to(request.user):
        raise Http404
    return course


def _visible_lesson_or_404(request, pk) -> LessonPage:
    lesson = get_object_or_404(LessonPage.objects.live(), pk=pk)
    if not lesson.get_course().is_visible_to(request.user):
        raise Http404
    return lesson


def _json_body(request) -> dict:
    """The JSON object of a player request; jsonbody.BadRequest (a
    ValidationError) if the body is not one."""
    return jsonbody.parse(request, max_bytes=MAX_BODY, max_depth=MAX_DEPTH, empty={})


def _errors(exc: ValidationError, status=400) -> JsonResponse:
    """A refusal in the one error shape ``{"detail", "code", "errors"}``
    (non-field errors under ``__all__``)."""
    if isinstance(exc, jsonbody.BadRequest):
        # The player shows errors["__all__"] for a refusal that names no field.
        errors = exc.errors or {"__all__": [exc.detail]}
        return jsonbody.error_response(exc.detail, exc.code, errors, status=exc.status)
    if hasattr(exc, "error_dict"):
        errors = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    detail = "；".join(errors["__all__"]) if list(errors) == ["__all__"] else _("请求数据有误")
    return jsonbody.error_response(detail, getattr(exc, "code", None) or "invalid", errors, status=status)


def _forbidden(exc: PermissionDenied) -> JsonResponse:
    return jsonbody.error_response(str(exc), "permission_denied", {"__all__": [str(exc)]}, status=403)


def _gone(exc: ValidationError, status: int) -> JsonResponse:
    """The study session cannot go on: the player stops (``gone``) and says why."""
    message = exc.messages[0]
    return jsonbody.error_response(message, exc.code, None, status=status, gone=True, reason=exc.code, message=message)


@login_required
@require_GET
def my_learning(request):
    """我的学习: obligations with progress, my courses, hours this year, records."""
    return render(request, "courses/my_learning.html", selectors.portal_summary(request.user))


@login_required
@require_POST
def course_enrol(request, pk):
    """自主选学: enrol in a course open to me, then go to it."""
    course = _visible_course_or_404(request, pk)
    try:
        services.enrolment_for(user=request.user, course=course)
    except PermissionDenied as exc:
        return render(request, "courses/denied.html", {"message": str(exc)}, status=403)
    return redirect(course.url)


@login_required
def lesson_player(request, lesson: LessonPage):
    """The lesson player (LessonPage.serve)."""
    course = lesson.get_course()
    if not course.is_visible_to(request.user):
        raise Http404
    try:
        enrolment = services.enrolment_for(user=request.user, course=course, create=False)
    except PermissionDenied:
        return redirect(course.url)
    progress = services._progress_for(enrolment, lesson)
    lessons = list(course.get_lessons().only("pk", "title", "path", "url_path", "depth"))
    index = next((i for i, item in enumerate(lessons) if item.pk == lesson.pk), 0)
    rules = timing.Rules.from_settings()
    questions = [
        {"id": block_id, "prompt": value["prompt"], "multiple": sum(1 for c in value["choices"] if c["correct"]) > 1,
         "choices": [c["text"] for c in value["choices"]], "answered": block_id in progress.answers,
         "explanation": value["explanation"] if block_id in progress.answers else ""}
        for block_id, value in lesson.questions()
    ]
    by_id = {q["id"]: q for q in questions}
    config = {
        "start": reverse("courses:study_start", args=[lesson.pk]),
        "heartbeat": reverse("courses:heartbeat"),
        "answer": reverse("courses:lesson_answer", args=[lesson.pk]),
        "interval": rules.interval,
        "idleLimit": rules.idle,
        "required": lesson.required_seconds,
        "seconds": progress.seconds,
        "maxPosition": progress.max_position,
        "completed": progress.completed_at is not None,
        "text": {
            "offline": _("网络中断，暂停计时，恢复后自动继续"),
            "done": _("本课时已学完"),
            "chooseAnswer": _("请选择答案"),
            "answerQuestions": _("学习时长已达到要求，请完成本课时的随堂测验"),
            "correct": _("回答正确"),
            "minutes": _("分"),
            "seconds": _("秒"),
            "error": _("出错了，请刷新页面"),
        },
    }
    context = {
        "page": lesson,
        "self": lesson,
        "course": course,
        "enrolment": enrolment,
        "progress": progress,
        "parts": [
            {"type": block.block_type, "block": block, "question": by_id.get(block.id)} for block in lesson.body
        ],
        "question_count": len(questions),
        "presence_seconds": rules.presence_answer,
        "player_config": config,
        "previous_lesson": lessons[index - 1] if index > 0 else None,
        "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
        "lesson_no": index + 1,
        "lesson_total": len(lessons),
    }
    return render(request, "courses/lesson_page.html", context)


@login_required
@require_POST
def study_start(request, pk):
    lesson = _visible_lesson_or_404(request, pk)
    try:
        session = services.study_start(user=request.user, lesson=lesson, login_key=request.session.session_key or "")
    except PermissionDenied as exc:
        return _forbidden(exc)
    return JsonResponse({"token": str(session.token), "seq": session.seq, "interval": timing.Rules.from_settings().interval,
                         "max_position": session.max_position, "seconds": session.progress.seconds,
                         "required_seconds": session.required_seconds})


def _beat_from(data: dict) -> timing.Beat:
    errors = {}

    def number(name, *, required=False, integer=False):
        value = data.get(name)
        if value is None:
            if required:
                errors[name] = [_("必填")]
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors[name] = [_("应为数字")]
            return None
        if integer and (not isinstance(value, int) or not 0 <= value <= MAX_SEQ):
            errors[name] = [_("应为非负整数")]
            return None
        if value != value or value in (float("inf"), float("-inf")) or value < 0:
            errors[name] = [_("应为非负数")]
            return None
        return value

    seq = number("seq", required=True, integer=True)
    position = number("position")
    duration = number("duration")
    idle = number("idle")
    nonce = data.get("presence") or ""
    if not isinstance(nonce, str) or len(nonce) > 64:
        errors["presence"] = [_("格式错误")]
    for flag in ("visible", "playing"):
        if flag in data and not isinstance(data[flag], bool):
            errors[flag] = [_("应为 true 或 false")]
    if errors:
        raise ValidationError({k: v[0] for k, v in errors.items()})
    return timing.Beat(seq=seq, visible=data.get("visible", True), playing=data.get("playing", False),
                       position=position, duration=duration, idle_seconds=idle or 0, presence_nonce=nonce)


@require_POST
def heartbeat(request):
    """The player's heartbeat when courses.speed did not answer it (no
    login, a malformed body, a login it could not confirm cheaply): the same
    reply through the whole middleware stack."""
    if not request.user.is_authenticated:
        message = _("请先登录")
        return jsonbody.error_response(message, "not_authenticated", {"__all__": [message]}, status=401, gone=True)

    def apply():
        token, beat = heartbeat_body(request)
        return services.study_heartbeat(user=request.user, token=token, beat=beat,
                                        login_key=request.session.session_key or "")

    return heartbeat_answer(apply)


def heartbeat_body(request) -> tuple[uuid.UUID, timing.Beat]:
    """The study session token and the beat of a heartbeat; ValidationError
    if the body is not one."""
    data = _json_body(request)
    try:
        token = uuid.UUID(str(data.get("token", "")))
    except ValueError:
        raise ValidationError({"token": _("学习会话无效")}) from None
    return token, _beat_from(data)


def heartbeat_answer(apply) -> JsonResponse:
    """The JSON reply to ``apply()`` (a services heartbeat call): 200 credited,
    409 refused or the session gone, 404 no such session, 400 field errors."""
    try:
        reply = apply()
    except services.SessionGone as exc:
        return _gone(exc, 409)
    except services.StudyError as exc:
        if exc.code == "not_found":
            return _gone(exc, 404)
        return _errors(exc)
    except ValidationError as exc:
        return _errors(exc)
    if not reply["accepted"]:  # refused (e.g. out of order): also in the one error shape
        reply = {**jsonbody.error_body(reply.get("message", ""), reply.get("reason") or "refused"), **reply}
        return JsonResponse(reply, status=409)
    return JsonResponse(reply)


@login_required
@require_POST
def lesson_answer(request, pk):
    lesson = _visible_lesson_or_404(request, pk)
    try:
        data = _json_body(request)
        choices = data.get("choices")
        if not isinstance(choices, list) or len(choices) > 8:
            raise ValidationError({"choices": _("请选择答案")})
        block_id = data.get("question")
        if not isinstance(block_id, str) or not block_id:
            raise ValidationError({"question": _("题目不存在或已更新，请刷新页面")})
        reply = services.lesson_answer(user=request.user, lesson=lesson, block_id=block_id, choices=choices)
    except PermissionDenied as exc:
        return _forbidden(exc)
    except ValidationError as exc:
        return _errors(exc)
    return JsonResponse(reply)

