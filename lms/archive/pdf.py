"""Rendering PDFs with the CJK font the project ships (every PDF of the
project goes through :func:`render_pdf`).

xhtml2pdf reads local files only under the working directory unless a
resource policy names more roots; a font it may not read is skipped with a
warning and every Chinese character becomes a box. So the policy names the
font directory, and :func:`render_pdf` refuses to return a PDF if rendering
reported an error. See docs/decisions/004-cjk-font.md."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from .exports import SHANGHAI

logger = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONT_DIR / "AnxunSans-Regular.ttf"
FONT_BOLD = FONT_DIR / "AnxunSans-Bold.ttf"
FONT_FAMILY = "AnxunSans"
# The name under which the embedded font shows in `pdffonts` (a subset prefix
# such as "AAAAAA+" comes before it).
EMBEDDED_FONT_NAME = "AnxunSans-Regular"

# The font directory is the only local place a document may read from, and
# our documents fetch nothing from the network (images come as data: URIs).
RESOURCE_POLICY = ResourceAccessPolicy(extra_roots=(FONT_DIR,), allow_remote=False)


class PdfRenderError(RuntimeError):
    """xhtml2pdf reported an error; the PDF would be wrong or incomplete."""


def font_context() -> dict:
    """What the base PDF template needs for its @font-face rules."""
    return {
        "pdf_font_family": FONT_FAMILY,
        "pdf_font_regular": FONT_REGULAR.as_posix(),
        "pdf_font_bold": FONT_BOLD.as_posix(),
    }


def generated_at_now():
    """The current time in Asia/Shanghai, as printed in every PDF footer."""
    return timezone.now().astimezone(SHANGHAI)


def html_to_pdf(html: str) -> bytes:
    """Turn a complete HTML document (one that uses the project font, as
    ``archive/pdf/base.html`` does) into PDF bytes; raise
    :class:`PdfRenderError` if xhtml2pdf reports an error or the font did not
    make it into the PDF."""
    if not FONT_REGULAR.exists() or not FONT_BOLD.exists():
        raise PdfRenderError(f"CJK font missing in {FONT_DIR}")
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=RESOURCE_POLICY)
    if status.err:
        raise PdfRenderError(f"xhtml2pdf reported {status.err} error(s)")
    data = out.getvalue()
    # A font xhtml2pdf could not read is skipped with a mere warning and the
    # Chinese comes out as boxes: refuse such a PDF rather than serve it.
    if FONT_FAMILY.encode() not in data:
        raise PdfRenderError(f"{FONT_FAMILY} was not embedded; the Chinese text would print as boxes")
    return data


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render ``template_name`` (which should extend ``archive/pdf/base.html``)
    to an A4 PDF and return its bytes.

    The base template prints a header on every page (``enterprise_name`` and
    ``document_title`` from the context) and a footer with "第 X 页 / 共 Y 页"
    and the generation time in Asia/Shanghai (``generated_at``, filled in
    here unless given)."""
    full = {**font_context(), "generated_at": generated_at_now(), **context}
    # Printed as Beijing time whatever timezone the request has activated.
    full["generated_at_text"] = full["generated_at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    html = render_to_string(template_name, full)
    return html_to_pdf(html)


def attach_files(pdf: bytes, files: dict[str, bytes]) -> bytes:
    """``pdf`` with ``files`` embedded as PDF attachments (what a PDF reader
    lists under "attachments"; ``verify_archive --bundle`` reads them)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for name, data in files.items():
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_person_file_pdf(pf, *, title: str) -> bytes:
    """A person file (``exports.PersonFile``) as a PDF whose footer names the
    signed checkpoint covering the file and which carries ``archive.json``
    (the records' canonical fields and hashes, and that checkpoint) as an
    attachment: anyone with the public key can verify it offline."""
    import json

    from . import integrity
    from .selectors import archive_export, checkpoint_reference

    employee = pf.employee
    pdf = render_pdf("archive/pdf/person_file.html", {
        "pf": pf, "employee": employee, "enterprise_name": employee.enterprise.name, "document_title": title,
        "checkpoint": checkpoint_reference(employee),
    })
    document = json.dumps(archive_export([employee]), ensure_ascii=False, indent=1).encode()
    return attach_files(pdf, {integrity.EXPORT_NAME: document})
