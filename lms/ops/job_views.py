"""The operator page 后台任务 (mounted by wagtail_hooks.py at /admin/jobs/,
namespace "ops_jobs"): the list of failed, stuck and long-pending background
jobs, and a retry with a confirmation step (POST, CSRF). Reads and the write
are in lms.ops.jobs."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import jobs


def _check(request):
    if not jobs.can_see_jobs(request.user):
        raise PermissionDenied


def job_list(request):
    _check(request)
    return TemplateResponse(request, "ops/jobs.html", {
        "rows": jobs.jobs_needing_attention(request.user, now=timezone.now()),
        "page_title": _("后台任务"),
        "pending_minutes": settings.ANXUN_JOB_PENDING_ALERT_MINUTES,
    })


@require_http_methods(["GET", "POST"])
def job_retry(request, kind: str, pk: int):
    _check(request)
    found = jobs.job_for(request.user, kind, pk)
    if found is None:
        raise Http404
    entry, job = found
    if request.method == "POST":
        try:
            jobs.job_retry(user=request.user, kind=kind, pk=pk)
        except jobs.RetryRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已重新排队：%(job)s") % {"job": job})
        return redirect("ops_jobs:list")
    return TemplateResponse(request, "ops/job_retry.html", {
        "job": job,
        "kind_label": entry.model._meta.verbose_name,
        "page_title": _("重试后台任务"),
    })


app_name = "ops_jobs"
urlpatterns = [
    path("", job_list, name="list"),
    path("<str:kind>/<int:pk>/retry/", job_retry, name="retry"),
]
