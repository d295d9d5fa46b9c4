"""Every import (employees, historical records, questions) is an ImportJob
(``kind``: the spec's name; ``target_id``: the enterprise or question bank;
``options``; ``result``), run by lms.imports.jobs. Existing jobs are
employee imports into their enterprise. One unfinished job per file and
target (a double submit is the same job). Every 5 minutes
(django-celery-beat) the import jobs whose worker died are queued again."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    jobs = apps.get_model("workforce", "ImportJob").objects
    jobs.update(target_id=F("enterprise_id"))
    # Two unfinished jobs of the same file: the later one is the job.
    seen = set()
    for pk, target, digest in (  # all of them employee imports, without options
        jobs.filter(status__in=("pending", "running")).order_by("-created_at", "-pk")
        .values_list("pk", "target_id", "file_sha256")
    ):
        if (target, digest) in seen:
            jobs.filter(pk=pk).update(status="failed", error="同一文件的另一次导入已在排队")
        seen.add((target, digest))


SCHEDULE = "导入任务中断续跑"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SCHEDULE,
        defaults={"task": "workforce.requeue_stale_import_jobs", "interval": every, "enabled": True,
                  "description": "工作进程中断的导入任务（员工、培训档案、题库），重新交给后台任务执行（多次中断则标记失败并通知上传人）"},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('workforce', '0006_post_hazardous_process'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='importjob',
            options={'ordering': ['-created_at'], 'verbose_name': '导入任务', 'verbose_name_plural': '导入任务'},
        ),
        migrations.AddField(
            model_name='importjob',
            name='kind',
            field=models.CharField(default='employees', max_length=32, verbose_name='导入类型'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='options',
            field=models.JSONField(blank=True, default=dict, verbose_name='选项'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='result',
            field=models.JSONField(blank=True, default=dict, verbose_name='结果'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='target_id',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='导入目标'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='enterprise',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='import_jobs', to='workforce.enterprise', verbose_name='企业'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='importjob',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('pending', 'running'))), fields=('kind', 'target_id', 'file_sha256', 'options'), name='importjob_one_unfinished_per_file'),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
