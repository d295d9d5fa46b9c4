"""Back-office pages for importing employees (mounted by wagtail_hooks.py at
/admin/workforce/import/, namespace "workforce_import"; Wagtail's admin login
already guards them). Thin: check permission, call a service, render."""

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.kernel.jobs import job_progress

from .importing import (
    TEMPLATE_FILENAME,
    XLSX_CONTENT_TYPE,
    ImportFileError,
    build_template,
    check_bounds,
    file_kind,
    importjob_create,
    importjob_run,
)
from .models import Enterprise, ImportJob
from .tasks import run_import_job

IMPORT_PERMISSION = "workforce.add_importjob"


class UploadForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=gettext_lazy("导入到企业"), queryset=Enterprise.objects.none(), empty_label=gettext_lazy("请选择企业")
    )
    file = forms.FileField(
        label=gettext_lazy("员工名单文件"),
        help_text=gettext_lazy("支持 .xlsx 和 .csv（UTF-8 或 GBK 编码），第 1 行为表头。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = scope(Enterprise.objects.all(), user, Capability.CHANGE).order_by("name")
        self.fields["enterprise"].queryset = enterprises
        only = list(enterprises[:2])
        if len(only) == 1:
            self.fields["enterprise"].initial = only[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            file_kind(upload.name)
            check_bounds(upload, upload.name)  # size and inflation, before anything parses or stores it
        except ImportFileError as exc:
            raise forms.ValidationError(exc.messages) from None
        return upload


def _forbidden(request):
    # Raising PermissionDenied inside Wagtail's admin turns into a redirect
    # home; an explicit 403 tells the user (and tests) what happened.
    return TemplateResponse(
        request,
        "workforce/import/forbidden.html",
        {"page_title": _("无权导入员工"), "breadcrumbs_items": _breadcrumbs()},
        status=403,
    )


def _can_import(user) -> bool:
    return user.has_perm(IMPORT_PERMISSION)


def _breadcrumbs(*extra):
    items = [{"url": reverse("wagtailadmin_home"), "label": _("首页")}]
    items.append({"url": reverse("workforce_import:upload") if extra else "", "label": _("导入员工")})
    items.extend(extra)
    return items


def _get_job_for_user(request, pk: int) -> ImportJob:
    """The job if the user's enterprises include it, else 404."""
    return get_object_or_404(scope(ImportJob.objects.select_related("enterprise", "created_by"), request.user), pk=pk)


def _employee_list_url() -> str:
    try:
        return reverse("workforce_employee:index")
    except NoReverseMatch:
        return "/admin/"


def _upload_context(request, form):
    return {
        "form": form,
        "page_title": _("导入员工"),
        "breadcrumbs_items": _breadcrumbs(),
        "template_url": reverse("workforce_import:template"),
        "action_url": reverse("workforce_import:upload"),
        "async_threshold": settings.ANXUN_IMPORT_ASYNC_THRESHOLD,
    }


@require_http_methods(["GET", "POST"])
def upload(request):
    if not _can_import(request.user):
        return _forbidden(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = importjob_create(
                enterprise=form.cleaned_data["enterprise"], upload=form.cleaned_data["file"], actor=request.user
            )
        except ImportFileError as exc:
            form.add_error("file", exc.messages)
        else:
            if job.total_rows <= settings.ANXUN_IMPORT_ASYNC_THRESHOLD:
                importjob_run(job.id)
            else:
                transaction.on_commit(lambda: run_import_job.delay(job.id))
            return redirect("workforce_import:job", pk=job.pk)
    return TemplateResponse(request, "workforce/import/upload.html", _upload_context(request, form))


@require_GET
def job_detail(request, pk: int):
    if not _can_import(request.user):
        return _forbidden(request)
    job = _get_job_for_user(request, pk)
    form = None
    if job.status == ImportJob.Status.FAILED:
        form = UploadForm(user=request.user, initial={"enterprise": job.enterprise_id})
    context = {
        "job": job,
        "form": form,
        "page_title": _("导入结果：%(name)s") % {"name": job.original_name},
        "breadcrumbs_items": _breadcrumbs({"url": "", "label": job.original_name}),
        "status_url": reverse("workforce_import:status", args=[job.pk]),
        "employee_list_url": _employee_list_url(),
        "template_url": reverse("workforce_import:template"),
        "action_url": reverse("workforce_import:upload"),
    }
    return TemplateResponse(request, "workforce/import/job.html", context)


@require_GET
def job_status(request, pk: int):
    if not _can_import(request.user):
        return JsonResponse({"detail": _("无权导入员工")}, status=403)
    job = _get_job_for_user(request, pk)
    return JsonResponse(job_progress(job))


@require_GET
def template_download(request):
    if not _can_import(request.user):
        return _forbidden(request)
    response = HttpResponse(build_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, TEMPLATE_FILENAME)
    return response


urlpatterns = [
    path("", upload, name="upload"),
    path("<int:pk>/", job_detail, name="job"),
    path("<int:pk>/status.json", job_status, name="status"),
    path("template.xlsx", template_download, name="template"),
]
