"""Back office: the 统计报表 menu entry and a dashboard panel with the
headline figures and the coverage chart of the user's enterprises."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .access import report_enterprises


class ReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return report_enterprises(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_reports_menu_item():
    return ReportsMenuItem(_("统计报表"), reverse("reports:dashboard"), icon_name="table", order=250)


@hooks.register("construct_homepage_panels")
def add_reports_panel(request, panels):
    from .panels import ReportsPanel

    panel = ReportsPanel.for_request(request)
    if panel is not None:
        panels.append(panel)
