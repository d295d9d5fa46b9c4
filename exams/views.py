"""The examinee's pages (我的考试): the list, an exam's start page, the
answering page with its autosave endpoint, submission, the result and the
review. Thin views: a ``_get_<obj>_for_user`` helper (404 for anything that
is not the user's own), one service call, render or redirect.

Attempts are found through the examinee's own employee records only — never
through the back-office scope — so a principal or HR user cannot open another
person's answering page here. Nothing rendered before grading carries an
answer key or an explanation: the pages get plain dicts built from the
layout, never Question objects."""

from __future__ import annotations

import hmac

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from lms import jsonbody
from lms.kernel.errors import refusal_text
from lms.workforce.models import Employee

from . import selectors, services
from .models import Attempt, AttemptAnswer, Exam, Question, QuestionType

# HTTP status for each refusal of an autosave.
SAVE_ERROR_STATUS = {"bad_token": 403, "submitted": 409, "late": 400, "unknown_question": 400, "bad_response": 400}
MAX_SAVE_BODY = 16 * 1024
# {"response": [...]}: an object holding a list of strings or booleans.
MAX_SAVE_DEPTH = 4


def _now():
    return timezone.now()


def _get_attempt_for_user(request, pk: int) -> Attempt:
    """The user's own attempt, else 404 (another person's attempt does not exist for them)."""
    return get_object_or_404(
        Attempt.objects.select_related("exam__paper", "exam__enterprise", "employee"),
        pk=pk,
        employee__user=request.user,
    )


def _get_exam_entry_for_user(request, pk: int) -> services.ExamEntry:
    """The exam as one of the user's 我的考试 entries, else 404."""
    for entry in services.exams_for_user(request.user, now=_now(), closed_days=3650):
        if entry.exam.pk == pk:
            return entry
    raise Http404(_("未找到该考试"))


@require_GET
@never_cache
@login_required
def my_exams(request):
    """我的考试: open, upcoming and recent exams with each one's state for the user."""
    entries = services.exams_for_user(request.user, now=_now())
    has_employee = bool(entries) or Employee.objects.filter(user=request.user).exists()
    return render(request, "exams/my_exams.html", {"entries": entries, "has_employee": has_employee})


@require_GET
@never_cache
@login_required
def exam_detail(request, pk: int):
    """The start page: rules of the exam, attempts used, start or continue."""
    entry = _get_exam_entry_for_user(request, pk)
    exam = entry.exam
    paper = exam.paper
    can_start, reason = True, ""
    if entry.in_progress is None:
        try:
            services.attempt_can_start(exam, entry.employee, now=entry.now)
        except ValidationError as exc:
            can_start, reason = False, refusal_text(exc)
    context = {
        "entry": entry,
        "exam": exam,
        "question_count": selectors.paper_question_count(paper),
        "total": selectors.paper_total(paper),
        "can_start": can_start,
        "reason": reason,
    }
    return render(request, "exams/exam_detail.html", context)


@require_POST
@login_required
def exam_start(request, pk: int):
    """Start (or resume) the attempt and go to the answering page."""
    entry = _get_exam_entry_for_user(request, pk)
    try:
        attempt = services.attempt_start(entry.exam, entry.employee, now=_now())
    except ValidationError as exc:
        messages.error(request, refusal_text(exc))
        return redirect("exams:exam_detail", pk=pk)
    return redirect("exams:attempt", pk=attempt.pk)


def _shown_letters(item: dict, keys) -> set[str]:
    options = item.get("options") or []
    return {services.LETTERS[options.index(k)] for k in keys if k in options}


