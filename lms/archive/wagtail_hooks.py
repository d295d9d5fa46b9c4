from wagtail import hooks


@hooks.register("register_log_actions")
def register_archive_log_actions(actions):
    actions.register_action("anxun.record_append", "追加培训记录", "追加培训记录")
