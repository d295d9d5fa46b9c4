"""Back-office pages for importing employees (mounted by wagtail_hooks.py at
/admin/workforce/import/, namespace "workforce_import"): the import
framework's upload form, template download and job pages
(``lms.imports.views``); an upload becomes an ImportJob, run at once or,
when long, by a worker while the job page shows its progress."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from lms.imports import ImportFileError
from lms.imports.views import ImportPages

from .import_targets import EnterpriseImportForm
from .importing import EMPLOYEES, importjob_create, importjob_start
from .models import ImportJob
from .tasks import run_import_job

IMPORT_PERMISSION = "workforce.add_importjob"


class UploadForm(EnterpriseImportForm):
    file_label = gettext_lazy("员工名单文件")


class JobImportPages(ImportPages):
    """An import whose upload becomes an ImportJob (lms.imports.jobs) and
    redirects to the job's page. ``job_target(form)`` and ``job_options(form)``
    say what the form chose."""

    job_model = ImportJob

    def job_target(self, form):
        return form.cleaned_data[self.form_class.target_field]

    def job_enterprise(self, target):
        return target

    def job_options(self, form) -> dict:
        return {}

    def start_job(self, request, form, upload, target, options):
        """Store the upload as a job into ``target``, start it, show its page."""
        try:
            job = importjob_create(
                enterprise=self.job_enterprise(target), target=target, upload=upload, actor=request.user,
                spec=self.spec, options=options,
            )
        except PermissionDenied:
            return self.forbidden(request)
        except ImportFileError as exc:
            form.add_error("file", exc.messages)
            return TemplateResponse(request, self.upload_template, self.context(form))
        importjob_start(job, enqueue=run_import_job.delay)
        return redirect(self.url("job", job.pk))

    def form_valid(self, request, form):
        return self.start_job(request, form, form.cleaned_data["file"], self.job_target(form), self.job_options(form))


class EmployeeImportPages(JobImportPages):
    spec = EMPLOYEES
    namespace = "workforce_import"
    permission = IMPORT_PERMISSION
    form_class = UploadForm
    title = gettext_lazy("导入员工")
    forbidden_title = gettext_lazy("无权导入员工")
    forbidden_message = gettext_lazy("您的角色没有导入员工的权限。如需导入，请联系企业管理员。")
    upload_template = "workforce/import/upload.html"
    job_template = "workforce/import/job.html"
    busy_label = gettext_lazy("正在上传…")

    def job_context(self, request, job):
        return {"employee_list_url": _employee_list_url()}


def _employee_list_url() -> str:
    try:
        return reverse("workforce_employee:index")
    except NoReverseMatch:
        return "/admin/"


pages = EmployeeImportPages()
urlpatterns = pages.urls()
