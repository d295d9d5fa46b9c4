"""Pages of the attendance flow (:mod:`courses.offline.attendance`), the
same for every target: the scan URL and its return from the login page, and
the QR code the target's screen shows.

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
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.kernel import checkin
from lms.kernel.errors import refusal_text

from .attendance import SCAN_LOGIN_GRACE, AttendanceFlow

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
