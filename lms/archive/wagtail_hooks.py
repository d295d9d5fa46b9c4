from wagtail import hooks


@hooks.register("register_log_actions")
def register_archive_log_actions(actions):
    actions.register_action("anxun.record_append", "追加培训记录", "追加培训记录")
    # Every regulator read is logged (ARCHITECTURE.md invariants); the person
    # file and its exports log here.
    actions.register_action("anxun.regulator_read", "监管部门查阅", "监管部门查阅档案")


@hooks.register("register_admin_viewset")
def register_training_record_viewset():
    # 培训记录, in the "培训合规" menu group (lms.compliance.wagtail_hooks).
    from .admin_views import TrainingRecordViewSet

    return TrainingRecordViewSet("trainingrecord")


# --- 导入历史培训档案 (import_views.py) ----------------------------------------------


@hooks.register("register_admin_urls")
def register_record_import_urls():
    from django.urls import include, path

    from . import import_views

    return [path("archive/import/", include((import_views.urlpatterns, "archive_import"), namespace="archive_import"))]


@hooks.register("register_admin_menu_item")
def register_record_import_menu_item():
    from django.urls import reverse
    from django.utils.translation import gettext_lazy
    from wagtail.admin.menu import MenuItem

    from .import_views import can_import

    class RecordImportMenuItem(MenuItem):
        def is_shown(self, request):
            return can_import(request.user)

    return RecordImportMenuItem(
        gettext_lazy("导入历史培训档案"),
        reverse("archive_import:upload"),
        name="archive-import",
        icon_name="upload",
        order=320,
    )


@hooks.register("register_log_actions")
def register_record_import_log_action(actions):
    actions.register_action("anxun.archive_import", "导入历史培训档案", "导入历史培训档案")
