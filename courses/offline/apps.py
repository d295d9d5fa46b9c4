from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineTrainingConfig(AppConfig):
    name = "courses.offline"
    label = "offline"
    verbose_name = _("线下培训")
    default_auto_field = "django.db.models.BigAutoField"
