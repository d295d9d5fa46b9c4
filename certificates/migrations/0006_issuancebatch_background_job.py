"""Certificate batches on the background-job base (lms.kernel.jobs):
start, heartbeat and attempts. The status values are the same four; a job
already claimed is given one attempt, started (and, if running, last heard
of) at its creation."""

from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    jobs = apps.get_model("certificates", "IssuanceBatch").objects
    jobs.exclude(status="pending").update(started_at=F("created_at"), attempts=1)
    jobs.filter(status="running").update(heartbeat_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0005_certificate_number_masked'),
    ]

    operations = [
        migrations.AddField(
            model_name='issuancebatch',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='执行次数'),
        ),
        migrations.AddField(
            model_name='issuancebatch',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='最近心跳'),
        ),
        migrations.AddField(
            model_name='issuancebatch',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='开始时间'),
        ),
        migrations.AlterField(
            model_name='issuancebatch',
            name='error',
            field=models.TextField(blank=True, verbose_name='错误'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
