from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "lms.workforce"
    label = "workforce"
    verbose_name = _("人员与组织")

    def ready(self):
        from .media_access import register_rules

        register_rules()  # who may read the files stored under /media/

        from lms.imports import register_upload_purger

        from .importing import importjob_purge_files

        register_upload_purger(importjob_purge_files)

        from lms.imports.jobs import JobKind, job_kinds

        from .importing import EMPLOYEES

        job_kinds.register(EMPLOYEES.name, JobKind(EMPLOYEES, "workforce_import", target=lambda job: job.enterprise))

        from lms.kernel.jobs import JobModel, register_job_model

        from .models import ImportJob
        from .tasks import run_import_job

        register_job_model(JobModel(ImportJob, run_import_job.delay, started_by="created_by", enterprise="enterprise"))
