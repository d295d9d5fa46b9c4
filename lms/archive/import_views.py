"""Back-office page for importing the paper-era training archive (mounted by
wagtail_hooks.py at /admin/archive/import/, namespace "archive_import";
Wagtail's admin login already guards it). Thin: check permission, call
``importing.import_records``, render the outcome."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids, scope
from lms.imports import XLSX_CONTENT_TYPE, ImportFileError, check_bounds, file_kind
from lms.workforce.models import Enterprise

from .importing import MAX_ROWS, TEMPLATE_FILENAME, build_template, import_records

IMPORT_PERMISSION = "archive.add_trainingrecord"


class UploadForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=gettext_lazy("导入到企业"), queryset=Enterprise.objects.none(), empty_label=gettext_lazy("请选择企业")
    )
    file = forms.FileField(
        label=gettext_lazy("历史培训档案文件"),
        help_text=gettext_lazy("支持 .xlsx 和 .csv（UTF-8 或 GBK 编码），第 1 行为表头。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("只检查，不导入"),
        required=False,
        help_text=gettext_lazy("勾选后只检查文件并报告结果，不写入任何档案。"),
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


def can_import(user) -> bool:
    """May ``user`` use the import page: the permission, and at least one
    enterprise whose data they may change (the archive is HR's job)."""
    if not user.has_perm(IMPORT_PERMISSION):
        return False
    ents = enterprise_ids(user, Capability.CHANGE)
    return ents is None or bool(ents)


def _breadcrumbs(*extra):
    items = [{"url": reverse("wagtailadmin_home"), "label": _("首页")}]
    items.append({"url": reverse("archive_import:upload") if extra else "", "label": _("导入历史培训档案")})
    items.extend(extra)
    return items


def _forbidden(request):
    # Raising PermissionDenied inside Wagtail's admin turns into a redirect
    # home; an explicit 403 tells the user (and tests) what happened.
    return TemplateResponse(
        request,
        "archive/import/forbidden.html",
        {"page_title": _("无权导入培训档案"), "breadcrumbs_items": _breadcrumbs()},
        status=403,
    )


def _records_url() -> str:
    try:
        return reverse("trainingrecord:index")
    except NoReverseMatch:
        return ""


def _context(form, **extra):
    return {
        "form": form,
        "page_title": _("导入历史培训档案"),
        "breadcrumbs_items": _breadcrumbs(),
        "template_url": reverse("archive_import:template"),
        "action_url": reverse("archive_import:upload"),
        "max_rows": MAX_ROWS,
        **extra,
    }


@require_http_methods(["GET", "POST"])
def upload(request):
    """The upload form; on POST, the import's outcome: counts and notices
    when it succeeded, every error (and the form again) when it did not."""
    if not can_import(request.user):
        return _forbidden(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        enterprise = form.cleaned_data["enterprise"]
        try:
            result = import_records(
                enterprise=enterprise,
                fileobj=upload_file,
                filename=upload_file.name,
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        except PermissionDenied:
            return _forbidden(request)
        if result.ok:
            context = _context(
                UploadForm(user=request.user, initial={"enterprise": enterprise.pk}),
                result=result,
                enterprise=enterprise,
                filename=upload_file.name,
                records_url=_records_url(),
            )
            return TemplateResponse(request, "archive/import/result.html", context)
        context = _context(form, result=result, filename=upload_file.name)
        return TemplateResponse(request, "archive/import/upload.html", context)
    return TemplateResponse(request, "archive/import/upload.html", _context(form))


@require_GET
def template_download(request):
    if not can_import(request.user):
        return _forbidden(request)
    response = HttpResponse(build_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, TEMPLATE_FILENAME)
    return response


urlpatterns = [
    path("", upload, name="upload"),
    path("template.xlsx", template_download, name="template"),
]
