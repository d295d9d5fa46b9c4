"""Back office for training compliance ("培训合规"): the menu group, the
在岗未达标 page and its dashboard panel, and the audit-log actions of rules.
Training records and certificates join the group from their own apps."""

from django.utils.safestring import mark_safe
from wagtail import hooks


@hooks.register("register_admin_viewset")
def register_compliance_viewsets():
    from . import admin_views

    return admin_views.compliance_viewset_group


@hooks.register("construct_homepage_panels")
def add_lapsed_panel(request, panels):
    # 在岗未达标 N 人; nothing for users without an enterprise.
    from . import admin_views

    panel = admin_views.LapsedPanel.for_request(request)
    if panel is not None:
        panels.append(panel)


# The count badge of a menu entry (``data-anxun-badge`` on the sidebar link or
# group button): a pill before the group's arrow, or on the icon when the
# sidebar is folded.
MENU_BADGE_CSS = """
.sidebar-menu-item__link[data-anxun-badge] { position: relative; }
.sidebar-menu-item__link[data-anxun-badge]::after {
  content: attr(data-anxun-badge); order: 1; margin-inline-start: auto; flex-shrink: 0;
  min-width: 1.25rem; padding: 0 0.4rem; border-radius: 0.625rem; box-sizing: border-box;
  background: #cd4444; color: #fff; font-size: 0.75rem; font-weight: 700; line-height: 1.25rem; text-align: center;
}
.sidebar-menu-item__link[data-anxun-badge] .sidebar-sub-menu-trigger-icon { order: 2; margin-inline-start: 0.5rem; }
.listing .anxun-nowrap { white-space: nowrap; }
.sidebar--slim .sidebar-menu-item__link[data-anxun-badge]::after {
  position: absolute; top: 0.3rem; inset-inline-start: 1.9rem; min-width: 1rem; padding: 0 0.25rem;
  font-size: 0.625rem; line-height: 1rem;
}
"""


@hooks.register("insert_global_admin_css")
def menu_badge_css():
    return mark_safe(f"<style>{MENU_BADGE_CSS}</style>")  # a constant: nothing to escape


@hooks.register("register_log_actions")
def register_compliance_log_actions(actions):
    actions.register_action("anxun.rule_create", "新增培训规则", "新增培训规则")
    actions.register_action("anxun.rule_new_version", "新建规则版本", "新建规则版本")
    actions.register_action("anxun.rule_close", "规则版本失效", "规则版本失效")
