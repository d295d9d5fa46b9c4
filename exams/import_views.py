"""Back-office pages for importing questions into a bank (mounted by
wagtail_hooks.py at /admin/exams/import/, namespace "exams_import"; Wagtail's
admin login already guards them).

Two steps: the upload is checked without writing anything and a preview
shows what would be imported, every skipped item with its reason and every
error; only after the user confirms is the file imported (all or nothing).
Between the steps the file waits in storage under a random token kept in the
user's session. The confirmation makes the file an import job
(lms.imports.jobs: run at once or, when long, by a worker) whose page shows
its progress and then the outcome. Also: the empty template and bank exports."""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from lms.imports import XLSX_CONTENT_TYPE, ImportFileError, check_bounds
from lms.imports.views import ImportForm
from lms.workforce.import_views import JobImportPages
from lms.workforce.importing import importjob_create, importjob_start
from lms.workforce.tasks import run_import_job

from . import selectors
from .exporting import bank_questions, export_moodle_xml, export_xlsx
from .formats.common import FORMAT_CHOICES, detect_format
from .importing import QUESTIONS, UPLOAD_DIR, import_questions
from .models import QuestionBank
from .question_services import editable_banks

IMPORT_PERMISSION = "exams.add_question"
SESSION_KEY = "exams_question_import"
ACCEPT = ".xlsx,.csv,.xml,.gift,.txt"
PREVIEW_LIMIT = 500  # rows of errors / skipped items shown; the counts are always complete


class BankChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        owner = obj.enterprise.name if obj.enterprise_id else _("平台公共题库")
        return f"{owner} · {obj.name}"


class UploadForm(ImportForm):
    target_field = "bank"
    file_label = gettext_lazy("题目文件")
    file_help = gettext_lazy("支持 Excel 模板（.xlsx/.csv）、Moodle XML（.xml）和 GIFT（.gift/.txt）。")
    accept = ACCEPT
    field_order = ("bank", "file", "fmt", "skip_duplicates")

    bank = BankChoiceField(label=gettext_lazy("导入到题库"), queryset=None, empty_label=gettext_lazy("请选择题库"))
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

    def target_queryset(self, user):
        return editable_banks(user).order_by("enterprise__name", "name")

    def check_file(self, upload) -> None:
        check_bounds(upload, upload.name)
        head = upload.read(512)
        upload.seek(0)
        detect_format(upload.name, head)


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


class QuestionImportPages(JobImportPages):
    spec = QUESTIONS
    namespace = "exams_import"
    permission = IMPORT_PERMISSION
    form_class = UploadForm
    title = gettext_lazy("导入题库")
    forbidden_title = gettext_lazy("无权导入题库")
    forbidden_message = gettext_lazy("您的角色没有导入题库的权限。如需导入，请联系安全管理人员或企业管理员。")
    upload_template = "exams/import/upload.html"
    submit_label = gettext_lazy("上传并预览")
    busy_label = gettext_lazy("正在检查…")
    template_note = gettext_lazy("模板中的“填写说明”工作表解释了每一列，并附有示例。")
    job_template = "exams/import/job.html"

    def job_context(self, request, job):
        bank = QuestionBank.objects.filter(pk=job.target_id).select_related("enterprise").first()
        return {"bank": bank}

    def form_valid(self, request, form):
        """Step 1: a valid upload is checked (dry run) and previewed; the
        file waits for the confirmation under a token kept in the session."""
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
        return self.preview(request, form, bank, result, token)

    def preview(self, request, form, bank, result, token):
        context = self.context(
            form,
            page_title=_("导入预览：%(name)s") % {"name": result.filename},
            breadcrumbs_items=self.breadcrumbs({"url": "", "label": result.filename}),
            bank=bank,
            result=result,
            errors=result.errors[:PREVIEW_LIMIT],
            skipped=[(result.where(s.number, s.label), s) for s in result.skipped[:PREVIEW_LIMIT]],
            more_errors=max(0, len(result.errors) - PREVIEW_LIMIT),
            more_skipped=max(0, len(result.skipped) - PREVIEW_LIMIT),
            token=token,
            confirm_url=self.url("confirm"),
            format_label=dict(FORMAT_CHOICES).get(result.format, result.format),
        )
        return TemplateResponse(request, "exams/import/preview.html", context)

    def confirm(self, request):
        """Step 2: import the previewed file (all or nothing), once."""
        if not self.can_import(request.user):
            return self.forbidden(request)
        token = request.POST.get("token", "")
        entry = _pending(request).get(token)
        if entry is None:
            messages.error(request, _("这次上传已失效（已导入或已过期），请重新上传文件。"))
            return redirect(self.url("upload"))
        bank = _get_bank_for_user(request, entry["bank"])
        try:
            with default_storage.open(entry["path"], "rb") as stored:
                job = importjob_create(
                    enterprise=bank.enterprise, target=bank, upload=File(stored, name=entry["filename"]),
                    actor=request.user, spec=QUESTIONS,
                    options={"fmt": entry["fmt"], "skip_duplicates": entry["skip_duplicates"]},
                )
        except (FileNotFoundError, ImportFileError):
            _forget(request, token)
            messages.error(request, _("上传的文件已被清理，请重新上传。"))
            return redirect(self.url("upload"))
        _forget(request, token)  # the job keeps its own copy
        importjob_start(job, enqueue=run_import_job.delay)
        return redirect(self.url("job", job.pk))

    def cancel(self, request):
        if not self.can_import(request.user):
            return self.forbidden(request)
        _forget(request, request.POST.get("token", ""))
        messages.info(request, _("已取消导入，没有写入任何题目。"))
        return redirect(self.url("upload"))

    def export(self, request, pk: int, fmt: str):
        """A bank the user may write, as Moodle XML or xlsx (answer keys included)."""
        if not self.can_import(request.user):
            return self.forbidden(request)
        bank = _get_bank_for_user(request, pk)
        if not selectors.keys_visible(request.user, bank.enterprise_id):
            return self.forbidden(request)  # an editor sitting an exam: the export holds every key
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

    def extra_urls(self):
        return [
            path("confirm/", require_POST(self.confirm), name="confirm"),
            path("cancel/", require_POST(self.cancel), name="cancel"),
            path("export/<int:pk>/<str:fmt>/", require_GET(self.export), name="export"),
        ]


pages = QuestionImportPages()
urlpatterns = pages.urls()
