from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "lms.compliance"
    label = "compliance"
    verbose_name = _("培训规则与上岗资格")

    def ready(self):
        from lms.archive.registry import person_file_sections
        from lms.workforce.registry import placement_gates

        from . import receivers  # noqa: F401  (events bring obligations; records appended are evaluated)
        from .person_file import CLEARANCES, OBLIGATIONS
        from .placement import GATE

        placement_gates.register("clearance", GATE)
        person_file_sections.register("obligations", OBLIGATIONS, order=10)
        person_file_sections.register("clearances", CLEARANCES, order=40)
