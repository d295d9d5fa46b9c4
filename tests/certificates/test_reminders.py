"""External certificates in the daily scan: review (复审) and expiry 90/30/7
days ahead and once lapsed tell the holder and HR, once per stage; a
special-operation review creates the ≥ 8 h refresher obligation (令30 §23)
that refresher records then meet; a lapsed certificate closes the gate."""

import datetime as dt

import pytest

from certificates.models import CertificateKind
from certificates.services import certificate_register
from lms.compliance.models import Notice, Obligation, ObligationKind
from lms.compliance.scan import scan_obligations
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance
from lms.workforce.models import SpecialOperation
from tests.compliance.helpers import D, train

from .conftest import inducted_welder

pytestmark = pytest.mark.django_db

TODAY = D(2026, 12, 2)


@pytest.fixture
def welder(ent_a, welder_post):
    return inducted_welder(ent_a, welder_post, D(2024, 3, 1))


def register(employee, **overrides):
    return certificate_register(**{
        "employee": employee, "kind": CertificateKind.SPECIAL_OPERATION, "category": SpecialOperation.WELDING,
        "number": "T320505198501010011", "authority": "江苏省应急管理厅", "issued_on": D(2024, 1, 31),
        "valid_until": D(2029, 1, 9), "next_review_due": TODAY + dt.timedelta(days=60), "actor": None, **overrides})


def notices(user, fragment):
    return list(Notice.objects.filter(user=user, title__contains=fragment).order_by("pk"))


@pytest.mark.rule("cert.special_op_review", "hours.special_op_review")
def test_review_reminders_at_90_30_7_days_once_each_with_refresher_obligation(alice, welder):
    cert = register(welder)
    scan_obligations(today=TODAY)
    [first] = notices(welder.user, "证书复审提醒")
    assert "焊工老王" in first.title and cert.number in first.title
    assert "不少于 8 学时" in first.body and "60 天" in first.body
    assert len(notices(alice, "证书复审提醒")) == 1  # HR too
    [refresher] = Obligation.objects.filter(employee=welder, kind=ObligationKind.SPECIAL_OP_REFRESHER)
    assert refresher.min_hours == 8 and refresher.due_date == cert.next_review_due and not refresher.blocks_post

    scan_obligations(today=TODAY)  # the same day again: nothing new
    scan_obligations(today=TODAY + dt.timedelta(days=10))  # 50 days left: still the 90-day stage
    assert len(notices(welder.user, "证书复审提醒")) == 1
    scan_obligations(today=TODAY + dt.timedelta(days=31))  # 29 days left
    scan_obligations(today=TODAY + dt.timedelta(days=54))  # 6 days left
    reminders = notices(welder.user, "证书复审提醒")
    assert [("29 天" in n.body, "6 天" in n.body) for n in reminders] == [(False, False), (True, False), (False, True)]
    assert Obligation.objects.filter(employee=welder, kind=ObligationKind.SPECIAL_OP_REFRESHER).count() == 1

    train(welder, "special_operation", 8, TODAY + dt.timedelta(days=1))
    refresher.refresh_from_db()
    assert refresher.status == Obligation.Status.MET


def test_overdue_review_and_expiry_lapse_the_gate_and_are_told(alice, welder, welder_post):
    cert = register(welder, next_review_due=None, valid_until=TODAY + dt.timedelta(days=20))
    assert clearance(welder, welder_post, TODAY).cleared
    scan_obligations(today=TODAY)
    assert len(notices(welder.user, "证书即将到期")) == 1
    lapsed_day = cert.valid_until + dt.timedelta(days=1)
    scan_obligations(today=lapsed_day)
    [lapsed] = notices(welder.user, "证书已过期")
    assert "上岗资格已失效" in lapsed.body
    assert notices(alice, "证书已过期")
    assert Code.CERT_EXPIRED in clearance(welder, welder_post, lapsed_day).codes


def test_replaced_certificates_are_not_reminded(alice, welder):
    old = register(welder, next_review_due=None, valid_until=TODAY + dt.timedelta(days=20))
    register(welder, number="T-NEW", issued_on=TODAY, valid_until=D(2032, 12, 1), next_review_due=D(2029, 12, 1),
             replaces=old)
    scan_obligations(today=TODAY)
    assert notices(welder.user, "证书") == []


def test_a_second_scan_the_same_day_changes_nothing_with_a_review_a_week_away(alice, welder):
    register(welder, next_review_due=TODAY + dt.timedelta(days=7))
    first = scan_obligations(today=TODAY)
    assert first.certificate_reminders == 1
    refresher = Obligation.objects.get(employee=welder, kind=ObligationKind.SPECIAL_OP_REFRESHER)
    assert refresher.notified_stage == Obligation.Stage.DUE_SOON  # told in the first run, with the reminder
    before = Notice.objects.count()
    again = scan_obligations(today=TODAY)
    assert (again.overdue, again.due_soon, again.certificate_reminders) == (0, 0, 0)
    assert Notice.objects.count() == before


def test_a_scan_killed_while_telling_a_review_reminder_tells_it_on_the_rerun(alice, welder, monkeypatch):
    """The stage claim, the refresher obligation and the notices are one
    transaction (issue 19): killed before the notices, nothing is claimed,
    and the rerun tells the holder and HR once."""
    from certificates import scan as certificate_scan

    class Killed(BaseException):
        pass

    def killed(*_args, **_kwargs):
        raise Killed

    cert = register(welder)
    monkeypatch.setattr(certificate_scan, "notices_record", killed)
    with pytest.raises(Killed):
        scan_obligations(today=TODAY)
    monkeypatch.undo()
    cert.refresh_from_db()
    assert cert.notified_review_stage == ""
    assert not Obligation.objects.filter(employee=welder, kind=ObligationKind.SPECIAL_OP_REFRESHER).exists()
    scan_obligations(today=TODAY)
    scan_obligations(today=TODAY)
    assert len(notices(welder.user, "证书复审提醒")) == 1 and len(notices(alice, "证书复审提醒")) == 1
    assert Obligation.objects.filter(employee=welder, kind=ObligationKind.SPECIAL_OP_REFRESHER).count() == 1
