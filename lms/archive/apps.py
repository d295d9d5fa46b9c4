from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


def check_archive_keys(app_configs=None, **kwargs):
    """The archive's keys load (a bad key fails at start-up, not at the
    first record appended)."""
    from .keys import check_configuration

    return [checks.Error(problem, id="archive.E001") for problem in check_configuration()]


class ArchiveConfig(AppConfig):
    name = "lms.archive"
    label = "archive"
    verbose_name = _("培训档案")

    def ready(self):
        checks.register(check_archive_keys, checks.Tags.security)
        from .media_access import register_rules

        register_rules()  # who may read the files stored under /media/

        from lms.imports.jobs import JobKind, job_kinds

        from .importing import RECORDS

        job_kinds.register(RECORDS.name, JobKind(RECORDS, "archive_import", target=lambda job: job.enterprise))
