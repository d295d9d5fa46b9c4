"""Back-office pages for importing questions into a bank (mounted by
wagtail_hooks.py at /admin/exams/import/, namespace "exams_import"; Wagtail's
admin login already guards them).

Two steps: the upload is checked without writing anything and a preview
shows what would be imported, every skipped item with its reason and every
error; only after the user confirms is the file imported (all or nothing).
Between the steps the file waits in storage under a random token kept in the
user's session. Also: the empty template and bank exports."""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.imports import XLSX_CONTENT_TYPE, ImportFileError, check_bounds

from . import selectors
from .exporting import TEMPLATE_FILENAME, bank_questions, build_template, export_moodle_xml, export_xlsx
from .formats.common import FORMAT_CHOICES, detect_format
from .importing import UPLOAD_DIR, import_questions
from .question_services import editable_banks

IMPORT_PERMISSION = "exams.add_question"
SESSION_KEY = "exams_question_import"
ACCEPT = ".xlsx,.csv,.xml,.gift,.txt"
PREVIEW_LIMIT = 500  # rows of errors / skipped items shown; the counts are always complete


class BankChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        owner = obj.enterprise.name if obj.enterprise_id else _("平台公共题库")
        return f"{owner} · {obj.name}"


class UploadForm(forms.Form):
    bank = BankChoiceField(label=gettext_lazy("导入到题库"), queryset=None, empty_label=gettext_lazy("请选择题库"))
    file = forms.FileField(
        label=gettext_lazy("题目文件"),
        help_text=gettext_lazy("支持 Excel 模板（.xlsx/.csv）、Moodle XML（.xml）和 GIFT（.gift/.txt）。"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    fmt = forms.ChoiceField(
        label=gettext_lazy("文件格式"),
        choices=(("", gettext_lazy("自动识别")), *FORMAT_CHOICES),
        required=False,
    )
    skip_duplicates = forms.BooleanField(
        label=gettext_lazy("跳过题库中已有的相同题目"),
        help_text=gettext_lazy("不勾选时，与题库中已有题目相同的题会作为错误列出，整个文件不导入。"),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        banks = editable_banks(user).order_by("enterprise__name", "name")
        self.fields["bank"].queryset = banks
        only = list(banks[:2])
        if len(only) == 1:
            self.fields["bank"].initial = only[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_bounds(upload, upload.name)
            head = upload.read(512)
            upload.seek(0)
            detect_format(upload.name, head)
        except ImportFileError as exc:
            raise forms.ValidationError(exc.messages) from None
        return upload


def _can_import(user) -> bool:
    return user.has_perm(IMPORT_PERMISSION)


def _breadcrumbs(*extra):
    items = [{"url": reverse("wagtailadmin_home"), "label": _("首页")}]
    items.append({"url": reverse("exams_import:upload") if extra else "", "label": _("导入题库")})
    items.extend(extra)
    return items


def _forbidden(request):
    # Raising PermissionDenied inside Wagtail's admin turns into a redirect
    # home; an explicit 403 tells the user (and tests) what happened.
    return TemplateResponse(
        request,
        "exams/import/forbidden.html",
        {"page_title": _("无权导入题库"), "breadcrumbs_items": _breadcrumbs()},
        status=403,
    )


def _get_bank_for_user(request, pk):
    """A bank the user may write, else 404 (other enterprises' banks do not exist for them)."""
    return get_object_or_404(editable_banks(request.user), pk=pk)


def _pending(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def _forget(request, token: str) -> None:
    pending = _pending(request)
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if entry:
        default_storage.delete(entry["path"])


def _upload_context(form):
    return {
        "form": form,
        "page_title": _("导入题库"),
        "breadcrumbs_items": _breadcrumbs(),
        "template_url": reverse("exams_import:template"),
        "action_url": reverse("exams_import:upload"),
    }


@require_http_methods(["GET", "POST"])
def upload(request):
    """Step 1: choose bank and file; a valid upload is checked (dry run) and previewed."""
    if not _can_import(request.user):
        return _forbidden(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        bank = form.cleaned_data["bank"]
        upload_file = form.cleaned_data["file"]
        fmt = form.cleaned_data["fmt"] or None
        skip = form.cleaned_data["skip_duplicates"]
        result = import_questions(
            bank=bank,
            fileobj=upload_file,
            filename=upload_file.name,
            fmt=fmt,
            actor=request.user,
            dry_run=True,
            skip_duplicates=skip,
        )
        token = ""
        if result.ok:
            token = secrets.token_urlsafe(16)
            name = get_valid_filename(PurePath(upload_file.name).name) or "questions"
            upload_file.seek(0)
            stored = default_storage.save(f"{UPLOAD_DIR}/{token}/{name}", ContentFile(upload_file.read()))
            pending = _pending(request)
            pending[token] = {
                "path": stored,
                "bank": bank.pk,
                "filename": upload_file.name,
                "fmt": result.format,
                "skip_duplicates": skip,
            }
            request.session[SESSION_KEY] = pending
        return _preview(request, form, bank, result, token)
    return TemplateResponse(request, "exams/import/upload.html", _upload_context(form))


def _preview(request, form, bank, result, token):
    context = _upload_context(form)
    context.update(
        {
            "page_title": _("导入预览：%(name)s") % {"name": result.filename},
            "breadcrumbs_items": _breadcrumbs({"url": "", "label": result.filename}),
            "bank": bank,
            "result": result,
            "errors": result.errors[:PREVIEW_LIMIT],
            "skipped": [(result.where(s.number, s.label), s) for s in result.skipped[:PREVIEW_LIMIT]],
            "more_errors": max(0, len(result.errors) - PREVIEW_LIMIT),
            "more_skipped": max(0, len(result.skipped) - PREVIEW_LIMIT),
            "token": token,
            "confirm_url": reverse("exams_import:confirm"),
            "format_label": dict(FORMAT_CHOICES).get(result.format, result.format),
        }
    )
    return TemplateResponse(request, "exams/import/preview.html", context)


@require_POST
def confirm(request):
    """Step 2: import the previewed file (all or nothing), once."""
    if not _can_import(request.user):
        return _forbidden(request)
    token = request.POST.get("token", "")
    entry = _pending(request).get(token)
    if entry is None:
        messages.error(request, _("这次上传已失效（已导入或已过期），请重新上传文件。"))
        return redirect("exams_import:upload")
    bank = _get_bank_for_user(request, entry["bank"])
    try:
        with default_storage.open(entry["path"], "rb") as fileobj:
            result = import_questions(
                bank=bank,
                fileobj=fileobj,
                filename=entry["filename"],
                fmt=entry["fmt"],
                actor=request.user,
                skip_duplicates=entry["skip_duplicates"],
            )
    except FileNotFoundError:
        _forget(request, token)
        messages.error(request, _("上传的文件已被清理，请重新上传。"))
        return redirect("exams_import:upload")
    if not result.ok:
        # The bank changed since the preview (e.g. someone added the same question).
        _forget(request, token)
        form = UploadForm(user=request.user, initial={"bank": bank.pk})
        return _preview(request, form, bank, result, "")
    _forget(request, token)
    messages.success(
        request,
        _("已向题库“%(bank)s”导入 %(n)s 道题（跳过 %(skipped)s 道，新建分类 %(cats)s 个）。")
        % {"bank": bank.name, "n": result.created, "skipped": len(result.skipped), "cats": result.new_categories},
    )
    return redirect("exams_import:upload")


@require_POST
def cancel(request):
    if not _can_import(request.user):
        return _forbidden(request)
    _forget(request, request.POST.get("token", ""))
    messages.info(request, _("已取消导入，没有写入任何题目。"))
    return redirect("exams_import:upload")


@require_GET
def template_download(request):
    if not _can_import(request.user):
        return _forbidden(request)
    response = HttpResponse(build_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, TEMPLATE_FILENAME)
    return response


@require_GET
def export(request, pk: int, fmt: str):
    """A bank the user may write, as Moodle XML or xlsx (answer keys included)."""
    if not _can_import(request.user):
        return _forbidden(request)
    bank = _get_bank_for_user(request, pk)
    if not selectors.keys_visible(request.user, bank.enterprise_id):
        return _forbidden(request)  # an editor sitting an exam: the export holds every key
    questions = list(bank_questions(bank))
    if fmt == "moodle-xml":
        data, content_type, suffix = export_moodle_xml(bank, questions), "application/xml; charset=utf-8", "xml"
    elif fmt == "xlsx":
        data, content_type, suffix = export_xlsx(bank, questions), XLSX_CONTENT_TYPE, "xlsx"
    else:
        raise Http404
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{bank.name}.{suffix}")
    return response


urlpatterns = [
    path("", upload, name="upload"),
    path("confirm/", confirm, name="confirm"),
    path("cancel/", cancel, name="cancel"),
    path("template.xlsx", template_download, name="template"),
    path("export/<int:pk>/<str:fmt>/", export, name="export"),
]
