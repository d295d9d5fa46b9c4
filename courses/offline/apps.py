from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineTrainingConfig(AppConfig):
    name = "courses.offline"
    # The label is the path's last component, like every app's. The tables take
    # Django's default names from it (offline_offlinesession, …) rather than a
    # Meta.db_table pinned to the old ones: the tree stays plain. A database
    # migrated under the old label is moved by `migrate` itself before it plans
    # (lms/kernel/relabel.py: tables, migration rows, content types; data kept).
    label = "offline"
    verbose_name = _("线下培训")
    default_auto_field = "django.db.models.BigAutoField"
