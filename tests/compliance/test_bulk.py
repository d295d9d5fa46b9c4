"""The scan's fast insert writes the same rows bulk_create would, skips rows
a unique key already holds and counts only what it inserted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from lms.compliance.models import Notice, Obligation
from lms.compliance.rules import RuleBook
from lms.compliance.services import cycle_obligations
from lms.speed.bulk import insert_ignoring_conflicts
from tests.factories import EmployeeFactory, UserFactory

from .helpers import D

pytestmark = pytest.mark.django_db


def rows(qs):
    return sorted(tuple(sorted((k, v) for k, v in r.items() if k != "id")) for r in qs.values())


def test_obligations_as_bulk_create_writes_them(ent_b):
    people = [EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 5, 1), is_principal=(i == 0)) for i in range(3)]
    made = cycle_obligations(people, 2026, 1, RuleBook.load())
    assert {o.kind for o in made} == {"refresher", "principal_annual", "warning"}
    # The principal owes his own annual hours, not the staff refresher (decision 013).
    assert insert_ignoring_conflicts(Obligation, made) == len(made) == 6
    mine = rows(Obligation.objects.all())
    Obligation.objects.all().delete()
    Obligation.objects.bulk_create(cycle_obligations(people, 2026, 1, RuleBook.load()))
    theirs = rows(Obligation.objects.all())
    # created_at differs (timezone.now() per object); everything else is the same.
    strip = lambda rs: [tuple(kv for kv in r if kv[0] != "created_at") for r in rs]  # noqa: E731
    assert strip(mine) == strip(theirs)
    o = Obligation.objects.get(employee=people[1], kind="refresher")
    assert (o.min_hours, o.due_date, o.end_date, o.blocks_post) == (Decimal("8.0"), D(2026, 12, 31), D(2026, 12, 31), False)


def test_rows_already_there_are_skipped_and_not_counted(ent_b):
    people = [EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 5, 1)) for _ in range(2)]
    book = RuleBook.load()
    assert insert_ignoring_conflicts(Obligation, cycle_obligations(people[:1], 2026, 1, book)) == 2
    assert insert_ignoring_conflicts(Obligation, cycle_obligations(people, 2026, 1, book)) == 2
    assert Obligation.objects.count() == 4
    assert insert_ignoring_conflicts(Obligation, []) == 0


def test_notices_with_json_facts_and_times():
    user = UserFactory(email="n@example.com")
    now = timezone.now().replace(microsecond=123456)
    facts = {"stage": "overdue", "items": [{"id": 1, "label": "三级安全教育", "due_date": "2026-01-01"}]}
    notices = [Notice(user=user, key=f"k{i}", title=f"标题 {i}", body="", link="/portal/", created_at=now,
                      email_status=Notice.EmailStatus.PENDING, email_at=now, template="obligation", context=facts)
               for i in range(3)]
    assert insert_ignoring_conflicts(Notice, notices + notices[:1]) == 3
    n = Notice.objects.get(key="k1")
    assert (n.title, n.context, n.created_at, n.email_at, n.email_attempts) == ("标题 1", facts, now, now, 0)
    assert n.created_at - now == dt.timedelta(0)


def test_cycle_obligations_leave_out_what_is_on_file(ent_b):
    person = EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 5, 1))
    book = RuleBook.load()
    insert_ignoring_conflicts(Obligation, cycle_obligations([person], 2026, 1, book))
    have = set(Obligation.objects.values_list("employee_id", "key"))
    assert len(have) == 2 and cycle_obligations([person], 2026, 1, book, have=have) == []
    # The next quarter's warning education is new; the year's refresher is not.
    assert [o.cycle for o in cycle_obligations([person], 2026, 2, book, have=have)] == ["2026Q2"]


def test_rows_as_dicts_take_the_defaults(ent_b):
    people = [EmployeeFactory(enterprise=ent_b, hire_date=D(2024, 5, 1)) for _ in range(2)]
    rows = cycle_obligations(people, 2026, 1, RuleBook.load(), rows=True)
    assert insert_ignoring_conflicts(Obligation, rows) == 4
    made = Obligation.objects.order_by("pk")
    assert {(o.status, o.completed_hours, o.notified_stage, o.exam_passed) for o in made} == {("open", 0, "", False)}
    assert len({o.created_at for o in made}) == 1  # timezone.now() once per call
    # The same as the model instances give.
    assert rows_of(made) == rows_of_objects(cycle_obligations(people, 2026, 1, RuleBook.load()))
    with pytest.raises(ValueError, match="employee"):
        insert_ignoring_conflicts(Obligation, [{"employee": people[0]}])


def rows_of(qs):
    return sorted(tuple(sorted((k, v) for k, v in r.items() if k not in ("id", "created_at"))) for r in qs.values())


def rows_of_objects(objs):
    fields = [f for f in Obligation._meta.concrete_fields if not f.primary_key and f.attname != "created_at"]
    return sorted(tuple(sorted((f.attname, getattr(o, f.attname)) for f in fields)) for o in objs)
