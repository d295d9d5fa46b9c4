from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningEducationConfig(AppConfig):
    name = "courses.warning"
    label = "warning"
    verbose_name = _("警示教育")
    default_auto_field = "django.db.models.BigAutoField"
