"""Property: clearance never says yes while an obligation for that post is
unmet — checked against an independent recount of the archive."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation
from lms.compliance.selectors import clearance
from tests.factories import EmployeeFactory, PostFactory

from .helpers import D, event, hire, train

pytestmark = pytest.mark.django_db

START = D(2025, 1, 6)
KINDS = ["induction", "retraining", "new_process", "off_post", "apprenticeship", "refresher"]
LEVELS = ["", "company", "workshop", "team"]

step = st.one_of(
    st.tuples(st.just("train"), st.sampled_from(KINDS), st.sampled_from(LEVELS), st.integers(0, 30),
              st.booleans(), st.integers(0, 400), st.booleans()),
    st.tuples(st.just("event"), st.sampled_from(["transfer", "new_process", "violation"]), st.integers(1, 400)),
)


def _independent_unmet(employee, post, on_date):
    """Recount, from the raw records finished by ``on_date``, which blocking
    obligations for the post were unmet on that day."""
    records = list(TrainingRecord.objects.filter(employee=employee))
    corrected = {r.corrects_id for r in records if r.corrects_id}
    unmet = []
    for o in Obligation.objects.filter(employee=employee, blocks_post=True, start_date__lte=on_date):
        if o.post_id not in (None, post.pk):
            continue
        counted = [
            r for r in records
            if r.pk not in corrected
            and (r.kind == o.kind or (o.kind == "retraining" and r.kind == "induction"))
            and (not o.level or r.level == o.level)
            and (o.post_id is None or r.post_id in (None, o.post_id))
            and o.start_date <= r.end_at.date() <= on_date
        ]
        hours = sum((r.hours for r in counted), Decimal("0"))
        ok = counted and hours >= o.min_hours and (not o.exam_required or any(r.assessment_result == "passed" for r in counted))
        if not ok:
            unmet.append(o)
    return unmet


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, max_size=12), check_day=st.integers(0, 450))
def test_cleared_implies_no_unmet_obligation_for_the_post(ent_b, tree_b, steps, check_day):
    with transaction.atomic():
        post = tree_b[3]
        other = PostFactory(enterprise=ent_b, org_unit=tree_b[2], apprenticeship_months=2)
        emp = EmployeeFactory(enterprise=ent_b, hire_date=START)
        hire(emp, post)
        for s in steps:
            if s[0] == "train":
                _, kind, level, hours, on_post, day, passed = s
                train(emp, kind, hours, START + dt.timedelta(days=day), level=level, post=post if on_post else None,
                      passed=passed)
            else:
                _, kind, day = s
                event(emp, kind, START + dt.timedelta(days=day), post=other if kind == "transfer" else post)
        on_date = START + dt.timedelta(days=check_day)
        for target in (post, other):
            result = clearance(emp, target, on_date)
            unmet = _independent_unmet(emp, target, on_date)
            if result.cleared:
                assert not unmet, (target, [o.key for o in unmet])
            # Every unmet blocking obligation appears among the reasons.
            reported = {r.obligation_id for r in result.reasons}
            assert {o.pk for o in unmet} <= reported
        transaction.set_rollback(True)
