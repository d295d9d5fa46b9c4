"""Certificate batches on the background-job base (lms.kernel.jobs):
start, heartbeat and attempts. The status values are the same four; a job
already claimed is given one attempt, started (and, if running, last heard
of) at its creation. Every 5 minutes (django-celery-beat) the jobs whose
worker died are queued again."""

from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    jobs = apps.get_model("certificates", "IssuanceBatch").objects
    jobs.exclude(status="pending").update(started_at=F("created_at"), attempts=1)
    jobs.filter(status="running").update(heartbeat_at=F("created_at"))


SCHEDULE = "批量发证中断续跑"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SCHEDULE,
        defaults={"task": "certificates.requeue_stale_batches", "interval": every, "enabled": True,
                  "description": "工作进程中断的批量发证，重新交给后台任务执行（多次中断则标记失败）"},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
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
        migrations.RunPython(schedule, unschedule),
    ]
