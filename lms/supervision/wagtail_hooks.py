from wagtail import hooks
from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids


@hooks.register("register_log_actions")
def register_supervision_log_actions(actions):
    actions.register_action("anxun.sample_draw", "监管抽查抽样", "监管部门抽取抽查样本")
    actions.register_action("anxun.finding_create", "记录检查问题", "监管部门记录检查问题")
    actions.register_action("anxun.finding_answer", "答复检查问题", "企业答复检查问题")
    actions.register_action("anxun.finding_close", "检查问题销号", "监管部门销号")
    actions.register_action("anxun.finding_reopen", "检查问题退回", "监管部门退回重改")


# --- the enterprise's way in from the back office --------------------------------------------


def _staff_menu_item(label, url_name, name, icon, order):
    from django.urls import reverse
    from wagtail.admin.menu import MenuItem


    class StaffMenuItem(MenuItem):
        def is_shown(self, request):
            return enterprise_ids(request.user, Capability.VIEW) != frozenset()

    return StaffMenuItem(label, reverse(url_name), name=name, icon_name=icon, order=order)


@hooks.register("register_admin_menu_item")
def register_findings_menu_item():
    from django.utils.translation import gettext_lazy

    return _staff_menu_item(gettext_lazy("监管检查问题"), "supervision:findings", "supervision-findings", "warning", 330)


@hooks.register("register_admin_menu_item")
def register_reads_menu_item():
    from django.utils.translation import gettext_lazy

    return _staff_menu_item(gettext_lazy("监管查阅记录"), "supervision:reads", "supervision-reads", "view", 331)
