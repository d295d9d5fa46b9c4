"""Send a stored file the caller has already decided the user may read.

The backend is ``ANXUN_MEDIA_SERVE``:

- ``django`` (default, development): streamed by Django, with single byte
  ranges (206) so a ``<video>`` can seek;
- ``nginx``: an empty response with ``X-Accel-Redirect`` to the internal
  location ``ANXUN_MEDIA_INTERNAL_URL``;
- ``xsendfile``: ``X-Sendfile`` with the file's path (Apache mod_xsendfile,
  lighttpd).

A storage without local paths (S3-compatible object storage) is answered
with a 302 to a signed URL valid for ``ANXUN_MEDIA_URL_EXPIRE_SECONDS``.
Whatever the backend, the response says how to show the file
(Content-Disposition), forbids MIME sniffing and any shared or stored copy.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import re
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header, http_date

from .registry import Grant

BACKENDS = ("django", "nginx", "xsendfile")
# Shown in the browser when asked to; everything else (HTML, SVG, office
# files, archives, text) is always a download, so an uploaded page never
# runs in our origin.
INLINE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
    "application/pdf",
    "video/mp4", "video/webm", "video/ogg", "video/quicktime", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav",
})
# Types a browser would run as a page or script in our origin.
ACTIVE_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "text/xsl",
})
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def content_type_of(name: str) -> str:
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store, max-age=0"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _disposition(name: str, grant: Grant, content_type: str) -> tuple[bool, str]:
    attachment = grant.attachment or content_type not in INLINE_TYPES
    filename = grant.filename or posixpath.basename(name)
    return attachment, content_disposition_header(attachment, filename)


def _local_path(storage, name: str) -> Path | None:
    """The file's path on this machine; None for a remote storage. 404 if
    the name escapes the storage root or the file is gone."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        return None
    except SuspiciousFileOperation as exc:
        raise Http404 from exc
    if not os.path.isfile(path):
        raise Http404
    return Path(path)


def _iter_range(handle, start: int, length: int):
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(_CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _byte_range(request, size: int, last_modified: str) -> tuple[int, int] | None | bool:
    """(first, last) of one satisfiable byte range, None to send the whole
    file, False if the range cannot be satisfied (416)."""
    header = request.headers.get("Range", "").replace(" ", "")
    if not header or request.method != "GET":
        return None
    if_range = request.headers.get("If-Range")
    if if_range and if_range != last_modified:
        return None  # the file changed since the client's copy: send it whole
    match = _RANGE.match(header)
    if not match or (not match[1] and not match[2]):
        return None  # several ranges or a unit we do not know: RFC 9110 lets us send it whole
    if not match[1]:
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    if first >= size or first > last:
        return False
    return first, last


def _stream(request, path: Path, content_type: str) -> HttpResponse:
    stat = path.stat()
    size = stat.st_size
    last_modified = http_date(stat.st_mtime)
    wanted = _byte_range(request, size, last_modified)
    if wanted is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = FileResponse(path.open("rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            _iter_range(path.open("rb"), first, last - first + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = last_modified
    return response


def _offload(name: str, path: Path, backend: str) -> HttpResponse:
    """An empty response that tells the web server to send the file itself."""
    response = HttpResponse()
    if backend == "nginx":
        # The internal location maps ANXUN_MEDIA_INTERNAL_URL onto MEDIA_ROOT.
        response["X-Accel-Redirect"] = quote(settings.ANXUN_MEDIA_INTERNAL_URL.rstrip("/") + "/" + name)
    else:
        # Percent-encoded like the nginx URL (a header carries ASCII only);
        # mod_xsendfile and lighttpd decode it.
        response["X-Sendfile"] = quote(str(path))
    return response


def _signed_redirect(storage, name: str, content_type: str, disposition: str) -> HttpResponse:
    parameters = {"ResponseContentType": content_type, "ResponseContentDisposition": disposition}
    expire = settings.ANXUN_MEDIA_URL_EXPIRE_SECONDS
    try:
        url = storage.url(name, parameters=parameters, expire=expire)
    except TypeError:  # a remote storage without per-URL parameters
        url = storage.url(name)
    return HttpResponseRedirect(url)


def file_response(request, name: str, *, grant: Grant, storage=None, content_type: str | None = None) -> HttpResponse:
    """The response that sends stored file ``name`` (404 if it is gone)."""
    storage = storage or default_storage
    content_type = content_type or content_type_of(name)
    if content_type in ACTIVE_TYPES:
        content_type = "application/octet-stream"  # never rendered by the browser, whatever it guesses
    _attachment, disposition = _disposition(name, grant, content_type)
    path = _local_path(storage, name)
    if path is None:
        return _private(_signed_redirect(storage, name, content_type, disposition))
    backend = settings.ANXUN_MEDIA_SERVE
    if backend not in BACKENDS:
        raise ImproperlyConfigured(f"ANXUN_MEDIA_SERVE must be one of {', '.join(BACKENDS)}")
    response = _stream(request, path, content_type) if backend == "django" else _offload(name, path, backend)
    response["Content-Type"] = content_type
    response["Content-Disposition"] = disposition
    return _private(response)


def fieldfile_response(request, fieldfile, *, attachment: bool = True, filename: str | None = None) -> HttpResponse:
    """:func:`file_response` for a model's FileField value (404 if empty)."""
    if not fieldfile:
        raise Http404
    return file_response(request, fieldfile.name, grant=Grant(attachment=attachment, filename=filename),
                         storage=fieldfile.storage)
