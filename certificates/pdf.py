"""Certificate PDFs: the type's HTML template (admin-editable, rendered in a
sandbox that sees only plain strings) inside an A4 or card page, through the
project's one PDF renderer (lms.archive.pdf, with the bundled CJK font and
its resource policy)."""

from __future__ import annotations

import base64
import functools
import mimetypes

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.archive.pdf import font_context, html_to_pdf

from .models import Certificate, CertificateType
from .selectors import issuer_profile_of

# Admin templates get Django's built-in tags and filters only: no {% load %},
# no {% include %}/{% extends %} (no loaders), and a context of plain strings,
# so an edited template cannot reach the database or other files.
_SANDBOX = Engine(loaders=[], libraries={}, autoescape=True, debug=False, string_if_invalid="")

DEFAULT_BODIES = {
    CertificateType.Layout.A4: "certificates/pdf/default_a4_body.html",
    CertificateType.Layout.CARD: "certificates/pdf/default_card_body.html",
}
PAGES = {
    CertificateType.Layout.A4: "certificates/pdf/page_a4.html",
    CertificateType.Layout.CARD: "certificates/pdf/page_card.html",
}


def _default_source(layout: str) -> str:
    from django.template.loader import get_template

    return get_template(DEFAULT_BODIES[layout]).template.source


def default_template_source(layout: str) -> str:
    """The built-in body template of ``layout`` (what an empty template_html means)."""
    return _default_source(layout)


@functools.lru_cache(maxsize=64)
def _compiled(source: str):
    return _SANDBOX.from_string(source)


def validate_template(source: str) -> None:
    """A field error if ``source`` is not a template the sandbox can render."""
    from .services import CertificateError

    if not (source or "").strip():
        return
    try:
        _compiled(source).render(Context(sample_context()))
    except TemplateSyntaxError as error:
        raise CertificateError({"template_html": _("模板有语法错误：%(e)s") % {"e": error}}) from error
    except Exception as error:  # noqa: BLE001 — any failure is the editor's to fix, said on the field
        raise CertificateError({"template_html": _("模板无法渲染：%(e)s") % {"e": error}}) from error


def verify_url(code: str) -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return base + reverse("certificate-verify", args=[code])


def qr_data_uri(url: str) -> str:
    import segno

    # Error correction M survives a smudged print; scale 4 keeps modules crisp at 300 dpi.
    return segno.make(url, error="m", micro=False).png_data_uri(scale=4, border=2)


def _file_data_uri(field) -> str:
    if not field:
        return ""
    try:
        with field.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        return ""
    mime = mimetypes.guess_type(field.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _d(day) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日" if day else ""


def mask_name(name: str) -> str:
    """王小明 → 王*明, 王明 → 王*, 欧阳小明 → 欧**明."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def sample_context() -> dict:
    return {
        "holder_name": "张三", "id_number_masked": "320***********0011", "type_name": "上岗合格证",
        "number": "HXCHEM-SG-2026-00001", "category": "", "level": "", "post": "操作工", "unit": "一车间",
        "issued_on": _d(timezone.localdate()), "valid_until": _d(timezone.localdate()), "next_review_due": "",
        "issuer": "示例企业", "enterprise_name": "示例企业", "verify_url": "https://example.invalid/verify/x/",
        "verify_code": "x", "qr": "", "seal": "", "photo": "", "basis": "", "status": "有效",
    }


def seal_data_uri(enterprise) -> str:
    """The enterprise's seal image as a data: URI ("" without one)."""
    profile = issuer_profile_of(enterprise)
    return _file_data_uri(profile.seal) if profile is not None else ""


def certificate_context(certificate: Certificate, *, seal_uri: str | None = None) -> dict:
    """Everything a certificate prints, as plain strings (the same fields the
    verification page shows, so an edited PDF is caught by comparing)."""
    employee = certificate.employee
    enterprise = employee.enterprise
    if seal_uri is None:
        seal_uri = seal_data_uri(enterprise)
    url = verify_url(certificate.verification_code) if certificate.verification_code else ""
    return {
        "holder_name": employee.name,
        "id_number_masked": employee.id_number_masked,
        "type_name": certificate.type.name,
        "number": certificate.number,
        "category": certificate.get_category_display() if certificate.category else "",
        "level": certificate.level,
        "post": certificate.post.name if certificate.post_id else "",
        "unit": "",
        "issued_on": _d(certificate.issued_on),
        "valid_until": _d(certificate.valid_until) if certificate.valid_until else _("长期有效"),
        "next_review_due": _d(certificate.next_review_due),
        "issuer": certificate.authority,
        "enterprise_name": enterprise.name,
        "verify_url": url,
        "verify_code": certificate.verification_code or "",
        "qr": qr_data_uri(url) if url else "",
        "seal": seal_uri,
        "photo": _file_data_uri(certificate.photo),
        "basis": certificate.basis_note,
        "status": certificate.state_label(timezone.localdate()),
    }


def render_certificate_html(certificate: Certificate, *, seal_uri: str | None = None) -> str:
    type = certificate.type
    source = type.template_html.strip() or _default_source(type.layout)
    context = certificate_context(certificate, seal_uri=seal_uri)
    body = _compiled(source).render(Context(context))
    page = {**font_context(), "body": body, "document_title": f"{type.name} {certificate.number}"}
    return render_to_string(PAGES[type.layout], page)


def render_certificate_pdf(certificate: Certificate, *, seal_uri: str | None = None) -> bytes:
    """The certificate as PDF bytes (raises lms.archive.pdf.PdfRenderError)."""
    return html_to_pdf(render_certificate_html(certificate, seal_uri=seal_uri))


def pdf_filename(certificate: Certificate) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in certificate.number)
    return f"{safe}.pdf"
