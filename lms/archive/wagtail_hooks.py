from wagtail import hooks


@hooks.register("register_log_actions")
def register_archive_log_actions(actions):
    actions.register_action("anxun.record_append", "追加培训记录", "追加培训记录")
    # Every regulator read is logged (ARCHITECTURE.md invariants); the person
    # file and its exports log here.
    actions.register_action("anxun.regulator_read", "监管部门查阅", "监管部门查阅档案")