def _paper_items(attempt: Attempt, *, with_key: bool = False) -> list[dict]:
    """The questions of the attempt as plain dicts, in the layout's order, with
    shown option letters and the examinee's saved answers. Answer keys and
    explanations only with ``with_key`` (the review page)."""
    layout = attempt.layout or []
    fields = ["pk", "type", "stem", "options", "stem_image"]
    if with_key:
        fields += ["answer", "explanation"]
    questions = Question.objects.select_related("stem_image").only(*fields).in_bulk([i["q"] for i in layout])
    answers = {a.question_id: a for a in AttemptAnswer.objects.filter(attempt=attempt)}
    items = []
    for number, item in enumerate(layout, start=1):
        question = questions.get(item["q"])
        if question is None:  # removed behind the services' back: show the gap, never crash the paper
            question = Question(pk=item["q"], type=item["type"], stem=_("（该题已被删除）"), options=[])
        answer = answers.get(item["q"])
        response = answer.response if answer is not None else []
        if not isinstance(response, list):
            response = []
        # A string stored before the autosave refused NUL and lone surrogates
        # must never make the paper unrenderable (and lock the examinee out).
        response = [jsonbody.displayable(v) for v in response]
        text_by_key = {str(o["key"]): o.get("text", "") for o in question.options or []}
        entry = {
            "number": number,
            "id": question.pk,
            "type": item["type"],
            "type_label": QuestionType(item["type"]).label,
            "points": services.fmt_points(item["points"]),
            "stem": question.stem,
            "image": question.stem_image.get_rendition("max-800x600").url if question.stem_image_id else "",
            "answered": bool(response) and any(v not in ("", None) for v in response),
        }
        if item["type"] in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            chosen = _shown_letters(item, response)
            entry["options"] = [
                {
                    "letter": services.LETTERS[i],
                    "text": text_by_key.get(key, ""),
                    "checked": services.LETTERS[i] in chosen,
                }
                for i, key in enumerate(item["options"])
            ]
        elif item["type"] == QuestionType.TRUE_FALSE:
            entry["tf"] = response[0] if response else None
        else:
            blanks = item.get("blanks", 1)
            values = list(response) + [""] * blanks
            entry["blanks"] = values[:blanks]
        if with_key:
            entry["earned"] = (
                services.fmt_points(answer.points) if answer is not None and answer.points is not None else "0"
            )
            entry["explanation"] = question.explanation
            key = question.answer or []
            if item["type"] in (QuestionType.SINGLE, QuestionType.MULTIPLE):
                entry["correct"] = "".join(sorted(_shown_letters(item, [str(k) for k in key])))
                entry["given"] = "".join(sorted(_shown_letters(item, response)))
            elif item["type"] == QuestionType.TRUE_FALSE:
                entry["correct"] = _("对") if key and key[0] else _("错")
                entry["given"] = "" if not response else (_("对") if response[0] else _("错"))
            else:
                entry["correct"] = " ｜ ".join(" / ".join(alts if isinstance(alts, list) else [alts]) for alts in key)
                entry["given"] = " ｜ ".join(v for v in response if isinstance(v, str))
        items.append(entry)
    return items


@require_GET
@never_cache
@login_required
def attempt_page(request, pk: int):
    """The answering page (resumes after reload); past the deadline it submits
    the attempt and shows the result instead."""
    attempt = services.attempt_refresh(_get_attempt_for_user(request, pk), now=_now())
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return redirect("exams:attempt_result", pk=attempt.pk)
    items = _paper_items(attempt)
    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "items": items,
        "answered": sum(1 for i in items if i["answered"]),
        "seconds_left": attempt.seconds_left(_now()),
        "last_seq": AttemptAnswer.objects.filter(attempt=attempt).aggregate(m=Max("seq"))["m"] or 0,
        "js_messages": {
            "saving": _("保存中…"),
            "saved": _("已保存"),
            "offline": _("网络已断开，答案将在恢复后自动保存"),
            "retry": _("保存失败，稍后自动重试"),
            "pending": _("待保存"),
            "stale": _("答题页面已失效，请刷新页面"),
            "late": _("考试时间已到，正在交卷…"),
            "submitted": _("答卷已提交"),
            "confirm": _("确定交卷吗？交卷后不能再修改答案。"),
            "confirm_unanswered": _("还有 %(n)s 题未作答。确定交卷吗？交卷后不能再修改答案。"),
            "leave": _("还有答案未保存，确定离开吗？"),
            "time_up": _("时间到，自动交卷"),
        },
    }
    return render(request, "exams/attempt.html", context)


