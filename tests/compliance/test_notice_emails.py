"""Notice e-mails go out from Celery tasks: claimed once, sent once, never
lost when the mail server fails."""

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from lms.compliance import notices as outbox
from lms.compliance.models import Notice
from lms.compliance.scan import scan_obligations
from lms.compliance.tasks import requeue_notice_emails, send_notice_emails
from tests.factories import EmployeeFactory, UserFactory

from .helpers import D, hire

pytestmark = pytest.mark.django_db

Email = Notice.EmailStatus


class RefusingBackend(EmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"mailbox unavailable") for m in messages})


class DownBackend(EmailBackend):
    """A mail server that cannot be reached."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")


class PickyBackend(EmailBackend):
    """Refuses mail to addresses starting with "bounce"; delivers the rest."""

    opened = 0

    def open(self):
        PickyBackend.opened += 1
        return super().open()

    def send_messages(self, messages):
        if any(m.to[0].startswith("bounce") for m in messages):
            raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"no such user")})
        return super().send_messages(messages)


def make_notices(n, *, status=Email.PENDING, email_at=None, emails=None, prefix="p"):
    now = timezone.now()
    users = [UserFactory(email=(emails[i] if emails else f"{prefix}{i}@example.com")) for i in range(n)]
    return [
        Notice.objects.create(user=u, key=f"test:{i}", title=f"【安训】培训即将到期：{i}", body=f"正文 {i}",
                              email_status=status, email_at=email_at or now)
        for i, u in enumerate(users)
    ]


def ids(notices):
    return [n.pk for n in notices]


def statuses(notices):
    return sorted(Notice.objects.filter(pk__in=ids(notices)).values_list("email_status", flat=True))


def test_the_task_sends_the_notice_as_the_email():
    notice = make_notices(1)[0]
    assert send_notice_emails(ids([notice])) == {"claimed": 1, "sent": 1, "retry": 0, "failed": 0}
    [message] = mail.outbox
    assert (message.subject, message.body, message.to) == (notice.title, notice.body, ["p0@example.com"])
    notice.refresh_from_db()
    assert (notice.email_status, notice.email_attempts, notice.email_error) == (Email.SENT, 1, "")
    assert notice.email_at >= notice.created_at


def test_a_task_run_twice_sends_once():
    notices = make_notices(3)
    send_notice_emails(ids(notices))
    assert send_notice_emails(ids(notices)) == {"claimed": 0, "sent": 0, "retry": 0, "failed": 0}
    assert len(mail.outbox) == 3
    assert statuses(notices) == [Email.SENT] * 3


def test_notices_without_an_email_are_not_sent_and_not_claimed():
    notices = make_notices(2, status=Email.NONE)
    assert send_notice_emails(ids(notices))["claimed"] == 0
    assert not mail.outbox


def test_a_task_does_not_send_what_another_task_is_sending():
    notices = make_notices(2)
    theirs = notices[0]
    Notice.objects.filter(pk=theirs.pk).update(email_status=Email.SENDING, email_at=timezone.now())
    assert send_notice_emails(ids(notices))["sent"] == 1
    assert [m.to for m in mail.outbox] == [["p1@example.com"]]


def test_a_second_delivery_while_the_first_is_sending_sends_nothing():
    """The same chunk delivered twice at once: the second finds every e-mail claimed."""
    notices = make_notices(3)
    second = {}
    real_send = outbox._send

    def send_and_race(messages, sent, errors):
        second["result"] = outbox.notice_emails_send(notice_ids=ids(notices))
        real_send(messages, sent, errors)

    with mock.patch.object(outbox, "_send", side_effect=send_and_race):
        first = outbox.notice_emails_send(notice_ids=ids(notices))
    assert first.sent == 3 and second["result"].claimed == 0
    assert len(mail.outbox) == 3


def test_a_refused_email_stays_pending_with_the_error_and_is_retried_later(settings, django_capture_on_commit_callbacks):
    notices = make_notices(2)
    settings.EMAIL_BACKEND = "tests.compliance.test_notice_emails.RefusingBackend"
    assert send_notice_emails(ids(notices)) == {"claimed": 2, "sent": 0, "retry": 2, "failed": 0}
    assert not mail.outbox
    n = Notice.objects.get(pk=notices[0].pk)
    assert (n.email_status, n.email_attempts) == (Email.PENDING, 1)
    assert "SMTPRecipientsRefused" in n.email_error

    # Not at once: the sweep waits RETRY_AFTER before trying again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + outbox.RETRY_AFTER + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.notice_emails_requeue() == 0
        assert outbox.notice_emails_requeue(now=later) == 2
    assert len(mail.outbox) == 2
    assert statuses(notices) == [Email.SENT] * 2
    # Delivered, so a further sweep has nothing to do.
    assert outbox.notice_emails_requeue(now=later + outbox.CLAIM_TIMEOUT * 2) == 0
    assert len(mail.outbox) == 2


def test_an_unreachable_mail_server_loses_nothing(settings):
    notices = make_notices(3)
    settings.EMAIL_BACKEND = "tests.compliance.test_notice_emails.DownBackend"
    assert send_notice_emails(ids(notices))["retry"] == 3
    assert statuses(notices) == [Email.PENDING] * 3
    assert set(Notice.objects.values_list("email_error", flat=True)) == {"ConnectionRefusedError: [Errno 111] Connection refused"}


def test_one_bad_address_does_not_hold_back_the_chunk(settings):
    notices = make_notices(4, emails=["a@example.com", "bounce@example.com", "c@example.com", "d@example.com"])
    settings.EMAIL_BACKEND = "tests.compliance.test_notice_emails.PickyBackend"
    PickyBackend.opened = 0
    result = send_notice_emails(ids(notices))
    assert (result["sent"], result["retry"]) == (3, 1)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "c@example.com", "d@example.com"]
    assert Notice.objects.get(pk=notices[1].pk).email_status == Email.PENDING
    # One connection for the chunk, opened once more after the refusal.
    assert PickyBackend.opened == 2


def test_after_max_attempts_the_failure_is_recorded_and_logged(settings, caplog):
    notice = make_notices(1)[0]
    Notice.objects.filter(pk=notice.pk).update(email_attempts=outbox.MAX_ATTEMPTS - 1)
    settings.EMAIL_BACKEND = "tests.compliance.test_notice_emails.RefusingBackend"
    assert send_notice_emails([notice.pk])["failed"] == 1
    notice.refresh_from_db()
    assert (notice.email_status, notice.email_attempts) == (Email.FAILED, outbox.MAX_ATTEMPTS)
    assert "550" in notice.email_error
    assert "given up" in caplog.text
    # Given up: neither the sweep nor a redelivered task sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.notice_emails_requeue(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert send_notice_emails([notice.pk])["claimed"] == 0
    assert not mail.outbox


def test_an_address_removed_before_sending_is_a_failure_not_a_retry():
    notice = make_notices(1)[0]
    type(notice.user).objects.filter(pk=notice.user_id).update(email="")
    assert send_notice_emails([notice.pk])["failed"] == 1
    notice.refresh_from_db()
    assert notice.email_status == Email.FAILED and notice.email_error == "收件人没有邮箱地址"


def test_what_a_dead_worker_left_sending_is_sent_after_the_timeout(django_capture_on_commit_callbacks):
    long_ago = timezone.now() - outbox.CLAIM_TIMEOUT - dt.timedelta(minutes=1)
    stuck = make_notices(1, status=Email.SENDING, email_at=long_ago)[0]
    recent = Notice.objects.create(user=UserFactory(email="busy@example.com"), key="busy", title="t", body="b",
                                   email_status=Email.SENDING, email_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_notice_emails() == 1
    assert [m.to for m in mail.outbox] == [["p0@example.com"]]
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.email_status, recent.email_status) == (Email.SENT, Email.SENDING)


def test_the_task_queries_do_not_grow_with_the_chunk(django_assert_num_queries):
    small, large = make_notices(2, prefix="s"), make_notices(40, prefix="l")
    with django_assert_num_queries(6) as few:  # savepoint, claim, update, release, fetch, mark sent
        send_notice_emails(ids(small))
    with django_assert_num_queries(len(few.captured_queries)):
        send_notice_emails(ids(large))
    assert len(mail.outbox) == 42


def test_enqueue_waits_for_commit_and_splits_into_chunks(django_capture_on_commit_callbacks):
    notices = make_notices(3)
    with mock.patch.object(outbox, "EMAIL_CHUNK", 2), django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert outbox.notice_emails_enqueue(ids(notices)) == 3
    assert len(callbacks) == 2 and not mail.outbox
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 3


def test_the_sweep_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="compliance.requeue_notice_emails")
    assert task.enabled and task.interval.every == 5


# --- the scan hands its e-mails to the tasks -----------------------------------------------


@pytest.fixture
def worker(ent_b, tree_b):
    user = UserFactory(email="worker-b@example.com")
    employee = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 3, 3), user=user, name="赵六")
    hire(employee, tree_b[3])
    return employee


def test_the_scan_enqueues_instead_of_sending(worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = scan_obligations(today=D(2025, 4, 10))
    assert result.emails == 1 and len(callbacks) == 1  # one notice listing the three levels
    assert not mail.outbox
    assert statuses(Notice.objects.filter(user=worker.user)) == [Email.PENDING]


def test_each_scan_email_is_sent_once_when_tasks_are_delivered_twice(worker, django_capture_on_commit_callbacks):
    """At-least-once delivery of the task messages (acks_late, a broker
    redelivering) still gives one e-mail per person, obligation and stage."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scan_obligations(today=D(2025, 4, 10))
        scan_obligations(today=D(2025, 4, 10))  # a second run the same day claims nothing
    for callback in callbacks + callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert sorted(m.subject for m in mail.outbox) == sorted(
        Notice.objects.filter(user=worker.user).values_list("title", flat=True)
    )


