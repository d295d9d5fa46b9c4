"""Planning and inviting: the people who owe the training come from their
open obligations (kind, level, post, window, audience); capacity holds;
only planners invite."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses.offline import selectors, services
from courses.offline.models import Attendance
from lms.compliance.models import Obligation
from tests.compliance.helpers import train
from tests.factories import OrgUnitFactory, PostFactory

from tests.factories import DAY, at, make_session, make_trainer, make_worker

pytestmark = pytest.mark.django_db


def names(candidates):
    return [c.employee.name for c in candidates]


def test_candidates_are_those_who_owe_it(ent_b, tree_b, ent_a, tree_a, tom):
    company, workshop, team, post = tree_b
    owing = [make_worker(ent_b, team, n, no, post=post) for n, no in (("甲", "W101"), ("乙", "W102"))]
    done = make_worker(ent_b, team, "丙", "W103", post=post)
    train(done, "induction", 8, DAY - dt.timedelta(days=2), level="company")  # already met the company level
    make_worker(ent_b, team, "丁", "W104", post=post, hired=DAY + dt.timedelta(days=5))  # owes it only after the session
    make_worker(ent_a, tree_a[2], "外企", "X001")  # another enterprise
    session = make_session(ent_b, tom)
    assert names(selectors.session_candidates(session)) == ["甲", "乙"]
    assert all(c.obligations[0].level == "company" for c in selectors.session_candidates(session))

    # A team-level session for the post: the same people, through their team-level obligation.
    team_session = make_session(ent_b, tom, level="team", post=post)
    cands = selectors.session_candidates(team_session)
    assert set(names(cands)) == {"甲", "乙", "丙"}
    assert {o.post_id for c in cands for o in c.obligations} == {post.pk}

    # A refresher session: nobody hired this year owes the annual refresher.
    refresher = make_session(ent_b, tom, kind="refresher", level="")
    assert selectors.session_candidates(refresher) == []
    # Invited people are no longer candidates.
    services.session_invite(session=session, actor=None, employees=[owing[0]])
    assert names(selectors.session_candidates(session)) == ["乙"]


def test_audience_units_include_their_subtree(ent_b, tree_b, tom):
    company, workshop, team, post = tree_b
    other_workshop = OrgUnitFactory(enterprise=ent_b, kind="workshop", parent=company, code="B-W2", name="二车间")
    inside = make_worker(ent_b, team, "班组里", "W201")  # team is under workshop
    make_worker(ent_b, other_workshop, "二车间的", "W202")
    session = make_session(ent_b, tom)
    session.audience_units.set([workshop])
    assert [c.employee for c in selectors.session_candidates(session)] == [inside]


def test_invite_respects_capacity(session, ent_b, tree_b, workers):
    session = services.session_update(session=session, actor=None, capacity=4)
    more = [make_worker(ent_b, tree_b[2], n, no) for n, no in (("甲", "W301"), ("乙", "W302"))]
    with pytest.raises(ValidationError) as exc:
        services.session_invite(session=session, actor=None, employees=more)
    assert exc.value.code == "capacity"
    assert exc.value.messages == ["超出容纳人数：本次培训可容纳 4 人，已邀请 3 人，最多还能邀请 1 人。"]
    assert session.attendances.count() == 3
    result = services.session_invite(session=session, actor=None, employees=[more[0], workers[0]])
    assert [a.employee for a in result.invited] == [more[0]] and result.already == [workers[0]]
    with pytest.raises(ValidationError):
        services.session_update(session=session, actor=None, capacity=3)


def test_invite_owing_fills_the_session_most_urgent_first(ent_b, tree_b, tom):
    team = tree_b[2]
    late = make_worker(ent_b, team, "晚", "W401", hired=dt.date(2026, 11, 5))
    early = make_worker(ent_b, team, "早", "W402", hired=dt.date(2026, 10, 20))
    make_worker(ent_b, team, "中", "W403", hired=dt.date(2026, 11, 1))
    session = make_session(ent_b, tom, capacity=2)
    result = services.session_invite_owing(session=session, actor=None)
    assert [a.employee.name for a in result.invited] == ["早", "中"]
    assert late not in [a.employee for a in result.invited] and early in [a.employee for a in result.invited]
    assert services.session_invite_owing(session=session, actor=None).invited == []


def test_only_planners_invite_and_only_their_enterprises_people(session, ent_a, tree_a, tom, pat, alice, charlie):
    outsider = make_worker(ent_a, tree_a[2], "外企", "X002")
    for actor in (tom, pat, alice):
        with pytest.raises(PermissionDenied):
            services.session_invite(session=session, actor=actor, employees=[])
    with pytest.raises(ValidationError) as exc:
        services.session_invite(session=session, actor=charlie, employees=[outsider])
    assert exc.value.code == "wrong_employee"
    assert not Attendance.objects.filter(employee=outsider).exists()


def test_plan_validates_trainer_post_level_and_time(ent_b, ent_a, tree_a, tom, pat, charlie, alice):
    outsider_trainer = make_trainer(ent_a, "ann@example.com", "安")
    post_a = PostFactory(enterprise=ent_a, org_unit=tree_a[2])
    cases = [
        ({"trainer": pat}, "trainer"),  # a principal, not a trainer
        ({"trainer": outsider_trainer}, "trainer"),  # a trainer of A
        ({"post": post_a}, "post"),
        ({"level": ""}, "level"),  # induction without a level
        ({"kind": "refresher", "level": "team"}, "level"),
        ({"end_at": at(8, 0)}, "end_at"),
    ]
    for fields, field in cases:
        trainer = fields.pop("trainer", tom)
        with pytest.raises(ValidationError) as exc:
            make_session(ent_b, trainer, **fields)
        assert field in exc.value.message_dict, (fields, exc.value)
    with pytest.raises(PermissionDenied):
        services.session_create(enterprise=ent_b, actor=alice, title="x")
    s = services.session_create(
        enterprise=ent_b, actor=charlie, title="四新培训：新反应釜", content="新设备操作规程", kind="new_process",
        start_at=at(9), end_at=at(11), place="三车间", trainer=tom, capacity=20,
    )
    assert s.created_by == charlie and s.checkin_secret and len(s.checkin_secret) == 32


def test_cancel_and_no_edit_after(session, charlie, tom):
    with pytest.raises(PermissionDenied):
        services.session_cancel(session=session, actor=tom)
    services.session_cancel(session=session, actor=charlie)
    with pytest.raises(ValidationError):
        services.session_update(session=session, actor=charlie, capacity=20)
    with pytest.raises(ValidationError):
        services.session_cancel(session=session, actor=charlie)
    assert Obligation.objects.filter(employee__enterprise=session.enterprise, status="met").count() == 0
