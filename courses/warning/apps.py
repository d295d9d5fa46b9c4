from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningEducationConfig(AppConfig):
    name = "courses.warning"
    label = "warning"
    verbose_name = _("警示教育")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from lms.compliance.registry import scan_steps

        from .services import campaigns_scan_step

        # RULES.md: at least one warning education activity per quarter —
        # each enterprise's campaign for the quarter, first of the scan's steps.
        scan_steps.register("campaigns", campaigns_scan_step, order=10)
