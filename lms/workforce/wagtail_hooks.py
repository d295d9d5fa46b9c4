"""Back office for the workforce: viewsets (admin_views.py) and the employee
import pages (import_views.py), registered with Wagtail here."""

from importlib.util import find_spec

from django.urls import include, path
from wagtail import hooks

# The viewsets and import pages are written in their own modules; the hooks
# below register whichever of them exist (both do, once the back office is built).
if find_spec("lms.workforce.admin_views"):

    @hooks.register("register_admin_viewset")
    def register_workforce_viewsets():
        from . import admin_views

        return admin_views.workforce_viewset_group


if find_spec("lms.workforce.import_views"):

    @hooks.register("register_admin_urls")
    def register_import_urls():
        from . import import_views

        return [
            path("workforce/import/", include((import_views.urlpatterns, "workforce_import"), namespace="workforce_import"))
        ]


@hooks.register("register_log_actions")
def register_workforce_log_actions(actions):
    actions.register_action("anxun.event_record", "记录任职事件", "记录任职事件")
    actions.register_action("anxun.assignment_create", "分配岗位", "分配岗位")
    actions.register_action("anxun.assignment_end", "结束岗位分配", "结束岗位分配")
    actions.register_action("anxun.import", "导入员工", "导入员工")