def _json_error(exc: ValidationError, attempt: Attempt, status: int) -> JsonResponse:
    code = getattr(exc, "code", None) or "invalid"
    extra = {}
    if code in ("late", "submitted"):
        extra["result_url"] = reverse("exams:attempt_result", args=[attempt.pk])
    errors = {"response": exc.messages} if code == "bad_response" else None
    return jsonbody.error_response(refusal_text(exc), code, errors, status=status, **extra)


def autosave_request(request) -> tuple[str, int, object, int]:
    """(token, question id, response, seq) of an autosave body; BadRequest
    (400/413 in the one error shape) if the body is not one."""
    data = jsonbody.parse(request, max_bytes=MAX_SAVE_BODY, max_depth=MAX_SAVE_DEPTH)
    question = jsonbody.int_field(data, "question", minimum=1)
    seq = jsonbody.int_field(data, "seq", minimum=0)
    return data.get("token"), question, data.get("response"), seq


def autosave_answer(attempt: Attempt, body: tuple, *, now) -> JsonResponse:
    """The autosave's JSON reply for an attempt already known to be the user's."""
    token, question, response, seq = body
    try:
        result = services.attempt_save_answer(attempt, token, question, response, seq=seq, now=now)
    except ValidationError as exc:
        code = getattr(exc, "code", None)
        if code == "late":
            services.attempt_refresh(Attempt.objects.select_related("exam__paper", "employee").get(pk=attempt.pk),
                                     now=now)
        return _json_error(exc, attempt, SAVE_ERROR_STATUS.get(code, 400))
    return autosave_reply(attempt, result, now=now)


def autosave_reply(attempt: Attempt, result: services.SaveResult, *, now) -> JsonResponse:
    """The autosave's JSON reply to a save the service accepted (applied or stale)."""
    reply = {
        "saved_at": result.saved_at.isoformat(),
        "saved_at_display": f"{timezone.localtime(result.saved_at):%H:%M:%S}",
        "seconds_left": attempt.seconds_left(now),
    }
    if not result.applied:
        reply["stale"] = True
    return JsonResponse(reply)


@require_POST
@never_cache
@login_required
def attempt_answer(request, pk: int):
    """Autosave one answer: JSON ``{"token", "question", "response", "seq"}`` →
    ``{"saved_at", "saved_at_display", "seconds_left"}``, plus ``"stale": true``
    when a save with a larger ``seq`` already holds the answer (nothing
    changed; the page need not react). Refusals are the one error shape
    ``{"detail", "code", "errors"}`` with 400 (malformed body, late, bad
    response), 413 (too large), 403 (stale token), 409 (already submitted).
    Late saves also submit the attempt."""
    # Only what the save needs (the service reads and locks the rest): the
    # autosave is the exam's busiest request.
    attempt = get_object_or_404(Attempt.objects.only("pk", "deadline"), pk=pk, employee__user=request.user)
    try:
        body = autosave_request(request)
    except jsonbody.BadRequest as exc:
        return exc.response()
    return autosave_answer(attempt, body, now=_now())


def _form_responses(request, attempt: Attempt):
    """(question id, response) for every answer the submit form carries (the
    no-JavaScript path, and a last chance for answers still queued)."""
    for item in attempt.layout or []:
        name = f"q-{item['q']}"
        if name not in request.POST:
            continue
        values = request.POST.getlist(name)
        if any(jsonbody.text_problem(v) for v in values):
            continue  # cannot be stored (NUL, lone surrogate): refused in _unstorable_answers
        if item["type"] == QuestionType.TRUE_FALSE:
            values = [values[0] == "true"] if values and values[0] in ("true", "false") else []
        elif item["type"] == QuestionType.FILL_BLANK and not any(v.strip() for v in values):
            continue
        yield item["q"], values


