"""The notification service (lms.compliance.notices): one notice per user
and key, its e-mail queued once, and a claim that commits with its notices."""

import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction

from lms.compliance.models import Notice
from lms.compliance.notices import notice_row, notices_create, notify
from tests.factories import UserFactory

from .helpers import patiently

Email = Notice.EmailStatus


@pytest.mark.django_db
def test_a_second_call_with_the_same_key_writes_and_queues_nothing(django_capture_on_commit_callbacks):
    user = UserFactory(email="w@example.com")
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = notify([user], key="k:1", title="【安训】通知", body="正文", link="/portal/")
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = notify([user], key="k:1", title="【安训】另一个标题", body="另一段正文")
    assert (first.emails, second.emails) == (1, 0)
    assert (len(first_callbacks), len(second_callbacks)) == (1, 0)
    notice = Notice.objects.get(user=user)
    assert (notice.key, notice.title, notice.body, notice.link) == ("k:1", "【安训】通知", "正文", "/portal/")
    assert notice.email_status == Email.SENT
    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == (["w@example.com"], "【安训】通知", "正文")


@pytest.mark.django_db
def test_users_may_be_given_by_id_and_inactive_or_missing_ones_are_left_out(ent_b):
    active, inactive = UserFactory(email="a@example.com"), UserFactory(email="i@example.com", is_active=False)
    silent = UserFactory(email="")
    result = notify([active.pk, inactive.pk, None, silent], key="k:2", title="标题", body="正文",
                    enterprise_id=ent_b.pk)
    assert (result.notices, result.emails) == (2, 1)
    rows = dict(Notice.objects.values_list("user_id", "email_status"))
    assert rows == {active.pk: Email.PENDING, silent.pk: Email.NONE}
    assert set(Notice.objects.values_list("enterprise_id", flat=True)) == {ent_b.pk}


@pytest.mark.django_db
def test_email_false_writes_the_notice_without_an_email():
    user = UserFactory(email="w@example.com")
    assert notify([user], key="k:3", title="标题", body="正文", email=False).emails == 0
    notice = Notice.objects.get(user=user)
    assert (notice.email_status, notice.email_at) == (Email.NONE, None)


@pytest.mark.django_db
def test_only_the_rows_written_by_this_call_are_queued(django_capture_on_commit_callbacks):
    old, new = UserFactory(email="old@example.com"), UserFactory(email="new@example.com")
    notify([old], key="k:4", title="标题", body="正文")  # still pending: its own task will send it
    rows = [notice_row(user_id=u.pk, email=u.email, key="k:4", title="标题", body="正文") for u in (old, new)]
    with django_capture_on_commit_callbacks(execute=True):
        result = notices_create(rows)
    assert (result.notices, result.emails) == (2, 1)
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert Notice.objects.get(user=old).email_status == Email.PENDING


@pytest.mark.django_db
def test_a_notice_rolled_back_with_its_transaction_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory(email="w@example.com")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify([user], key="k:5", title="标题", body="正文")
        raise RuntimeError("the caller's claim failed")
    assert not Notice.objects.exists() and not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_two_calls_at_once_write_one_notice_and_queue_one_email():
    """The second call runs while the first one's notice is written but not
    committed (on PostgreSQL it waits on the unique key, then skips it)."""
    user = UserFactory(email="w@example.com")
    written = threading.Event()
    results, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = notify([user.pk], key="k:6", title="标题", body="正文")
                written.set()
                time.sleep(0.5)  # the second call starts meanwhile
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
            written.set()
        finally:
            connection.close()

    def second():
        try:
            written.wait(10)
            results["second"] = patiently(lambda: notify([user.pk], key="k:6", title="标题", body="正文"))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert (results["first"].emails, results["second"].emails) == (1, 0)
    assert Notice.objects.filter(user=user, key="k:6").count() == 1
    assert [m.to for m in mail.outbox] == [["w@example.com"]]
    assert Notice.objects.get(user=user, key="k:6").email_status == Email.SENT
