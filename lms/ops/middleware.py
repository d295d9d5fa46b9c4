"""First in MIDDLEWARE: answers the probes and the scrape ahead of the stack
(a load balancer asks by address, over HTTP, without cookies: no host check,
HTTPS redirect, session or MFA applies), and measures every other request."""

from __future__ import annotations

import time

from lms.kernel import metrics

from . import views

PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_label(request)
        metrics.LATENCY.labels(view).observe(time.perf_counter() - started)
        metrics.REQUESTS.labels(view, request.method if request.method in _METHODS else "other",
                                f"{response.status_code // 100}xx").inc()
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _view_label(request) -> str:
    """The URL name (bounded set of labels), the fast path's, or "unmatched"."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    fast = getattr(request, "fast_path_name", None)
    return fast or "unmatched"