def test_a_user_without_email_gets_the_notice_only(ent_b, tree_b, django_capture_on_commit_callbacks):
    user = UserFactory(email="")
    employee = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 3, 3), user=user)
    hire(employee, tree_b[3])
    with django_capture_on_commit_callbacks(execute=True):
        result = scan_obligations(today=D(2025, 4, 10))
    assert result.emails == 0 and not mail.outbox
    assert statuses(Notice.objects.filter(user=user)) == [Email.NONE]


def test_plain_text_emails_are_not_html_escaped(ent_b, tree_b, django_capture_on_commit_callbacks):
    user = UserFactory(email="o@example.com")
    post = tree_b[3]
    post.name = "A&B 装配<一>线"
    post.save()
    employee = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 3, 3), user=user, name="O'Neil 王")
    hire(employee, post)
    with django_capture_on_commit_callbacks(execute=True):
        scan_obligations(today=D(2025, 4, 10))
    body = next(m.body for m in mail.outbox if m.to == ["o@example.com"] and "A&B" in m.body)
    assert "O'Neil 王，您好" in body and "岗位：A&B 装配<一>线" in body and "&amp;" not in body


def test_the_scan_keeps_the_facts_and_the_task_renders_the_text(worker, django_capture_on_commit_callbacks):
    """The scan stores the subject and the facts, not the text: the e-mail
    rendered later says what was true when the scan claimed the obligation."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scan_obligations(today=D(2025, 4, 10))
    notice = Notice.objects.get(user=worker.user)
    assert notice.body == "" and notice.template == "obligation" and notice.title.startswith("【安训】3 项培训已逾期：")
    assert notice.context["stage"] == "overdue" and notice.context["items"][0]["due_date"] == "2025-04-02"
    worker.name = "赵六六"  # renamed after the scan
    worker.save()
    for callback in callbacks:
        callback()
    message = next(m for m in mail.outbox if m.subject == notice.title)
    assert message.body == notice.texts()[1]
    assert message.body.startswith("赵六，您好") and message.body.count("已于 2025-04-02 逾期") == 3
