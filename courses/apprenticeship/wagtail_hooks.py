"""Back office for 师带徒 (HR): the viewsets and the audit-log actions."""

from wagtail import hooks


@hooks.register("register_admin_viewset")
def register_apprenticeship_viewsets():
    from . import admin_views

    return admin_views.apprenticeship_viewset_group


@hooks.register("register_log_actions")
def register_apprenticeship_log_actions(actions):
    for action, label in (
        ("anxun.apprenticeship_start", "师带徒开始"),
        ("anxun.apprenticeship_end", "师带徒提前终止"),
        ("anxun.apprenticeship_week", "填写师带徒周记"),
        ("anxun.apprenticeship_week_confirm", "师傅确认周记"),
        ("anxun.apprenticeship_evaluation", "师傅月度评价"),
        ("anxun.apprenticeship_assessment", "出师考核"),
        ("anxun.apprenticeship_sign", "出师签字"),
        ("anxun.apprenticeship_complete", "师带徒出师"),
    ):
        actions.register_action(action, label, label)
