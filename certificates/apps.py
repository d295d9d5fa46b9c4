from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("证书")

    def ready(self):
        from lms.archive.registry import person_file_sections
        from lms.compliance.registry import reason_sources, scan_steps

        from . import signals  # noqa: F401  (obligations met → issue what is due)
        from .gate import PRACTICAL_SOURCE, REASON_SOURCE
        from .media_access import register_rules
        from .person_file import SECTION
        from .scan import review_reminders_step

        register_rules()  # who may read the files stored under /media/
        reason_sources.register("certificates", REASON_SOURCE)
        reason_sources.register("special_op_practical", PRACTICAL_SOURCE)
        # After the warning campaigns (20): its refresher obligations are
        # claimed by the scan's due-soon/overdue stages that follow.
        scan_steps.register("certificate_reminders", review_reminders_step, order=20)
        person_file_sections.register("certificates", SECTION, order=20)

        from lms.kernel.jobs import JobModel, register_job_model

        from .models import IssuanceBatch
        from .tasks import batch_run_task

        register_job_model(JobModel(IssuanceBatch, batch_run_task.delay, started_by="created_by", enterprise="enterprise"))
