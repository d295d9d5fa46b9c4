from wagtail import hooks


@hooks.register("register_log_actions")
def register_supervision_log_actions(actions):
    actions.register_action("anxun.sample_draw", "监管抽查抽样", "监管部门抽取抽查样本")
    actions.register_action("anxun.finding_create", "记录检查问题", "监管部门记录检查问题")
    actions.register_action("anxun.finding_answer", "答复检查问题", "企业答复检查问题")
    actions.register_action("anxun.finding_close", "检查问题销号", "监管部门销号")
    actions.register_action("anxun.finding_reopen", "检查问题退回", "监管部门退回重改")
