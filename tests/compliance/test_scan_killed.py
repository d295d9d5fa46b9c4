"""A scan killed at any point and run again tells everyone exactly once per
stage (issue 19 item 2): each chunk's stage claims and their notices are
written in one transaction (a transactional outbox), so a kill leaves a
chunk claimed and told, or neither."""

from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from lms.accounts.roles import Role
from lms.compliance import scan as daily
from lms.compliance.models import Notice, Obligation
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory

from .helpers import D, hire

pytestmark = pytest.mark.django_db

TODAY = D(2025, 4, 10)  # inductions of hires on 3 March overdue (due 2 April), of hires on 25 March due soon
BATCH = 2  # obligations per chunk: a person's 3 are never split, so one person a chunk (8 chunks a run)


class Killed(BaseException):
    """The process dies here (SIGKILL, OOM): no ``except Exception`` catches it."""


def make_people(ent_a, tree_a, ent_b, tree_b):
    """Eight workers in two enterprises, each with an HR user; one worker
    without an account in each. Returns HR by enterprise id."""
    hr = {}
    for ent, tree in ((ent_a, tree_a), (ent_b, tree_b)):
        hr[ent.pk] = UserFactory(email=f"hr-{ent.code}@example.com")
        MembershipFactory(user=hr[ent.pk], enterprise=ent, role=Role.HR)
        for i in range(4):
            user = UserFactory(email=f"w{i}-{ent.code}@example.com") if i else None
            hired = D(2025, 3, 3) if i % 2 else D(2025, 3, 25)
            hire(EmployeeFactory(enterprise=ent, hire_date=hired, user=user), tree[3])
    return hr


@pytest.fixture
def people(ent_a, tree_a, ent_b, tree_b):
    return make_people(ent_a, tree_a, ent_b, tree_b)


def _check_told_once(hr, *, emails=True):
    """Every obligation claimed for a stage is in exactly one notice of its
    person (if they have an account) and one digest of each HR user of its
    enterprise, for that stage; nothing is left unclaimed."""
    obligations = {
        pk: (stage, user_id, enterprise_id)
        for pk, stage, user_id, enterprise_id in Obligation.objects.filter(kind="induction").values_list(
            "pk", "notified_stage", "employee__user_id", "employee__enterprise_id")
    }
    stages = Counter(stage for stage, _u, _e in obligations.values())
    assert stages == {"overdue": 12, "due_soon": 12}
    told = Counter()
    for n in Notice.objects.filter(template__in=["obligation", "obligation-digest"]):
        for item in n.context["items"]:
            told[n.user_id, n.context["stage"], item["id"]] += 1
    expected = Counter()
    for pk, (stage, user_id, enterprise_id) in obligations.items():
        if user_id:
            expected[user_id, stage, pk] = 1
        expected[hr[enterprise_id].pk, stage, pk] = 1
    assert told == expected
    if not emails:
        return
    # One e-mail per notice, each sent once; none left pending.
    emailed = Notice.objects.exclude(email_status="")
    assert set(emailed.values_list("email_status", flat=True)) == {"sent"}
    assert len(mail.outbox) == emailed.count()


def _kill_on_call(monkeypatch, name, k):
    real = getattr(daily, name)
    calls = []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == k:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(daily, name, dying)
    return calls


def _scan(capture):
    with capture(execute=True):
        return daily.scan_obligations(today=TODAY, batch=BATCH)


def test_an_uninterrupted_scan_tells_each_item_once_per_stage(people, django_capture_on_commit_callbacks):
    result = _scan(django_capture_on_commit_callbacks)
    assert result.overdue == 12 and result.due_soon == 12
    _check_told_once(people)
    # Each person one notice per stage and run.
    per_person = Counter(Notice.objects.filter(template="obligation").values_list("user_id", "context__stage"))
    assert set(per_person.values()) == {1} and len(per_person) == 6
    assert _scan(django_capture_on_commit_callbacks).overdue == 0


# 8 chunks a run: 8 claims, 16 batches of notices (the person's, the digest).
@pytest.mark.parametrize(("where", "k"), [("_claim_chunk", k) for k in range(1, 9)]
                         + [("notices_create", k) for k in range(1, 17)])
def test_a_scan_killed_anywhere_and_run_again_tells_everyone_once(people, where, k, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    """Killed while writing the k-th batch of notices, or before the k-th
    chunk's claim (after k-1 chunks committed); the rerun tells the rest."""
    calls = _kill_on_call(monkeypatch, where, k)
    with pytest.raises(Killed):
        _scan(django_capture_on_commit_callbacks)
    assert len(calls) == k
    monkeypatch.undo()
    _scan(django_capture_on_commit_callbacks)
    _check_told_once(people)
    # A third run finds nothing to do.
    again = _scan(django_capture_on_commit_callbacks)
    assert (again.overdue, again.due_soon, again.notices) == (0, 0, 0)


def test_killed_twice_at_random_points_still_tells_once(people, monkeypatch, django_capture_on_commit_callbacks):
    import random

    rng = random.Random(19)
    for _round in range(3):
        for name in ("notices_create", "_claim_chunk"):
            _kill_on_call(monkeypatch, name, rng.randint(1, 6))
            try:
                _scan(django_capture_on_commit_callbacks)
            except Killed:
                pass
            monkeypatch.undo()
    _scan(django_capture_on_commit_callbacks)
    _check_told_once(people)


def test_queries_per_chunk_do_not_grow_with_the_chunk(people, ent_b, tree_b):
    """One chunk of 4 people or of 8 people: the same number of queries."""
    counts = []
    for stage, q in ((Obligation.Stage.OVERDUE, Q(due_date__lt=TODAY, employee__enterprise=ent_b)),
                     (Obligation.Stage.OVERDUE, Q(due_date__lt=TODAY))):
        with CaptureQueriesContext(connection) as ctx:
            claimed = daily._claim_and_notify(stage, q, 10_000, daily.ScanResult())
        assert claimed
        counts.append(len(ctx.captured_queries))
    # 16 with the speed layer's bulk insert; 18 on Django's own bulk_create (ANXUN_SPEED_OFF=1).
    assert counts[0] == counts[1] <= 18, counts
