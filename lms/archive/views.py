"""One person, one file (一人一档): the page and its exports (PDF, Excel, the
three-level card). Thin views: fetch the person through scope() (404 for
anyone else's people), load, render."""

import base64

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, scope

from .exports import employee_queryset, induction_card_load, person_file_load, person_file_xlsx
from . import integrity
from .keys import signing_key, verify_keys
from .pdf import render_pdf, render_person_file_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get_employee_for_user(request, pk: int, *, what: str):
    """The employee if ``request.user`` may read their file, else 404. Reads
    by a regulator (region access, not a member of the enterprise) are
    logged."""
    employee = get_object_or_404(scope(employee_queryset(), request.user), pk=pk)
    user = request.user
    if employee.user_id != user.pk and not can(user, Capability.VIEW, employee.enterprise_id):
        log(employee, "anxun.regulator_read", user=user, data={"what": what, "employee_id": employee.pk})
    return employee


def _filename(employee, suffix: str) -> str:
    return f"{employee.employee_no}-{employee.name}-{suffix}"


def _file_response(content: bytes, content_type: str, filename: str, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(attachment, filename)
    return response


@require_GET
@never_cache
@login_required
def person_file(request, pk: int):
    """The person's file: header, training timeline, obligations, clearance
    per current post, certificates, links to the exports."""
    employee = _get_employee_for_user(request, pk, what="person_file")
    pf = person_file_load(employee, user=request.user)
    return render(request, "archive/person_file.html", {"pf": pf, "employee": employee})


@require_GET
@never_cache
@login_required
def person_file_pdf(request, pk: int):
    """The whole file as an A4 PDF (shown inline, so a phone opens it)."""
    employee = _get_employee_for_user(request, pk, what="person_file_pdf")
    pf = person_file_load(employee, user=request.user)
    title = _("员工培训档案")
    pdf = render_person_file_pdf(pf, title=title)
    return _file_response(pdf, "application/pdf", _filename(employee, title) + ".pdf", attachment=False)


@require_GET
@never_cache
@login_required
def person_file_xlsx_view(request, pk: int):
    """The whole file as an Excel workbook (download)."""
    employee = _get_employee_for_user(request, pk, what="person_file_xlsx")
    pf = person_file_load(employee, user=request.user)
    return _file_response(
        person_file_xlsx(pf), XLSX, _filename(employee, _("员工培训档案")) + ".xlsx", attachment=True
    )


@require_GET
@never_cache
@login_required
def induction_card_pdf(request, pk: int):
    """三级安全教育卡 as an A4 PDF form, blank boxes where nothing is recorded."""
    employee = _get_employee_for_user(request, pk, what="induction_card")
    card = induction_card_load(employee, user=request.user)
    title = _("三级安全教育卡")
    pdf = render_pdf(
        "archive/pdf/induction_card.html",
        {"card": card, "employee": employee, "enterprise_name": employee.enterprise.name, "document_title": title},
    )
    return _file_response(pdf, "application/pdf", _filename(employee, title) + ".pdf", attachment=False)


@require_GET
def public_key(request):
    """The public keys that verify the archive's signed checkpoints, for
    anyone (no login): a regulator checks a bundle with them offline."""
    signing_id, _private = signing_key()
    keys = [
        {"id": key_id, "current": key_id == signing_id, "pem": integrity.public_pem(key),
         "raw": base64.b64encode(integrity.public_raw(key)).decode(), "fingerprint": integrity.fingerprint(key)}
        for key_id, key in verify_keys().items()
    ]
    response = render(request, "archive/public_key.html", {"keys": keys})
    response["Cache-Control"] = "public, max-age=300"
    return response
