"""警示教育 in the back office: a menu entry to the campaigns page (the
pages themselves live outside the admin, phone first), the dashboard
coverage panel and the audit-log actions."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids


class WarningMenuItem(MenuItem):
    def is_shown(self, request):
        return enterprise_ids(request.user, Capability.VIEW) != frozenset()


@hooks.register("register_admin_menu_item")
def register_warning_menu_item():
    return WarningMenuItem(_("警示教育"), reverse("warning:campaigns"), name="warning-campaigns", icon_name="warning",
                           order=330)


@hooks.register("construct_homepage_panels")
def add_warning_coverage_panel(request, panels):
    from .admin_panels import WarningCoveragePanel

    panel = WarningCoveragePanel.for_request(request)
    if panel is not None:
        panels.append(panel)


@hooks.register("register_log_actions")
def register_warning_log_actions(actions):
    for action, label in (
        ("anxun.warning_cases", "设置警示教育补充案例"),
        ("anxun.warning_study", "完成警示教育在线学习"),
        ("anxun.warning_check_in", "警示教育会议签到"),
        ("anxun.warning_meeting_close", "结束警示教育会议"),
    ):
        actions.register_action(action, label, label)
