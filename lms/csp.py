"""Content-Security-Policy: one strict policy for Anxun's own pages, and the
narrowest relaxation for the third-party pages that cannot meet it.

The policy itself lives in settings (``CONTENT_SECURITY_POLICY``, django-csp
4); this middleware only chooses, by path, which directives a few areas
replace. Our own templates carry no inline script, no event-handler attribute
and no inline style (tests/test_csp_templates.py keeps it so).
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

# Wagtail 8's admin still writes inline <script> (date/time choosers, inline
# panels, multiple-chooser panels: wagtailadmin/widgets/*_input.html,
# wagtailadmin/panels/*.html) and inline style attributes and <style>
# elements (notifications, Draftail, the page preview panel). Its preview
# panel frames our own pages from /admin/, so frame-ancestors is 'self' there
# instead of 'none'. Nothing else is relaxed: no 'unsafe-eval', no other origin.
WAGTAIL_ADMIN = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:"],
    "frame-ancestors": [SELF],
}

# Replacements by path prefix, first match wins. Swagger UI (/api/docs/) and
# Django's admin (/django-admin/) pass the strict policy: the former is served
# by SpectacularSwaggerSplitView (init script as a separate file) with our
# copy of its template (templates/drf_spectacular/swagger_ui.html, no <style>).
PATH_REPLACEMENTS: tuple[tuple[str, dict], ...] = (("/admin/", WAGTAIL_ADMIN),)


def replacement_for(path: str) -> dict | None:
    """The directives that replace the project policy's for a request path, if any."""
    for prefix, replace in PATH_REPLACEMENTS:
        if path.startswith(prefix):
            return replace
    return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the per-area replacements above applied
    under any per-view ``@csp_replace``/``@csp_update`` (those still win)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        area = replacement_for(request.path_info)
        if area is not None and parts.config is None:
            parts.replace = {**area, **(parts.replace or {})}
        return parts
