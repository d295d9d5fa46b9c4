"""Daily at 02:30 Asia/Shanghai (after the obligation scan at 02:00): enrol
people with open obligations, and members of assigned units and posts, in
matching courses (django-celery-beat, editable in the admin)."""

from django.db import migrations

NAME = "每日在线课程报名"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    cron, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": "courses.enrol_from_obligations", "crontab": cron, "enabled": True,
                  "description": "按未完成的培训义务和课程指派为员工报名在线课程"},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
