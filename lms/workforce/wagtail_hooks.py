"""Back office for the workforce: viewsets (admin_views.py) and the employee
import pages (import_views.py), registered with Wagtail here."""

from importlib.util import find_spec

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

# Imported with the hooks (at start-up): building the viewsets registers the
# scoped permission policies of the workforce models.
from . import admin_views


@hooks.register("register_admin_viewset")
def register_workforce_viewsets():
    return admin_views.workforce_viewset_group


if find_spec("lms.workforce.import_views"):

    @hooks.register("register_admin_urls")
    def register_import_urls():
        from . import import_views

        return [
            path("workforce/import/", include((import_views.urlpatterns, "workforce_import"), namespace="workforce_import"))
        ]

    class ImportMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.has_perm("workforce.add_importjob")

    @hooks.register("register_admin_menu_item")
    def register_import_menu_item():
        return ImportMenuItem(
            _("导入员工"), reverse("workforce_import:upload"), name="workforce-import", icon_name="upload", order=310
        )


@hooks.register("register_log_actions")
def register_workforce_log_actions(actions):
    actions.register_action("anxun.event_record", "记录任职事件", "记录任职事件")
    actions.register_action("anxun.assignment_create", "分配岗位", "分配岗位")
    actions.register_action("anxun.assignment_end", "结束岗位分配", "结束岗位分配")
    actions.register_action("anxun.import", "导入员工", "导入员工")
    actions.register_action("anxun.pii_reveal", "查看完整身份证号", "查看完整身份证号")


@hooks.register("register_admin_urls")
def register_pii_urls():
    from . import pii_views

    return [path("workforce/employees/", include((pii_views.urlpatterns, "workforce_pii"), namespace="workforce_pii"))]


@hooks.register("construct_homepage_panels")
def add_headcount_panel(request, panels):
    # 各单位在册人数; nothing for users without an enterprise.
    from . import admin_views

    panel = admin_views.HeadcountPanel.for_request(request)
    if panel is not None:
        panels.append(panel)