def _unstorable_answers(request, attempt: Attempt) -> list[tuple[int, str, str]]:
    """(question number, form field, why) for each answer in the submit form
    that holds a character no page can show or database store."""
    found = []
    for number, item in enumerate(attempt.layout or [], start=1):
        name = f"q-{item['q']}"
        for value in request.POST.getlist(name):
            problem = jsonbody.text_problem(value)
            if problem:
                found.append((number, name, problem))
                break
    return found


@require_POST
@never_cache
@login_required
def attempt_submit(request, pk: int):
    """Submit the attempt (once; a repeat shows the same result). Answers
    carried by the form are saved first, if still before the deadline."""
    attempt = _get_attempt_for_user(request, pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    now = _now()
    if attempt.status == Attempt.Status.IN_PROGRESS:
        token = request.POST.get("token", "")
        if not hmac.compare_digest(attempt.token.encode(), token.encode()):
            message = _("答题页面已失效（可能在其他窗口继续了考试），请刷新页面后再交卷")
            if wants_json:
                return jsonbody.error_response(message, "bad_token", status=403)
            messages.error(request, message)
            return redirect("exams:attempt", pk=attempt.pk)
        unstorable = _unstorable_answers(request, attempt)
        if unstorable and now < attempt.deadline:
            # Refuse the submission, not the server: the examinee corrects the answer and submits again.
            detail = _("第 %(n)s 题的答案含有无法保存的字符，请修改后再交卷") % {"n": unstorable[0][0]}
            if wants_json:
                errors = {name: [problem] for _n, name, problem in unstorable}
                return jsonbody.error_response(detail, "bad_text", errors, status=400)
            messages.error(request, detail)
            return redirect("exams:attempt", pk=attempt.pk)
        for question_id, response in _form_responses(request, attempt):
            try:
                services.attempt_save_answer(attempt, token, question_id, response, now=now)
            except ValidationError:
                continue  # late or malformed: the saved answer (if any) stands
        try:
            attempt = services.attempt_submit(attempt, actor=request.user, now=now)
        except PermissionDenied:
            raise Http404 from None
    if wants_json:
        return JsonResponse(
            {"status": attempt.status, "result_url": reverse("exams:attempt_result", args=[attempt.pk])}
        )
    return redirect("exams:attempt_result", pk=attempt.pk)


@require_GET
@never_cache
@login_required
def attempt_result(request, pk: int):
    """Score, 合格/不合格, and what comes next (another attempt, the review)."""
    attempt = services.attempt_refresh(_get_attempt_for_user(request, pk), now=_now())
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return redirect("exams:attempt", pk=attempt.pk)
    exam = attempt.exam
    now = _now()
    can_retry = False
    if attempt.passed is False:
        try:
            services.attempt_can_start(exam, attempt.employee, now=now)
            can_retry = True
        except ValidationError:
            can_retry = False
    context = {
        "attempt": attempt,
        "exam": exam,
        "percent": services.percentage(attempt.score, attempt.max_score),
        "can_retry": can_retry,
        "review_available": selectors.review_available(attempt, now=now),
        "review_later": exam.review_policy == Exam.ReviewPolicy.ANSWERS_AFTER_CLOSE and now < exam.closes_at,
    }
    return render(request, "exams/result.html", context)


@require_GET
@never_cache
@login_required
def attempt_review(request, pk: int):
    """The graded paper with the right answers and explanations — only as the
    exam's review policy allows (answers after the window closes)."""
    attempt = services.attempt_refresh(_get_attempt_for_user(request, pk), now=_now())
    if not selectors.review_available(attempt, now=_now()):
        if attempt.exam.review_policy == Exam.ReviewPolicy.SCORE_ONLY:
            messages.info(request, _("本场考试只公布成绩，不提供答案与解析"))
        else:
            closes = timezone.localtime(attempt.exam.closes_at)
            messages.info(request, _("考试结束后（%(t)s）才能查看答案与解析") % {"t": f"{closes:%Y-%m-%d %H:%M}"})
        return redirect("exams:attempt_result", pk=attempt.pk)
    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "percent": services.percentage(attempt.score, attempt.max_score),
        "items": _paper_items(attempt, with_key=True),
    }
    return render(request, "exams/review.html", context)
