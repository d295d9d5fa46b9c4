"""Two daily scans at the same moment: every obligation is claimed by one of
them, and told once per stage — one person notice and one HR digest entry
each, one e-mail per notice."""

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import close_old_connections, connection

from lms.accounts.roles import Role
from lms.compliance.models import Notice, Obligation
from lms.compliance.scan import scan_obligations
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, national_rules

from .helpers import D, hire, patiently

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_scans_at_once_tell_each_item_once(ent_b, tree_b):
    national_rules()  # a transactional test that ran before may have flushed them
    hr = UserFactory(email="hr-b@example.com")
    MembershipFactory(user=hr, enterprise=ent_b, role=Role.HR)
    for i in range(12):
        worker = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 3, 3), user=UserFactory(email=f"w{i}@example.com"))
        hire(worker, tree_b[3])
    overdue = set(Obligation.objects.filter(kind="induction").values_list("pk", flat=True))
    assert len(overdue) == 36

    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(patiently(lambda: scan_obligations(today=D(2025, 4, 10))))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 2

    assert sum(r.overdue for r in results) >= 36  # the 36 inductions (+ the quarter's warning education)
    assert set(Obligation.objects.filter(pk__in=overdue).values_list("notified_stage", flat=True)) == {"overdue"}
    told = Counter(i["id"] for n in Notice.objects.filter(template="obligation") for i in n.context["items"])
    digest = Counter(i["id"] for n in Notice.objects.filter(user=hr) for i in n.context["items"])
    assert told == digest and set(told.values()) == {1} and overdue <= set(told)
    # One e-mail per notice, each sent once.
    assert len(mail.outbox) == Notice.objects.exclude(email_status="").count()
    assert set(Notice.objects.exclude(email_status="").values_list("email_status", flat=True)) == {"sent"}
