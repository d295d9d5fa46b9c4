"""The back-office pages every import has, driven by its ImportSpec: the
upload form (the file checked against the upload bounds before anything
parses or stores it), the 403 page, the template download. An app
subclasses ``ImportPages``, says what happens to a valid upload
(``form_valid``) and mounts ``urls()`` under its namespace; Wagtail's admin
login already guards them. Templates: ``imports/*.html``."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from lms.accounts.scoping import scope
from lms.kernel.jobs import job_progress

from . import XLSX_CONTENT_TYPE, ImportFileError, check_bounds, file_kind
from .spec import ImportSpec


class ImportForm(forms.Form):
    """An import's upload form. Subclasses declare the target field
    (``target_field``, filled from ``target_queryset(user)`` and preselected
    when there is only one choice) and may check the file further."""

    target_field = ""
    file_label = ""
    file_help = gettext_lazy("支持 .xlsx 和 .csv（UTF-8 或 GBK 编码），第 1 行为表头。")
    accept = ".xlsx,.csv"

    file = forms.FileField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        upload = self.fields["file"]
        upload.label, upload.help_text = self.file_label, self.file_help
        upload.widget = forms.ClearableFileInput(attrs={"accept": self.accept})
        choices = self.target_queryset(user)
        self.fields[self.target_field].queryset = choices
        only = list(choices[:2])
        if len(only) == 1:
            self.fields[self.target_field].initial = only[0].pk

    def target_queryset(self, user):
        raise NotImplementedError

    def check_file(self, upload) -> None:
        """Raise ImportFileError unless the upload is a file this import
        reads, within the upload bounds (size and inflation: checked before
        anything parses or stores it)."""
        file_kind(upload.name)
        check_bounds(upload, upload.name)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.check_file(upload)
        except ImportFileError as exc:
            raise forms.ValidationError(exc.messages) from None
        return upload


class ImportPages:
    """The pages of one import. Set the attributes, implement ``form_valid``;
    add pages with ``extra_urls``."""

    spec: ImportSpec
    namespace = ""
    permission = ""
    form_class: type[ImportForm]
    title = ""  # page title and breadcrumb: "导入员工"
    forbidden_title = ""
    forbidden_message = ""
    upload_template = ""
    submit_label = gettext_lazy("上传并导入")
    busy_label = gettext_lazy("正在导入…")
    template_note = gettext_lazy("模板中的“填写说明”工作表解释了每一列。")

    def can_import(self, user) -> bool:
        return user.has_perm(self.permission)

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def breadcrumbs(self, *extra) -> list[dict]:
        items = [{"url": reverse("wagtailadmin_home"), "label": _("首页")}]
        items.append({"url": self.url("upload") if extra else "", "label": str(self.title)})
        items.extend(extra)
        return items

    def forbidden(self, request):
        # Raising PermissionDenied inside Wagtail's admin turns into a redirect
        # home; an explicit 403 tells the user (and tests) what happened.
        context = {
            "page_title": str(self.forbidden_title),
            "breadcrumbs_items": self.breadcrumbs(),
            "message": self.forbidden_message,
        }
        return TemplateResponse(request, "imports/forbidden.html", context, status=403)

    def context(self, form, **extra) -> dict:
        """What every page of the import shows: the header and the upload form."""
        return {
            "form": form,
            "page_title": str(self.title),
            "breadcrumbs_items": self.breadcrumbs(),
            "template_url": self.url("template"),
            "template_filename": self.spec.template_filename,
            "template_note": self.template_note,
            "action_url": self.url("upload"),
            "submit_label": self.submit_label,
            "busy_label": self.busy_label,
            "max_rows": self.spec.row_limit(),
            **extra,
        }

    def form_valid(self, request, form):
        """The response to a valid upload."""
        raise NotImplementedError

    def upload(self, request):
        if not self.can_import(request.user):
            return self.forbidden(request)
        form = self.form_class(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            return self.form_valid(request, form)
        return TemplateResponse(request, self.upload_template, self.context(form))

    def template_download(self, request):
        if not self.can_import(request.user):
            return self.forbidden(request)
        response = HttpResponse(self.spec.build_template(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, self.spec.template_filename)
        return response

    # --- the import's job (lms.imports.jobs): progress, then the result -------------------

    # The import job model (lms.workforce.models.ImportJob), set by the app.
    job_model = None
    job_template = "imports/job.html"

    def job_queryset(self, request):
        """This import's jobs the user may see (of their enterprises)."""
        return scope(self.job_model.objects.filter(kind=self.spec.name), request.user).select_related(
            "enterprise", "created_by"
        )

    def job_form(self, request, job):
        """The upload form shown again under a failed job."""
        return self.form_class(user=request.user, initial={self.form_class.target_field: job.target_id})

    def job_context(self, request, job) -> dict:
        """What the job page shows of this import's result."""
        return {}

    def job_detail(self, request, pk: int):
        if not self.can_import(request.user):
            return self.forbidden(request)
        job = get_object_or_404(self.job_queryset(request), pk=pk)
        form = self.job_form(request, job) if job.status == job.Status.FAILED else None
        context = self.context(
            form,
            job=job,
            page_title=_("导入结果：%(name)s") % {"name": job.original_name},
            breadcrumbs_items=self.breadcrumbs({"url": "", "label": job.original_name}),
            status_url=self.url("status", job.pk),
            **self.job_context(request, job),
        )
        return TemplateResponse(request, self.job_template, context)

    def job_status(self, request, pk: int):
        if not self.can_import(request.user):
            return JsonResponse({"detail": str(self.forbidden_title)}, status=403)
        return JsonResponse(job_progress(get_object_or_404(self.job_queryset(request), pk=pk)))

    def job_urls(self) -> list:
        if self.job_model is None:
            return []
        return [
            path("<int:pk>/", require_GET(self.job_detail), name="job"),
            path("<int:pk>/status.json", require_GET(self.job_status), name="status"),
        ]

    def extra_urls(self) -> list:
        return []

    def urls(self) -> list:
        return [
            path("", require_http_methods(["GET", "POST"])(self.upload), name="upload"),
            *self.job_urls(),
            *self.extra_urls(),
            path("template.xlsx", require_GET(self.template_download), name="template"),
        ]
