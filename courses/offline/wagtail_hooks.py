"""Back office of offline sessions (线下培训), registered with Wagtail here."""

from wagtail import hooks


@hooks.register("register_admin_viewset")
def register_offline_session_viewset():
    from .admin_views import offline_session_viewset

    return offline_session_viewset


@hooks.register("register_log_actions")
def register_offline_log_actions(actions):
    actions.register_action("anxun.offline_invite", "邀请参训人员", "邀请参训人员")
    actions.register_action("anxun.offline_uninvite", "移出参训名单", "移出参训名单")
    actions.register_action("anxun.offline_check_in", "线下培训签到", "线下培训签到")
    actions.register_action("anxun.offline_check_out", "线下培训签退", "线下培训签退")
    actions.register_action("anxun.offline_session_close", "结束线下培训", "结束线下培训")
    actions.register_action("anxun.offline_session_cancel", "取消线下培训", "取消线下培训")
