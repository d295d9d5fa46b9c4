"""Daily reminders: each missing week once (notice + e-mail), broken pairings
to HR once; the Celery beat schedule is declared by a data migration."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail

from courses.apprenticeship import services as ap
from courses.apprenticeship.selectors import weeks_due
from courses.apprenticeship.models import Reminder
from courses.apprenticeship.reminders import remind
from courses.apprenticeship.tasks import remind_task
from lms.compliance.models import Notice
from tests.compliance.helpers import event

from .conftest import today

pytestmark = pytest.mark.django_db


def test_each_missing_week_is_reminded_once(started, django_capture_on_commit_callbacks):
    weeks = weeks_due(started)
    assert len(weeks) >= 8
    ap.weekly_log_save(apprenticeship=started, week_start=weeks[0], content="学习", hours=Decimal("8"),
                       actor=started.apprentice.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails go out from the outbox after commit
        first = remind()
    assert first.missing_weeks == len(weeks) - 1
    apprentice_notices = Notice.objects.filter(user=started.apprentice.user)
    assert apprentice_notices.count() == len(weeks) - 1
    assert Notice.objects.filter(user=started.mentor.user).count() == len(weeks) - 1
    assert len(mail.outbox) == 2 * (len(weeks) - 1)
    assert "请补填师带徒周记" in mail.outbox[0].subject and "刘小军" in mail.outbox[0].body
    notice = apprentice_notices.order_by("key").first()
    assert notice.link == f"/apprenticeship/{started.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        again = remind()
    assert (again.missing_weeks, again.notices, again.emails) == (0, 0, 0)
    assert len(mail.outbox) == 2 * (len(weeks) - 1)


def test_the_current_week_is_not_reminded_before_it_ends(started):
    remind()
    current = today() - dt.timedelta(days=today().weekday())
    assert not Notice.objects.filter(key__endswith=f"week:{current.isoformat()}").exists()


def test_completed_or_ended_apprenticeships_are_not_reminded(started, alice):
    ap.apprenticeship_end(apprenticeship=started, reason="apprentice_quit", ended_on=today(), actor=alice)
    assert remind().missing_weeks == 0
    assert not Notice.objects.exists()


def test_hr_is_told_once_when_the_mentor_left(started, alice):
    event(started.mentor, "leave", today() - dt.timedelta(days=2))
    result = remind()
    assert result.alerts == 1
    hr_notice = Notice.objects.get(user=alice)
    assert "师傅已离岗" in hr_notice.body and "刘小军" in hr_notice.title
    assert remind().alerts == 0
    assert Notice.objects.filter(user=alice).count() == 1


def test_hr_of_another_enterprise_is_not_told(started, charlie):
    event(started.mentor, "leave", today() - dt.timedelta(days=2))
    remind()
    assert not Notice.objects.filter(user=charlie).exists()


def test_the_task_runs_the_reminders(started):
    result = remind_task(today().isoformat())
    assert result["missing_weeks"] == len(weeks_due(started))


def test_the_daily_schedule_is_declared():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="师带徒周记提醒")
    assert (task.task, task.enabled, task.crontab.hour, task.crontab.minute) == ("apprenticeship.remind", True, "8", "0")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_a_reminder_whose_notices_fail_is_not_claimed(started, django_capture_on_commit_callbacks):
    """The claim (Reminder) commits with the notices: a run stopped in between
    leaves the reminder to the next run."""
    with mock.patch("courses.apprenticeship.reminders.notify", side_effect=RuntimeError("killed")), \
            pytest.raises(RuntimeError):
        remind()
    assert not Reminder.objects.exists() and not Notice.objects.exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = remind()
    assert result.missing_weeks == len(weeks_due(started))
    assert len(mail.outbox) == result.emails == 2 * result.missing_weeks
