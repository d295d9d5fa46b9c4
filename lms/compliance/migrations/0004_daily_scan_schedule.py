"""The one place the periodic schedule is declared: scan_obligations daily
at 02:00 Asia/Shanghai (django-celery-beat, editable in the admin)."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    cron, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name="每日培训义务扫描",
        defaults={"task": "compliance.scan_obligations", "crontab": cron, "enabled": True,
                  "description": "生成周期义务、标记即将到期/已逾期并通知、检查在岗未达标"},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="每日培训义务扫描").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_notice"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
