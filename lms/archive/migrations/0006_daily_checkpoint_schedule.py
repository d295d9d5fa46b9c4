"""The daily signed checkpoint of every enterprise's archive, at 00:30
Asia/Shanghai (django-celery-beat, editable in /django-admin/)."""

from django.db import migrations

NAME = "每日档案签名检查点"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    cron, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": "archive.checkpoint_daily", "crontab": cron, "enabled": True,
                  "description": "校验每家企业的培训档案，并签署当日检查点（每人记录条数与链头哈希）"},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0005_enforce_mac_and_guards"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
