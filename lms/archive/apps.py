from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "lms.archive"
    label = "archive"
    verbose_name = _("培训档案")

    def ready(self):
        from .media_access import register_rules

        register_rules()  # who may read the files stored under /media/
