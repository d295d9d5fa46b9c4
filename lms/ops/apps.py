from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: the probes and metrics (no models) and the 后台任务 page."""

    name = "lms.ops"
    label = "ops"
    verbose_name = _("运维")
