"""Pages of offline sessions outside the back office.

- the worker's side: ``scan`` is the URL inside the rotating QR code. The
  phone's camera opens it; the code is checked *at the moment of the scan*,
  so a worker who must log in first is still checked in at the time they
  scanned (if they log in within ``SCAN_LOGIN_GRACE``), while a photo of an
  old code fails at once. A GET does the check-in on purpose — the camera
  opens a link, and the code in it is a fresh, short-lived capability;
  scanning twice changes nothing.
- the trainer's side: the attendance page (名单、签到情况、实操考核、补录、
  结束培训), the projector screen with the rotating code (it fetches a new
  code by itself) and the sign-in sheet PDF.

Thin views: ``_get_session_for_user`` (404 for a session the user may not
see), one service call, render or redirect.
"""

from __future__ import annotations

import datetime as dt

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from lms.archive.models import AssessmentResult
from lms.kernel import checkin

from . import services
from .models import Attendance, OfflineSession

PENDING_SCAN_KEY = "offline_pending_scan"
# How often the screen asks for the counts even when the code is still current.
SCREEN_POLL_SECONDS = 5


def _now() -> dt.datetime:
    return timezone.now()


def _message(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


def _get_session_for_user(request, pk: int) -> OfflineSession:
    """A session the user may see, else 404 (another enterprise's session does not exist for them)."""
    queryset = OfflineSession.objects.select_related("enterprise", "trainer", "post", "course")
    return get_object_or_404(services.sessions_visible_to(request.user, queryset), pk=pk)


def _get_session_to_run(request, pk: int) -> OfflineSession:
    """A session the user runs (its trainer, or a planner); seen but not run: 403."""
    session = _get_session_for_user(request, pk)
    if not services.may_run(request.user, session):
        raise PermissionDenied(_("只有本次培训的授课人或企业培训管理人员可以操作"))
    return session


# --- the worker's scan -------------------------------------------------------------------------


SCAN_ERROR_STATUS = {"invalid": 400, "expired": 400, "closed": 409, "too_early": 409, "not_employee": 403,
                     "not_invited": 403, "not_checked_in": 409, "grace": 400, "nothing": 400}


def _scan_page(request, *, ok: bool, message: str, session: OfflineSession | None = None, purpose: str = "",
               code: str = "", status: int = 200):
    context = {"ok": ok, "message": message, "session": session, "purpose": purpose, "code": code}
    return render(request, "offline/scan_result.html", context, status=status)


def _do_scan(request, session: OfflineSession, token: str, scanned_at: dt.datetime):
    try:
        result = services.attendance_scan(session=session, user=request.user, token=token, now=scanned_at)
    except ValidationError as exc:
        code = getattr(exc, "code", None) or "invalid"
        return _scan_page(request, ok=False, message=_message(exc), session=session, code=code,
                          status=SCAN_ERROR_STATUS.get(code, 400))
    return _scan_page(request, ok=True, message=result.message, session=session, purpose=result.purpose,
                      code="done" if result.changed else "already")


@require_GET
@never_cache
def scan(request, token: str):
    """The URL in the QR code: check the code now; log in if needed; check in or out."""
    now = _now()
    try:
        session = services.find_session_for_token(token)
        session.verify_checkin_token(token, now=now)
    except checkin.TokenError as exc:
        return _scan_page(request, ok=False, message=_message(exc), code=exc.code, status=400)
    if not request.user.is_authenticated:
        # The code was current when scanned: remember the scan (server side) for the login that follows.
        request.session[PENDING_SCAN_KEY] = {"token": token, "at": now.isoformat()}
        return redirect_to_login(reverse("offline:scan_resume"))
    return _do_scan(request, session, token, now)


@require_GET
@never_cache
@login_required
def scan_resume(request):
    """After logging in: complete the scan made before the login (once)."""
    pending = request.session.pop(PENDING_SCAN_KEY, None)
    if not pending:
        return _scan_page(request, ok=False, message=_("没有待完成的签到，请扫描现场屏幕上的二维码。"), code="nothing",
                          status=400)
    try:
        scanned_at = dt.datetime.fromisoformat(pending["at"])
        session = services.find_session_for_token(pending["token"])
    except (KeyError, TypeError, ValueError, checkin.TokenError):
        exc = checkin.invalid_token()
        return _scan_page(request, ok=False, message=_message(exc), code=exc.code, status=400)
    if _now() - scanned_at > services.SCAN_LOGIN_GRACE:
        return _scan_page(request, ok=False, message=_("扫码后登录超时，请重新扫描现场屏幕上的最新二维码。"), session=session,
                          code="grace", status=400)
    return _do_scan(request, session, pending["token"], scanned_at)


# --- the trainer's attendance page -------------------------------------------------------------


class AssessForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("考核结果"),
        choices=[(AssessmentResult.PASSED, AssessmentResult.PASSED.label), (AssessmentResult.FAILED, AssessmentResult.FAILED.label)],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=gettext_lazy("考核记录"), max_length=500, required=False)


