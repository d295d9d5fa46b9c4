"""Back-office page for importing the paper-era training archive (mounted by
wagtail_hooks.py at /admin/archive/import/, namespace "archive_import"): the
import framework's upload form, template download and job pages
(``lms.imports.views``); an upload becomes an import job (lms.imports.jobs),
run at once or, when long, by a worker, and its page shows the outcome."""

from django import forms
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.workforce.import_targets import EnterpriseImportForm
from lms.workforce.import_views import JobImportPages

from .importing import RECORDS

IMPORT_PERMISSION = "archive.add_trainingrecord"


class UploadForm(EnterpriseImportForm):
    file_label = gettext_lazy("历史培训档案文件")
    field_order = ("enterprise", "file", "dry_run")

    dry_run = forms.BooleanField(
        label=gettext_lazy("只检查，不导入"),
        required=False,
        help_text=gettext_lazy("勾选后只检查文件并报告结果，不写入任何档案。"),
    )


def can_import(user) -> bool:
    """May ``user`` use the import page: the permission, and at least one
    enterprise whose data they may change (the archive is HR's job)."""
    if not user.has_perm(IMPORT_PERMISSION):
        return False
    ents = enterprise_ids(user, Capability.CHANGE)
    return ents is None or bool(ents)


def _records_url() -> str:
    try:
        return reverse("trainingrecord:index")
    except NoReverseMatch:
        return ""


class RecordImportPages(JobImportPages):
    spec = RECORDS
    namespace = "archive_import"
    permission = IMPORT_PERMISSION
    form_class = UploadForm
    title = gettext_lazy("导入历史培训档案")
    forbidden_title = gettext_lazy("无权导入培训档案")
    forbidden_message = gettext_lazy("您的角色没有导入培训档案的权限。如需导入，请联系企业的人力资源或企业管理员。")
    upload_template = "archive/import/upload.html"
    job_template = "archive/import/job.html"

    def can_import(self, user) -> bool:
        return can_import(user)

    def job_options(self, form) -> dict:
        return {"dry_run": form.cleaned_data["dry_run"]}

    def job_context(self, request, job):
        return {"records_url": _records_url()}


pages = RecordImportPages()
urlpatterns = pages.urls()
