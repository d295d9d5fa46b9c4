"""Pages of offline sessions outside the back office.

- the worker's side: ``scan``, the URL inside the rotating QR code, and its
  return from the login page — the attendance flow's pages
  (:mod:`courses.offline.attendance_views`);
- the trainer's side: the attendance page (名单、签到情况、实操考核、补录、
  结束培训), the projector screen with the rotating code (it fetches a new
  code by itself) and the sign-in sheet PDF.

Thin views: ``_get_session_for_user`` (404 for a session the user may not
see), one service call, render or redirect.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from lms.archive.models import AssessmentResult
from lms.kernel import checkin
from lms.kernel.errors import refusal_text

from . import selectors, services
from .attendance_views import scan_views, screen_views
from .models import Attendance, OfflineSession

def _now() -> dt.datetime:
    return timezone.now()


def _get_session_for_user(request, pk: int) -> OfflineSession:
    """A session the user may see, else 404 (another enterprise's session does not exist for them)."""
    session = selectors.session_for_user(request.user, pk)
    if session is None:
        raise Http404
    return session


def _get_session_to_run(request, pk: int) -> OfflineSession:
    """A session the user runs (its trainer, or a planner); seen but not run: 403."""
    session = _get_session_for_user(request, pk)
    if not selectors.may_run(request.user, session):
        raise PermissionDenied(services.SESSIONS.not_runner_text)
    return session


# --- the worker's scan: the attendance flow's pages -------------------------------------------


scan, scan_resume = scan_views(services.SESSIONS)


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


@require_GET
@never_cache
@login_required
def session_attendance(request, pk: int):
    """签到管理: the list with check-in/out times, assessment, manual entry and closing."""
    session = _get_session_for_user(request, pk)
    attendances = selectors.attendances_of(session)
    checked_in = sum(1 for a in attendances if a.check_in_at)
    context = {
        "session": session,
        "attendances": attendances,
        "can_run": selectors.may_run(request.user, session),
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
    attendance = selectors.attendance_of(session, attendance_pk)
    if attendance is None:
        raise Http404
    return attendance


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
        messages.error(request, refusal_text(exc))
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
        messages.error(request, _("%(n)s：%(e)s") % {"n": attendance.employee.name, "e": refusal_text(exc)})
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
        messages.error(request, refusal_text(exc))
        return _back(session)
    text = _("培训已结束，已为 %(n)s 人写入培训档案。") % {"n": len(result.records)}
    if result.without_checkout:
        text += _("%(names)s 未签退，按计划结束时间（提前结束的按实际结束时间）计算学时。") % {
            "names": "、".join(a.employee.name for a in result.without_checkout)
        }
    if result.absent:
        text += _("%(n)s 人未签到，未写入档案。") % {"n": len(result.absent)}
    messages.success(request, text)
    return _back(session)


# --- the projector screen: the attendance flow's screen --------------------------------------------


session_screen, session_screen_code = screen_views(services.SESSIONS, _get_session_to_run)


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