class MarkForm(forms.Form):
    purpose = forms.ChoiceField(
        label=gettext_lazy("补录"), choices=[(checkin.CHECK_IN, gettext_lazy("签到")), (checkin.CHECK_OUT, gettext_lazy("签退"))]
    )
    at = forms.DateTimeField(
        label=gettext_lazy("时间"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=gettext_lazy("补录原因"), max_length=200)


def _form_errors(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}：{'、'.join(errors)}" if label else "、".join(errors))
    return "；".join(parts)


def _counts(session: OfflineSession) -> dict:
    return session.attendances.aggregate(
        invited=Count("pk"),
        checked_in=Count("pk", filter=Q(check_in_at__isnull=False)),
        checked_out=Count("pk", filter=Q(check_out_at__isnull=False)),
    )


@require_GET
@never_cache
@login_required
def session_attendance(request, pk: int):
    """签到管理: the list with check-in/out times, assessment, manual entry and closing."""
    session = _get_session_for_user(request, pk)
    attendances = list(
        session.attendances.select_related("employee__org_unit", "record").order_by("employee__employee_no")
    )
    checked_in = sum(1 for a in attendances if a.check_in_at)
    context = {
        "session": session,
        "attendances": attendances,
        "can_run": services.may_run(request.user, session),
        "counts": {
            "invited": len(attendances),
            "checked_in": checked_in,
            "checked_out": sum(1 for a in attendances if a.check_out_at),
            "assessed": sum(1 for a in attendances if a.assessment_result != AssessmentResult.NOT_ASSESSED),
        },
        "checked_in_total": checked_in,
        "now_local": timezone.localtime(_now()).strftime("%Y-%m-%dT%H:%M"),
        "results": AssessmentResult,
    }
    return render(request, "offline/attendance.html", context)


def _back(session: OfflineSession, anchor: str = ""):
    return redirect(reverse("offline:attendance", args=[session.pk]) + (f"#{anchor}" if anchor else ""))


def _get_attendance(session: OfflineSession, attendance_pk: int) -> Attendance:
    return get_object_or_404(Attendance.objects.select_related("employee"), pk=attendance_pk, session=session)


@require_POST
@login_required
def attendance_assess(request, pk: int, attendance_pk: int):
    session = _get_session_to_run(request, pk)
    attendance = _get_attendance(session, attendance_pk)
    form = AssessForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("%(n)s：%(e)s") % {"n": attendance.employee.name, "e": _form_errors(form)})
        return _back(session, f"a{attendance.pk}")
    try:
        services.attendance_assess(attendance=attendance, actor=request.user, result=form.cleaned_data["result"],
                                   notes=form.cleaned_data["notes"], now=_now())
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("已保存 %(n)s 的考核结果") % {"n": attendance.employee.name})
    return _back(session, f"a{attendance.pk}")


