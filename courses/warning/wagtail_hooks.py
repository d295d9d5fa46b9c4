"""警示教育: the audit-log actions."""

from wagtail import hooks


@hooks.register("register_log_actions")
def register_warning_log_actions(actions):
    for action, label in (
        ("anxun.warning_cases", "设置警示教育补充案例"),
        ("anxun.warning_study", "完成警示教育在线学习"),
        ("anxun.warning_check_in", "警示教育会议签到"),
        ("anxun.warning_meeting_close", "结束警示教育会议"),
    ):
        actions.register_action(action, label, label)
