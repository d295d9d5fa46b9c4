"""Back-office pages for importing employees (mounted by wagtail_hooks.py at
/admin/workforce/import/, namespace "workforce_import"): the import
framework's upload form and template download (``lms.imports.views``); an
upload becomes an ImportJob, run at once or, when long, by a worker while
the job page shows its progress."""

from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from lms.accounts.scoping import scope
from lms.imports import ImportFileError
from lms.imports.views import ImportPages
from lms.kernel.jobs import job_progress

from .import_targets import EnterpriseImportForm
from .importing import EMPLOYEES, importjob_create, importjob_run
from .models import ImportJob
from .tasks import run_import_job

IMPORT_PERMISSION = "workforce.add_importjob"


class UploadForm(EnterpriseImportForm):
    file_label = gettext_lazy("员工名单文件")


class EmployeeImportPages(ImportPages):
    spec = EMPLOYEES
    namespace = "workforce_import"
    permission = IMPORT_PERMISSION
    form_class = UploadForm
    title = gettext_lazy("导入员工")
    forbidden_title = gettext_lazy("无权导入员工")
    forbidden_message = gettext_lazy("您的角色没有导入员工的权限。如需导入，请联系企业管理员。")
    upload_template = "workforce/import/upload.html"
    busy_label = gettext_lazy("正在上传…")

    def form_valid(self, request, form):
        try:
            job = importjob_create(
                enterprise=form.cleaned_data["enterprise"], upload=form.cleaned_data["file"], actor=request.user
            )
        except ImportFileError as exc:
            form.add_error("file", exc.messages)
            return TemplateResponse(request, self.upload_template, self.context(form))
        if job.total_rows <= settings.ANXUN_IMPORT_ASYNC_THRESHOLD:
            importjob_run(job.id)
        else:
            transaction.on_commit(lambda: run_import_job.delay(job.id))
        return redirect(self.url("job", job.pk))

    def _get_job_for_user(self, request, pk: int) -> ImportJob:
        """The job if the user's enterprises include it, else 404."""
        return get_object_or_404(
            scope(ImportJob.objects.select_related("enterprise", "created_by"), request.user), pk=pk
        )

    def job_detail(self, request, pk: int):
        if not self.can_import(request.user):
            return self.forbidden(request)
        job = self._get_job_for_user(request, pk)
        form = None
        if job.status == ImportJob.Status.FAILED:
            form = UploadForm(user=request.user, initial={"enterprise": job.enterprise_id})
        context = self.context(
            form,
            job=job,
            page_title=_("导入结果：%(name)s") % {"name": job.original_name},
            breadcrumbs_items=self.breadcrumbs({"url": "", "label": job.original_name}),
            status_url=self.url("status", job.pk),
            employee_list_url=_employee_list_url(),
        )
        return TemplateResponse(request, "workforce/import/job.html", context)

    def job_status(self, request, pk: int):
        if not self.can_import(request.user):
            return JsonResponse({"detail": _("无权导入员工")}, status=403)
        job = self._get_job_for_user(request, pk)
        return JsonResponse(job_progress(job))

    def extra_urls(self):
        return [
            path("<int:pk>/", require_GET(self.job_detail), name="job"),
            path("<int:pk>/status.json", require_GET(self.job_status), name="status"),
        ]


def _employee_list_url() -> str:
    try:
        return reverse("workforce_employee:index")
    except NoReverseMatch:
        return "/admin/"


pages = EmployeeImportPages()
urlpatterns = pages.urls()