@require_POST
@login_required
def attendance_mark(request, pk: int, attendance_pk: int):
    session = _get_session_to_run(request, pk)
    attendance = _get_attendance(session, attendance_pk)
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("%(n)s：%(e)s") % {"n": attendance.employee.name, "e": _form_errors(form)})
        return _back(session, f"a{attendance.pk}")
    data = form.cleaned_data
    try:
        services.attendance_mark(attendance=attendance, actor=request.user, purpose=data["purpose"], at=data["at"],
                                 note=data["note"], now=_now())
    except ValidationError as exc:
        messages.error(request, _("%(n)s：%(e)s") % {"n": attendance.employee.name, "e": _message(exc)})
    else:
        messages.success(request, _("已为 %(n)s 补录") % {"n": attendance.employee.name})
    return _back(session, f"a{attendance.pk}")


@require_POST
@login_required
def session_close(request, pk: int):
    """结束培训: write the archive records (once; a second submit only says so)."""
    session = _get_session_to_run(request, pk)
    try:
        result = services.session_close(session=session, actor=request.user, now=_now())
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return _back(session)
    text = _("培训已结束，已为 %(n)s 人写入培训档案。") % {"n": len(result.records)}
    if result.without_checkout:
        text += _("%(names)s 未签退，按计划结束时间计算学时。") % {
            "names": "、".join(a.employee.name for a in result.without_checkout)
        }
    if result.absent:
        text += _("%(n)s 人未签到，未写入档案。") % {"n": len(result.absent)}
    messages.success(request, text)
    return _back(session)


# --- the projector screen ------------------------------------------------------------------------


def _mode(request) -> str:
    return checkin.CHECK_OUT if request.GET.get("mode") == checkin.CHECK_OUT else checkin.CHECK_IN


def _code_payload(request, session: OfflineSession, purpose: str) -> dict:
    now = _now()
    token = services.screen_token(session, purpose, now=now)
    url = request.build_absolute_uri(reverse("offline:scan", args=[token]))
    qr = segno.make(url, error="m")
    step = checkin.step_at(now)
    expires_in = max(0.0, (checkin.step_ends_at(step) - now).total_seconds())
    return {
        "mode": purpose,
        "step": step,
        "qr": qr.svg_data_uri(scale=10, border=2, omitsize=True),
        "expires_in": round(expires_in, 1),
        "step_seconds": checkin.STEP_SECONDS,
        "open": session.is_open,
        **_counts(session),
    }


@require_GET
@never_cache
@login_required
def session_screen(request, pk: int):
    """签到大屏: the rotating code, large, for a laptop or a projector."""
    session = _get_session_to_run(request, pk)
    purpose = _mode(request)
    context = {
        "session": session,
        "mode": purpose,
        "payload": _code_payload(request, session, purpose) if session.is_open else None,
        "code_url": reverse("offline:screen_code", args=[session.pk]) + f"?mode={purpose}",
        "poll_seconds": SCREEN_POLL_SECONDS,
    }
    return render(request, "offline/screen.html", context)


@require_GET
@never_cache
@login_required
def session_screen_code(request, pk: int):
    """The current code and the counts, as JSON, for the screen's refresh."""
    session = _get_session_to_run(request, pk)
    if not session.is_open:
        return JsonResponse({"open": False, "message": _("本次培训已结束")}, status=409)
    return JsonResponse(_code_payload(request, session, _mode(request)))


# --- the sign-in sheet -------------------------------------------------------------------------------


@require_GET
@login_required
def sign_in_sheet(request, pk: int):
    """签到表 (PDF): header with the session, a row per invitee with times and a signature box."""
    from .pdf import sign_in_sheet_pdf

    session = _get_session_for_user(request, pk)
    data = sign_in_sheet_pdf(session)
    day = timezone.localtime(session.start_at).strftime("%Y%m%d")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"签到表-{session.title}-{day}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response
