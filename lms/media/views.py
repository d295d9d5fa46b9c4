"""The one door to uploaded and generated files: ``/media/<path>``."""

from __future__ import annotations

import posixpath

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .registry import rule_for
from .serving import file_response


def _clean_name(path: str) -> str:
    """The storage name asked for; 404 for anything that is not a plain
    relative path (no "..", no empty or "." segments, no NUL, no backslash)."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise Http404
    if posixpath.normpath(path) != path or path.split("/", 1)[0] == "..":
        raise Http404
    return path


@require_safe
@never_cache
def serve(request, path: str):
    """Send the file if the rule of its folder lets ``request.user`` read it:
    404 for a path no rule claims and for files the user may not read (the
    same answer, so a path's existence leaks nothing); the login page for a
    visitor who is not signed in."""
    name = _clean_name(path)
    rule = rule_for(name)
    grant = rule(request, name) if rule is not None else None
    if grant is None:
        if rule is not None and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404
    return file_response(request, name, grant=grant)
