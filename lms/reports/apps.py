from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """统计报表: training coverage, obligations, clearance, exams, certificates,
    warning education and apprenticeship figures (pandas), with charts and
    Excel exports; the principal's annual duties."""

    name = "lms.reports"
    label = "reports"
    verbose_name = _("统计报表")
    default_auto_field = "django.db.models.BigAutoField"
