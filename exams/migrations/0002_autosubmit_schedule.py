"""The periodic schedule of the exam engine: every minute, submit the
attempts whose server deadline has passed (django-celery-beat, editable in
the admin). The next request on such an attempt submits it too."""

from django.db import migrations

NAME = "考试到时自动交卷"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "exams.autosubmit_due",
            "interval": every_minute,
            "crontab": None,
            "enabled": True,
            "description": "考试截止时间已过仍在答题中的答卷自动交卷并评分（截止前保存的答案计分）",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
