"""Bounds on every uploaded file, checked before anything reads its content.

- a size cap per upload (``ANXUN_UPLOAD_MAX_BYTES``), also enforced on the
  request itself by :class:`UploadLimitMiddleware` before Django reads the
  body, so an oversized upload gets a Chinese message (413), never a 500;
- for ZIP containers (.xlsx, .docx, .zip …) an inflation cap read from the
  central directory alone: total uncompressed size
  (``ANXUN_UPLOAD_MAX_INFLATED_BYTES``), per-member compression ratio
  (``ANXUN_UPLOAD_MAX_ZIP_RATIO``), member count
  (``ANXUN_UPLOAD_MAX_ZIP_MEMBERS``) and nesting (a ZIP inside a ZIP is
  counted into the same totals; deeper nesting is refused).

Python's zipfile never inflates a member beyond the size its directory
entry declares (it stops there and fails the CRC check), so a file that
passes :func:`check_archive` cannot expand past the cap while it is parsed.

Used by every upload form and by the shared spreadsheet reader
(``lms.imports.read_table``). Kernel: imports no app.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# Containers that are ZIP files inside: inspected before anyone opens them.
ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm", ".docx", ".pptx", ".zip"})
# A member this small cannot be a bomb whatever its ratio (a blank sheet
# compresses far beyond 100:1).
RATIO_FLOOR_BYTES = 1024 * 1024
# Form fields and multipart framing around the one file of an upload form.
REQUEST_OVERHEAD_BYTES = 256 * 1024
_MAX_DEPTH = 2  # the upload, and ZIPs directly inside it


class UploadRefused(ValidationError):
    """The upload breaks a bound (size, inflation); message in Chinese."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def max_upload_bytes() -> int:
    return settings.ANXUN_UPLOAD_MAX_BYTES


def upload_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        pos = upload.tell()
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(pos)
    return size


def check_size(upload, *, max_bytes: int | None = None) -> None:
    """Raise UploadRefused if ``upload`` is larger than the cap (the smaller
    of ``max_bytes`` and ``ANXUN_UPLOAD_MAX_BYTES``)."""
    limit = min(max_bytes or max_upload_bytes(), max_upload_bytes())
    if upload_size(upload) > limit:
        raise UploadRefused(
            _("文件超过 %(mb)s MB 的上传上限，请压缩或拆分后再上传") % {"mb": _mb(limit)}, code="too_large"
        )


def _refuse_inflation(code: str) -> UploadRefused:
    return UploadRefused(
        _("文件解压后过大或压缩比异常（疑似压缩炸弹），已拒绝，未保存任何内容。请检查文件后重新上传"),
        code=code,
    )


def _inspect(fileobj, *, depth: int, budget: list[int]) -> None:
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadRefused(_("文件已损坏或不是有效的压缩格式（.xlsx/.docx/.zip），请确认后重新上传"),
                            code="bad_zip") from exc
    with archive:
        members = archive.infolist()
        if len(members) > settings.ANXUN_UPLOAD_MAX_ZIP_MEMBERS:
            raise UploadRefused(
                _("压缩文件包含 %(n)s 个文件，超过上限 %(max)s 个，已拒绝")
                % {"n": len(members), "max": settings.ANXUN_UPLOAD_MAX_ZIP_MEMBERS},
                code="too_many_members",
            )
        ratio = settings.ANXUN_UPLOAD_MAX_ZIP_RATIO
        nested = []
        for info in members:
            budget[0] -= info.file_size
            if budget[0] < 0:
                raise _refuse_inflation("inflated_too_large")
            if info.file_size > RATIO_FLOOR_BYTES and info.file_size > ratio * max(info.compress_size, 1):
                raise _refuse_inflation("ratio")
            if PurePath(info.filename).suffix.lower() in ZIP_SUFFIXES:
                nested.append(info)
        for info in nested:
            if depth + 1 > _MAX_DEPTH:
                raise _refuse_inflation("nested")
            # Bounded: its declared size already fits the budget, and zipfile
            # stops at the declared size.
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
                raise _refuse_inflation("bad_member") from exc
            if data[:4] == b"PK\x03\x04":
                _inspect(io.BytesIO(data), depth=depth + 1, budget=budget)


def check_archive(fileobj, filename: str) -> None:
    """For a ZIP container (by extension), refuse it before parsing if its
    central directory promises too much; other files pass. Leaves the file
    position at 0."""
    if PurePath(filename or "").suffix.lower() not in ZIP_SUFFIXES:
        return
    try:
        fileobj.seek(0)
        _inspect(fileobj, depth=1, budget=[settings.ANXUN_UPLOAD_MAX_INFLATED_BYTES])
    finally:
        fileobj.seek(0)


def check_upload(upload, *, max_bytes: int | None = None) -> None:
    """Every bound on one uploaded file (size, then inflation). Raises
    UploadRefused with a Chinese message."""
    check_size(upload, max_bytes=max_bytes)
    check_archive(upload, getattr(upload, "name", "") or "")


def sha256_of(fileobj) -> str:
    """Hex SHA-256 of the whole file; leaves the position at 0."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


class UploadLimitMiddleware:
    """Answer 413 with a Chinese message when an upload request's body is
    larger than one file may be (plus its form), before Django reads it.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count files, so without
    this an oversized upload is read whole to disk before any form sees it.
    Put before CsrfViewMiddleware (which reads the body)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH") and self._too_large(request):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def _too_large(request) -> bool:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        return length > max_upload_bytes() + REQUEST_OVERHEAD_BYTES

    @staticmethod
    def refuse(request) -> HttpResponse:
        message = _("上传的文件过大：单个文件不能超过 %(mb)s MB，请压缩或拆分后再上传") % {
            "mb": _mb(max_upload_bytes())
        }
        wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
        if wants_json:
            response = JsonResponse({"detail": message, "code": "upload_too_large", "errors": {}}, status=413)
        else:
            response = HttpResponse(
                render_to_string("upload_too_large.html", {"message": message}, request=request), status=413
            )
        # The body was not read: do not let the client keep sending it on this connection.
        response["Connection"] = "close"
        return response
