"""``/healthz``, ``/readyz`` and ``/metrics`` (issue 19). Answered by
lms.ops.middleware.OpsMiddleware ahead of every other middleware (no host
check, HTTPS redirect, session, login or MFA); the URL patterns in lms/urls.py
name the same views."""

from __future__ import annotations

import ipaddress
import os

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from .checks import readiness
from .collector import COLLECTOR

_app_registry = CollectorRegistry(auto_describe=False)
_app_registry.register(COLLECTOR)


@never_cache
def healthz(request):
    """Liveness: the process answers. No database, no cache."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: database, cache, broker and migrations, each within its time
    limit. ``?only=database,migrations`` runs only those (a load balancer that
    must keep nodes in while Redis is away: the site degrades without it)."""
    only = {name for name in request.GET.get("only", "").split(",") if name}
    ready, checks = readiness(only=only)
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def metrics_allowed(request) -> bool:
    token = settings.ANXUN_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and constant_time_compare(header[7:].strip(), token):
        return True
    allowed = settings.ANXUN_METRICS_ALLOWED_IPS
    if allowed:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in allowed)
    return False


@never_cache
def metrics(request):
    """Prometheus text format, for the bearer token or an allowed address only."""
    if not metrics_allowed(request):
        response = HttpResponse("forbidden\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return HttpResponse(body + generate_latest(_app_registry), content_type=CONTENT_TYPE_LATEST)
