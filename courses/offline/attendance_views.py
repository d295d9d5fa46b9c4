"""Pages of the attendance flow (:mod:`courses.offline.attendance`), the
same for every target (offline sessions, warning meetings): the scan URL and
its return from the login page, and the projector screen (签到大屏) with the
rotating QR code and the counts — one template (``attendance/screen.html``),
one script (``attendance/screen.js``) that fetches the next code by itself.

``scan`` is the URL inside the rotating QR code. The phone's camera opens
it; the code is checked *at the moment of the scan*, so a worker who must log
in first is still checked in at the time they scanned (if they log in within
``SCAN_LOGIN_GRACE``), while a photo of an old code fails at once. A GET does
the check-in on purpose — the camera opens a link, and the code in it is a
fresh, short-lived capability; scanning twice changes nothing."""

from __future__ import annotations

import datetime as dt

import segno
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.kernel import checkin
from lms.kernel.errors import refusal_text

from . import selectors
from .attendance import SCAN_LOGIN_GRACE, AttendanceFlow
from .models import time_text

# How often the screen asks for the counts even when the code is still current.
SCREEN_POLL_SECONDS = 5

# The HTTP status of a refused scan, by the refusal's code.
SCAN_ERROR_STATUS = {"invalid": 400, "expired": 400, "closed": 409, "too_early": 409, "not_employee": 403,
                     "not_invited": 403, "not_checked_in": 409, "grace": 400, "nothing": 400}


def _now() -> dt.datetime:
    return timezone.now()


def scan_views(flow: AttendanceFlow):
    """The ``scan`` and ``scan_resume`` views of ``flow`` (its URLs ``<url_namespace>:scan`` …)."""

    def page(request, *, ok: bool, message: str, target=None, purpose: str = "", code: str = "", status: int = 200):
        context = {"ok": ok, "message": message, "target": target, "purpose": purpose, "code": code}
        return render(request, flow.scan_template, context, status=status)

    def refused(request, exc: ValidationError, target=None):
        code = getattr(exc, "code", None) or "invalid"
        return page(request, ok=False, message=refusal_text(exc), target=target, code=code,
                    status=SCAN_ERROR_STATUS.get(code, 400))

    def do_scan(request, target, token: str, scanned_at: dt.datetime):
        try:
            result = flow.scan(target=target, user=request.user, token=token, now=scanned_at)
        except ValidationError as exc:
            return refused(request, exc, target)
        return page(request, ok=True, message=result.message, target=target, purpose=result.purpose,
                    code="done" if result.changed else "already")

    @require_GET
    @never_cache
    def scan(request, token: str):
        """The URL in the QR code: check the code now; log in if needed; check in or out."""
        now = _now()
        try:
            target = flow.find(token)
            flow.verify(target, token, now)
        except checkin.TokenError as exc:
            return refused(request, exc)
        if not request.user.is_authenticated:
            # The code was current when scanned: remember the scan (server side) for the login that follows.
            request.session[flow.pending_scan_key] = {"token": token, "at": now.isoformat()}
            return redirect_to_login(reverse(f"{flow.url_namespace}:scan_resume"))
        return do_scan(request, target, token, now)

    @require_GET
    @never_cache
    @login_required
    def scan_resume(request):
        """After logging in: complete the scan made before the login (once)."""
        pending = request.session.pop(flow.pending_scan_key, None)
        if not pending:
            return page(request, ok=False, message=_("没有待完成的签到，请扫描现场屏幕上的二维码。"), code="nothing",
                        status=400)
        try:
            scanned_at = dt.datetime.fromisoformat(pending["at"])
            target = flow.find(pending["token"])
        except (KeyError, TypeError, ValueError, checkin.TokenError):
            return refused(request, checkin.invalid_token())
        if _now() - scanned_at > SCAN_LOGIN_GRACE:
            return page(request, ok=False, message=_("扫码后登录超时，请重新扫描现场屏幕上的最新二维码。"), target=target,
                        code="grace", status=400)
        return do_scan(request, target, pending["token"], scanned_at)

    return scan, scan_resume


def screen_code(request, flow: AttendanceFlow, token: str, now: dt.datetime) -> dict:
    """What a screen shows at ``now`` for ``token`` (the target's current
    code): the QR code of its scan URL (an SVG data URI), its time step and
    the seconds it has left."""
    url = request.build_absolute_uri(reverse(f"{flow.url_namespace}:scan", args=[token]))
    step = checkin.step_at(now)
    return {
        "qr": segno.make(url, error="m").svg_data_uri(scale=10, border=2, omitsize=True),
        "step": step,
        "expires_in": max(0.0, (checkin.step_ends_at(step) - now).total_seconds()),
        "step_seconds": checkin.STEP_SECONDS,
    }


def screen_views(flow: AttendanceFlow, target_to_run):
    """The projector screen of ``flow``'s targets: the page (``screen``) and
    the JSON of its current code and counts (``screen_code``), the URLs
    ``<url_namespace>:screen`` and ``:screen_code``. ``target_to_run(request, pk)``
    gives the target the user runs (404 for one they may not see, 403 for one
    they see but do not run)."""

    def mode_of(request) -> str:
        wanted = request.GET.get("mode")
        return wanted if wanted in flow.purposes else flow.purposes[0]

    def payload(request, target, purpose: str) -> dict:
        now = _now()
        code = screen_code(request, flow, flow.screen_token(target, purpose, now), now)
        counts = selectors.attendance_counts(target, [key for key, _label in flow.screen_counts])
        return {**code, "mode": purpose, "expires_in": round(code["expires_in"], 1), "open": target.is_open, **counts}

    @require_GET
    @never_cache
    @login_required
    def screen(request, pk: int):
        """签到大屏: the rotating code, large, for a laptop or a projector."""
        target = target_to_run(request, pk)
        purpose = mode_of(request)
        data = payload(request, target, purpose) if target.is_open else None
        values = data or selectors.attendance_counts(target, [key for key, _label in flow.screen_counts])
        context = {
            "target": target,
            "when": time_text(target.start_at, target.end_at),
            "lead": flow.screen_lead_text % {"t": flow.screen_host(target)} if flow.screen_host(target) else "",
            "mode": purpose,
            "modes": flow.purposes,
            "manage_url": flow.screen_manage_url(target),
            "manage_text": flow.screen_manage_text,
            "closed_text": flow.screen_closed_text,
            "counts": [(key, label, values[key]) for key, label in flow.screen_counts],
            "payload": data,
            "code_url": reverse(f"{flow.url_namespace}:screen_code", args=[target.pk]) + f"?mode={purpose}",
            "poll_seconds": SCREEN_POLL_SECONDS,
        }
        return render(request, "attendance/screen.html", context)

    @require_GET
    @never_cache
    @login_required
    def screen_code_json(request, pk: int):
        """The current code and the counts, as JSON, for the screen's refresh."""
        target = target_to_run(request, pk)
        if not target.is_open:
            return JsonResponse({"open": False, "message": str(flow.screen_closed_text)}, status=409)
        return JsonResponse(payload(request, target, mode_of(request)))

    return screen, screen_code_json
