from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """监管端: random sampling (双随机) of enterprises and archives, findings."""

    name = "lms.supervision"
    label = "supervision"
    verbose_name = _("监管抽查")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from lms.archive.registry import EvidenceSource, evidence_files

        from .media_access import register_rules
        from .selectors import evidence_files as finding_evidence_files

        register_rules()  # who may read the files stored under /media/
        evidence_files.register("finding_evidence", EvidenceSource(finding_evidence_files), order=10)

        from lms.kernel.jobs import JobModel, register_job_model

        from .models import SampleBundle
        from .tasks import bundle_build_task

        # A regulator's job: no enterprise, so only platform operators see it.
        register_job_model(JobModel(SampleBundle, bundle_build_task.delay, started_by="requested_by"))
