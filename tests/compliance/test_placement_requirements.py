"""Placement is a change of post (RULES.md): whatever path puts a person on a
post, what the post requires is owed — transfer, return after leave, first
post after a hire without one, apprenticeship — and training already on
file counts whenever the obligation was made (issue 18 items 1 and 2)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.compliance.models import Obligation
from lms.compliance.placement import cleared_pairs
from lms.compliance.scan import scan_obligations
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance, clearance_batch
from lms.compliance.services import obligations_generate_for_events
from lms.workforce import services
from lms.workforce.models import EmploymentEvent, OrgUnit, PostAssignment
from lms.workforce.signals import events_imported
from tests.factories import EmployeeFactory, OrgUnitFactory, PostFactory

from .helpers import D, event, hire, induct, train

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(ent_b, tree_b):
    """Post Q in workshop W1 / team T1 (the tree's post); P in W2 / T2;
    R in W2 / T2 too; A in W2 / T2 with 2 apprenticeship months."""
    company, w1, t1, q = tree_b
    w2 = OrgUnitFactory(enterprise=ent_b, kind=OrgUnit.Kind.WORKSHOP, parent=company, code="B-W2", name="二车间")
    t2 = OrgUnitFactory(enterprise=ent_b, kind=OrgUnit.Kind.TEAM, parent=w2, code="B-T2", name="乙班")
    p = PostFactory(enterprise=ent_b, org_unit=t2, code="B-P", name="装配工")
    r = PostFactory(enterprise=ent_b, org_unit=t2, code="B-R", name="检验工")
    a = PostFactory(enterprise=ent_b, org_unit=t2, code="B-A", name="危险工艺操作工", apprenticeship_months=2)
    return {"Q": q, "P": p, "R": r, "A": a}


def _on_q(ent_b, site, hired=D(2026, 1, 5)):
    """Hired for Q, inducted for Q, placed on Q the next week."""
    emp = EmployeeFactory(enterprise=ent_b, hire_date=hired)
    hire(emp, site["Q"])
    induct(emp, site["Q"], hired + dt.timedelta(days=2), 8)
    services.assignment_create(employee=emp, post=site["Q"], start_date=hired + dt.timedelta(days=7), actor=None)
    return emp


# --- (a) direct placement skips the law ------------------------------------------


@pytest.mark.rule("placement.transfer", "retrain.transfer")
def test_placement_in_another_workshop_without_a_transfer_event_is_refused(ent_b, site):
    emp = _on_q(ent_b, site)
    answer = clearance(emp, site["P"], D(2026, 3, 2))
    assert not answer.cleared and answer.codes == [Code.RETRAINING_REQUIRED] * 2
    with pytest.raises(services.ClearanceRefused):
        services.assignment_create(employee=emp, post=site["P"], start_date=D(2026, 3, 2), actor=None)
    # Refused, but what the post requires stands for HR to see.
    owed = Obligation.objects.filter(employee=emp, post=site["P"], kind="retraining")
    assert sorted(owed.values_list("level", "status", "blocks_post")) == [("team", "open", True), ("workshop", "open", True)]
    assert not PostAssignment.objects.filter(employee=emp, post=site["P"]).exists()


@pytest.mark.rule("placement.transfer", "placement.order")
def test_training_for_the_new_post_while_on_the_old_one_clears_before_the_move(ent_b, site):
    """The window starts at the previous assignment's start: training for P
    done while still on Q counts, so HR can clear the person before moving them."""
    emp = _on_q(ent_b, site)  # on Q since 2026-01-12
    for level in ("workshop", "team"):
        train(emp, "retraining", 8, D(2026, 2, 20), level=level, post=site["P"])
    assert clearance(emp, site["P"], D(2026, 3, 2)).cleared
    services.assignment_create(employee=emp, post=site["P"], start_date=D(2026, 3, 2), actor=None)
    assert clearance_batch(enterprise=ent_b, on_date=D(2026, 3, 3))[(emp.pk, site["P"].pk)].cleared


def test_training_before_the_previous_change_of_post_does_not_count(ent_b, site):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 1, 5))
    hire(emp, site["Q"])
    induct(emp, site["Q"], D(2026, 1, 6), 8)
    for level in ("workshop", "team"):  # for P, but before the person went on Q
        train(emp, "retraining", 8, D(2026, 1, 8), level=level, post=site["P"])
    services.assignment_create(employee=emp, post=site["Q"], start_date=D(2026, 1, 12), actor=None)
    assert clearance(emp, site["P"], D(2026, 3, 2)).codes == [Code.RETRAINING_REQUIRED] * 2
    # On the very day of the previous change it counts (the window is inclusive).
    train(emp, "retraining", 8, D(2026, 1, 12), level="workshop", post=site["P"])
    assert clearance(emp, site["P"], D(2026, 3, 2)).codes == [Code.RETRAINING_REQUIRED]


@pytest.mark.rule("placement.transfer")
def test_a_post_in_the_same_team_is_no_transfer(ent_b, site):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 1, 5))
    hire(emp, site["P"])
    induct(emp, site["P"], D(2026, 1, 6), 8)
    services.assignment_create(employee=emp, post=site["P"], start_date=D(2026, 1, 12), actor=None)
    assert clearance(emp, site["R"], D(2026, 3, 2)).cleared


@pytest.mark.rule("placement.transfer")
def test_api_placement_in_another_workshop_is_refused(ent_b, site, client):
    from lms.accounts.roles import Role
    from tests.factories import MembershipFactory, UserFactory

    emp = _on_q(ent_b, site)
    user = UserFactory(email="hr-gate@example.com")
    MembershipFactory(user=user, enterprise=ent_b, role=Role.HR)
    with pytest.raises(services.ClearanceRefused):
        services.assignment_create(employee=emp, post=site["P"], start_date=D(2026, 3, 2), actor=user)


@pytest.mark.rule("placement.apprenticeship")
def test_hired_without_a_post_then_placed_on_an_apprenticeship_post_needs_the_apprenticeship(ent_b, site):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 1, 5))
    hire(emp)  # no post
    induct(emp, site["A"], D(2026, 1, 6), 8)
    answer = clearance(emp, site["A"], D(2026, 1, 12))
    assert answer.codes == [Code.APPRENTICESHIP_INCOMPLETE] and answer.apprentice_only
    with pytest.raises(services.ClearanceRefused):
        services.assignment_create(employee=emp, post=site["A"], start_date=D(2026, 1, 12), actor=None)
    assert Obligation.objects.filter(employee=emp, post=site["A"], kind="apprenticeship", status="open").exists()


def test_hired_without_a_post_the_levels_must_be_for_the_post_placed_on(ent_b, site):
    """A post-less hire's workshop/team induction stands (post=None); the
    first placement adds both levels for that post: level training for
    another post does not clear it, training with no post or for it does."""
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 1, 5))
    hire(emp)
    induct(emp, site["Q"], D(2026, 1, 6), 8)  # workshop/team for Q
    assert clearance(emp, site["Q"], D(2026, 1, 12)).cleared
    answer = clearance(emp, site["P"], D(2026, 1, 12))
    assert answer.codes == [Code.INDUCTION_LEVEL_MISSING] * 2
    for level in ("workshop", "team"):
        train(emp, "induction", 8, D(2026, 1, 7), level=level, post=site["P"])
    services.assignment_create(employee=emp, post=site["P"], start_date=D(2026, 1, 12), actor=None)


@pytest.mark.rule("retrain.return", "placement.transfer")
def test_back_on_a_post_after_six_months_off_needs_retraining_without_a_return_event(ent_b, site):
    emp = _on_q(ent_b, site, hired=D(2025, 1, 6))  # on Q from 2025-01-13
    services.assignment_end(assignment=emp.assignments.get(), end_date=D(2025, 3, 31), actor=None)
    # 2025-04-01 → 2025-10-01 is six months: 以上 includes the number itself.
    assert clearance(emp, site["Q"], D(2025, 9, 30)).cleared
    assert clearance(emp, site["Q"], D(2025, 10, 1)).codes == [Code.RETRAINING_REQUIRED] * 2
    with pytest.raises(services.ClearanceRefused):
        services.assignment_create(employee=emp, post=site["Q"], start_date=D(2025, 10, 1), actor=None)
    # Training during the time off counts.
    for level in ("workshop", "team"):
        train(emp, "retraining", 8, D(2025, 9, 20), level=level, post=site["Q"])
    services.assignment_create(employee=emp, post=site["Q"], start_date=D(2025, 10, 1), actor=None)


def test_leave_and_return_events_without_a_post_then_placement(ent_b, site):
    emp = _on_q(ent_b, site, hired=D(2025, 1, 6))
    event(emp, "leave", D(2025, 2, 1))
    event(emp, "return", D(2025, 9, 1))  # no post named
    for level in ("workshop", "team"):  # the RETURN event's own (post-less) obligations
        train(emp, "retraining", 8, D(2025, 9, 2), level=level)
    answer = clearance(emp, site["Q"], D(2025, 9, 3))
    assert answer.cleared, answer.codes  # records with no post count for any post


@pytest.mark.rule("placement.transfer")
def test_import_placements_go_through_the_requirements(ent_b, site):
    emp = _on_q(ent_b, site)
    assert cleared_pairs(enterprise=ent_b, on_date=D(2026, 3, 2), pairs=[(emp.pk, site["P"].pk)]) == set()
    assert Obligation.objects.filter(employee=emp, post=site["P"], kind="retraining", status="open").count() == 2
    for level in ("workshop", "team"):
        train(emp, "retraining", 8, D(2026, 2, 20), level=level, post=site["P"])
    assert cleared_pairs(enterprise=ent_b, on_date=D(2026, 3, 2), pairs=[(emp.pk, site["P"].pk)]) == {
        (emp.pk, site["P"].pk)}


def test_batch_equals_single_for_posts_never_placed_on(ent_b, site):
    people = [_on_q(ent_b, site) for _ in range(2)]
    train(people[1], "retraining", 8, D(2026, 2, 1), level="workshop", post=site["P"])
    pairs = [(e.pk, p.pk) for e in people for p in site.values()]
    batch = clearance_batch(enterprise=ent_b, on_date=D(2026, 3, 2), pairs=pairs)
    for e in people:
        for p in site.values():
            assert batch[(e.pk, p.pk)].codes == clearance(e, p, D(2026, 3, 2)).codes, p.code


def test_batch_requirements_stay_at_a_constant_number_of_queries(ent_b, site):
    def queries(n):
        people = [_on_q(ent_b, site) for _ in range(n)]
        for e in people[: n // 2]:
            train(e, "retraining", 8, D(2026, 2, 1), level="workshop", post=site["P"])
        pairs = [(e.pk, p.pk) for e in people for p in (site["P"], site["A"], site["Q"])]
        with CaptureQueriesContext(connection) as ctx:
            clearance_batch(enterprise=ent_b, on_date=D(2026, 3, 2), pairs=pairs)
        return len(ctx.captured_queries)

    assert queries(2) == queries(6)


# --- (b) order changes the answer ----------------------------------------------------


@pytest.mark.rule("placement.order")
def test_refresher_on_file_before_the_scan_counts(ent_b, site):
    emp = _on_q(ent_b, site, hired=D(2025, 1, 6))
    train(emp, "refresher", 8, D(2026, 2, 10))
    scan_obligations(today=D(2026, 3, 10))
    refresher = Obligation.objects.get(employee=emp, kind="refresher", cycle="2026")
    assert refresher.status == "met" and refresher.completed_hours == 8
    assert list(refresher.records.values_list("kind", flat=True)) == ["refresher"]
    assert Code.REFRESHER_OVERDUE not in clearance(emp, site["Q"], D(2027, 1, 4)).codes


@pytest.mark.rule("placement.order", "warning.quarterly")
def test_warning_education_before_its_obligation_counts(ent_b, site):
    emp = _on_q(ent_b, site, hired=D(2025, 1, 6))
    train(emp, "warning", 1, D(2026, 1, 20), passed=None)
    scan_obligations(today=D(2026, 1, 25))
    warning = Obligation.objects.get(employee=emp, kind="warning", cycle="2026Q1")
    assert warning.status == "met"


@pytest.mark.rule("placement.order")
def test_imported_events_count_training_on_file(ent_b, site):
    emp = _on_q(ent_b, site)
    for level in ("workshop", "team"):
        train(emp, "retraining", 8, D(2026, 3, 3), level=level, post=site["P"])
    transfer = EmploymentEvent.objects.create(employee=emp, type="transfer", date=D(2026, 3, 2), post=site["P"],
                                              source="import")
    events_imported.send(sender=EmploymentEvent, events=[transfer])
    owed = Obligation.objects.filter(employee=emp, event=transfer)
    assert owed.count() == 2 and set(owed.values_list("status", flat=True)) == {"met"}
    assert obligations_generate_for_events([transfer]) == 0


# --- (c) before the first scan ---------------------------------------------------------


def test_portal_before_the_first_scan_shows_what_the_year_will_owe(ent_b, site):
    from courses.selectors import my_year_hours
    from lms.compliance.selectors import year_cycle_obligations
    from tests.factories import UserFactory

    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6), user=UserFactory(email="w-gate@example.com"))
    hire(emp, site["Q"])
    year = dt.date.today().year
    assert not Obligation.objects.filter(employee=emp, cycle=str(year)).exists()
    hours = my_year_hours(emp.user, year)
    assert hours["required"] == "8" and hours["missing"] == "8"  # not "0/0 今年已达到要求"
    owed = {o.kind: o for o in year_cycle_obligations([emp])}
    assert owed["refresher"].pk is None and owed["refresher"].min_hours == 8 and owed["refresher"].status == "open"
    train(emp, "refresher", 8, dt.date(year, 1, 20), passed=None)
    assert {o.kind: o for o in year_cycle_obligations([emp])}["refresher"].status == "met"


def test_person_file_before_the_first_scan_lists_what_the_year_will_owe(ent_b, site):
    from lms.archive.exports import person_file_load

    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6))
    hire(emp, site["Q"])
    year = dt.date.today().year
    pf = person_file_load(emp, today=dt.date(year, 3, 2))
    refresher = [o for o in pf.obligations if o.kind == "refresher"]
    assert [(o.pk, o.cycle, o.min_hours, o.status) for o in refresher] == [(None, str(year), 8, "open")]
    scan_obligations(today=dt.date(year, 3, 2))
    pf = person_file_load(emp, today=dt.date(year, 3, 2))
    assert [o.pk is not None for o in pf.obligations if o.kind == "refresher"] == [True]


@pytest.mark.rule("placement.order", "retrain.transfer")
def test_a_transfer_event_counts_training_done_for_the_new_post_before_it(ent_b, site):
    """The transfer event's own retraining has the placement's window: from
    the start of the post the person leaves (HR can clear before the move)."""
    emp = _on_q(ent_b, site)  # on Q since 2026-01-12
    for level in ("workshop", "team"):
        train(emp, "retraining", 8, D(2026, 2, 20), level=level, post=site["P"])
    transfer = event(emp, "transfer", D(2026, 3, 2), post=site["P"])
    assert set(Obligation.objects.filter(event=transfer).values_list("start_date", "status")) == {(D(2026, 1, 12), "met")}
    services.assignment_create(employee=emp, post=site["P"], start_date=D(2026, 3, 2), actor=None)
    # No second copy of the same requirement from the placement itself.
    assert not Obligation.objects.filter(employee=emp, key__contains=":place:").exists()
