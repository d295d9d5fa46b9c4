"""Schedule the notice e-mail outbox sweep: every 5 minutes, enqueue again
the e-mails whose send failed or whose worker died (django-celery-beat,
editable in the admin; declared here with the daily scan, 0004)."""

from django.db import migrations

NAME = "通知邮件补发"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": "compliance.requeue_notice_emails", "interval": every, "enabled": True,
                  "description": "发送失败或发送中断的通知邮件，稍后重新交给后台任务发送"},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0006_notice_email_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
