from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("站点内容")

    def ready(self):
        from . import signals  # noqa: F401  (the accident case library requires a login)
        from .media_access import register_rules

        register_rules()  # who may read the files stored under /media/
