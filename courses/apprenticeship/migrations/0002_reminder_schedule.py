"""The periodic schedule of the 师带徒 reminders: daily at 08:00
Asia/Shanghai (django-celery-beat, editable in the admin), beside the
compliance scan declared the same way."""

from django.db import migrations

NAME = "师带徒周记提醒"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    cron, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="8", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": "apprenticeship.remind", "crontab": cron, "enabled": True,
                  "description": "提醒徒弟补填缺少的师带徒周记（每周一次），师傅离岗等情况通知人事"},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("apprenticeship", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
