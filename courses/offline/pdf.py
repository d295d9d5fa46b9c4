"""The sign-in sheet (签到表) of an offline session, as a PDF with the
project's CJK font (lms.archive.pdf; docs/decisions/004-cjk-font.md)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from lms.archive.pdf import render_pdf

from .models import OfflineSession
from .selectors import attendances_of

# Rows a sheet always has, so a printed sheet has room for walk-ins to sign.
MIN_ROWS = 10


def _hm(value):
    return timezone.localtime(value).strftime("%H:%M") if value else ""


def sign_in_sheet_pdf(session: OfflineSession) -> bytes:
    attendances = attendances_of(session)
    rows = [
        {
            "n": n,
            "name": a.employee.name,
            "employee_no": a.employee.employee_no,
            "unit": a.employee.org_unit.name if a.employee.org_unit_id else "",
            "check_in": _hm(a.check_in_at),
            "check_in_manual": a.check_in_method == a.Method.MANUAL,
            "check_out": _hm(a.check_out_at),
            "check_out_manual": a.check_out_method == a.Method.MANUAL,
            "assessment": a.get_assessment_result_display() if a.assessment_result != "none" else "",
        }
        for n, a in enumerate(attendances, start=1)
    ]
    blanks = range(len(rows) + 1, max(MIN_ROWS, len(rows)) + 1)
    context = {
        "document_title": _("签到表"),
        "enterprise_name": session.enterprise.name,
        "session": session,
        "time_text": session.time_text(),
        "trainer_name": session.trainer.get_full_name(),
        "rows": rows,
        "blank_rows": blanks,
        "checked_in": sum(1 for a in attendances if a.check_in_at),
        "any_manual": any(r["check_in_manual"] or r["check_out_manual"] for r in rows),
    }
    return render_pdf("offline/pdf/sign_in_sheet.html", context)
