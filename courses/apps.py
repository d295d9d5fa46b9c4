from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    label = "courses"
    verbose_name = _("在线学习")

    def ready(self):
        # Login ends other study sessions; course indexes require a login;
        # new obligations enrol people in the courses that satisfy them.
        # 我的培训 (content's portal) shows the learner's obligations and courses.
        from content.registry import portal_panels

        from . import signals  # noqa: F401
        from .selectors import portal_summary

        portal_panels.register("learning", portal_summary)
