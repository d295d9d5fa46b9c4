"""The employee import on the background-job base (lms.kernel.jobs):
start, heartbeat and attempts. The status values are the same four; a job
already claimed is given one attempt, started (and, if running, last heard
of) at its creation."""

from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    jobs = apps.get_model("workforce", "ImportJob").objects
    jobs.exclude(status="pending").update(started_at=F("created_at"), attempts=1)
    jobs.filter(status="running").update(heartbeat_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('workforce', '0003_import_upload_retention'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='执行次数'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='error',
            field=models.TextField(blank=True, verbose_name='错误'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='最近心跳'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='开始时间'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='status',
            field=models.CharField(choices=[('pending', '排队中'), ('running', '处理中'), ('succeeded', '已完成'), ('failed', '失败')], default='pending', max_length=16, verbose_name='状态'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
