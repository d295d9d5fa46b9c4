"""Back office for accounts ("账号与权限"): enterprise roles, regulators and
API tokens (viewsets in admin_views.py)."""

from wagtail import hooks

from . import admin_views


@hooks.register("register_admin_viewset")
def register_accounts_viewsets():
    return admin_views.accounts_viewset_group


@hooks.register("register_log_actions")
def register_accounts_log_actions(actions):
    actions.register_action("anxun.apitoken_create", "创建 API 令牌", "创建 API 令牌")
    actions.register_action("anxun.apitoken_revoke", "吊销 API 令牌", "吊销 API 令牌")


@hooks.register("insert_global_admin_css")
def admin_cjk_font():
    # The back office must show Chinese as glyphs on machines without a CJK font.
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html('<link rel="stylesheet" href="{}">', static("css/fonts.css"))
