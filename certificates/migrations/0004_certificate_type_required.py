"""Every certificate has a type (backfilled in 0003): enforce NOT NULL."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("certificates", "0003_seed_types_backfill")]

    operations = [
        migrations.AlterField(
            model_name="certificate",
            name="type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="certificates",
                to="certificates.certificatetype",
                verbose_name="证书类型",
            ),
        ),
    ]
