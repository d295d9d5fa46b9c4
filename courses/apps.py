from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    label = "courses"
    verbose_name = _("在线学习")

    def ready(self):
        from . import signals  # noqa: F401  (login ends other study sessions; course index login restriction)
