# The app label became "offline" (it was "offline_training"): the index's
# default name derives from the table name, which now derives from the new
# label. Databases migrated under the old label get their tables and
# migration rows renamed first (lms/kernel/relabel.py, run by `migrate`).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("offline", "0001_initial"),
    ]

    operations = [
        migrations.RenameIndex(
            model_name="offlinesession",
            new_name="offline_off_enterpr_54335b_idx",
            old_name="offline_tra_enterpr_035e69_idx",
        ),
    ]
