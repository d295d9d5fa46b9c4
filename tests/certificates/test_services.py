"""certificates.services: register, suspend, revoke, reinstate, review —
each checked, validated, audited; revocation closes clearance at once."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import ModelLogEntry

from certificates.models import Certificate, CertificateKind
from certificates.services import (
    certificate_register,
    certificate_reinstate,
    certificate_review,
    certificate_revoke,
    certificate_suspend,
)
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance
from lms.workforce.models import SpecialOperation
from tests.compliance.helpers import hire, induct, train
from tests.factories import EmployeeFactory, PostFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def welder_post(ent_a, tree_a):
    return PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-WELD", name="焊工",
                       special_operation=SpecialOperation.WELDING)


@pytest.fixture
def welder(ent_a, welder_post):
    employee = EmployeeFactory(enterprise=ent_a, name="焊工老王", employee_no="W001", hire_date=D(2024, 3, 1))
    hire(employee, welder_post)
    induct(employee, welder_post, D(2024, 3, 2), 24)
    return employee


def register(employee, actor=None, **overrides):
    fields = {
        "employee": employee,
        "kind": CertificateKind.SPECIAL_OPERATION,
        "category": SpecialOperation.WELDING,
        "number": "T320505198501010011",
        "authority": "江苏省应急管理厅",
        "issued_on": D(2024, 1, 10),
        "valid_until": D(2030, 1, 9),
        "next_review_due": D(2027, 1, 9),
        "actor": actor,
        **overrides,
    }
    return certificate_register(**fields)


def test_register_makes_the_holder_cleared_for_the_special_operation_post(alice, welder, welder_post):
    assert Code.CERT_MISSING in clearance(welder, welder_post).codes
    cert = register(welder, actor=alice)
    assert cert.status == Certificate.Status.VALID and cert.registered_by == alice
    assert clearance(welder, welder_post).cleared
    entry = ModelLogEntry.objects.get(action="anxun.certificate_register", object_id=str(cert.pk))
    assert entry.user == alice and entry.data["number"] == cert.number


def test_revocation_closes_clearance_at_once(alice, welder, welder_post):
    cert = register(welder)
    assert clearance(welder, welder_post).cleared
    certificate_revoke(certificate=cert, reason="发证机关通报吊销", actor=alice)
    result = clearance(welder, welder_post)
    assert result.codes == [Code.CERT_REVOKED]
    assert "已被吊销" in result.reasons[0].message
    entry = ModelLogEntry.objects.get(action="anxun.certificate_revoke", object_id=str(cert.pk))
    assert entry.data["reason"] == "发证机关通报吊销" and entry.user == alice


def test_suspend_then_reinstate(alice, welder, welder_post):
    cert = register(welder)
    certificate_suspend(certificate=cert, reason="违章作业，暂扣", actor=alice)
    assert clearance(welder, welder_post).codes == [Code.CERT_SUSPENDED]
    cert.refresh_from_db()
    assert cert.status_reason == "违章作业，暂扣" and cert.status_changed_at is not None
    certificate_reinstate(certificate=cert, reason="暂扣期满", actor=alice)
    assert clearance(welder, welder_post).cleared
    certificate_type = ContentType.objects.get_for_model(Certificate)
    entries = ModelLogEntry.objects.filter(content_type=certificate_type, object_id=str(cert.pk))
    actions = list(entries.order_by("timestamp", "id").values_list("action", flat=True))
    assert actions == ["anxun.certificate_register", "anxun.certificate_suspend", "anxun.certificate_reinstate"]


def test_revoked_is_final(welder):
    cert = register(welder)
    certificate_revoke(certificate=cert, reason="注销", actor=None)
    with pytest.raises(ValidationError, match="只有暂停中的证书可以恢复"):
        certificate_reinstate(certificate=cert, reason="误操作", actor=None)
    with pytest.raises(ValidationError, match="不能吊销"):
        certificate_revoke(certificate=cert, reason="再次", actor=None)
    with pytest.raises(ValidationError, match="只有有效的证书可以暂停"):
        certificate_suspend(certificate=cert, reason="x", actor=None)


def test_status_change_needs_a_reason(welder):
    cert = register(welder)
    with pytest.raises(ValidationError) as exc:
        certificate_suspend(certificate=cert, reason="  ", actor=None)
    assert exc.value.message_dict["reason"] == ["请填写原因"]
    cert.refresh_from_db()
    assert cert.status == Certificate.Status.VALID


def test_outsider_may_not_touch_another_enterprise_certificate(charlie, welder):
    with pytest.raises(PermissionDenied):
        register(welder, actor=charlie)
    cert = register(welder)
    for action in (certificate_suspend, certificate_revoke):
        with pytest.raises(PermissionDenied):
            action(certificate=cert, reason="x", actor=charlie)
    with pytest.raises(PermissionDenied):
        certificate_review(certificate=cert, reviewed_on=D(2026, 1, 5), next_review_due=D(2029, 1, 5), actor=charlie)
    cert.refresh_from_db()
    assert cert.status == Certificate.Status.VALID


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"category": ""}, "category", "特种作业操作证必须填写作业类别"),
        ({"kind": CertificateKind.SPECIAL_EQUIPMENT}, "category", "只有特种作业操作证填写作业类别"),
        ({"valid_until": D(2023, 1, 1)}, "valid_until", "有效期不能早于发证日期"),
        ({"next_review_due": D(2024, 1, 1)}, "next_review_due", "复审日期应晚于发证日期"),
    ],
)
def test_register_refuses_bad_input_in_chinese(welder, overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        register(welder, **overrides)
    assert message in exc.value.message_dict[field][0]
    assert not Certificate.objects.exists()


def test_same_number_from_same_authority_is_refused(welder):
    register(welder)
    with pytest.raises(ValidationError) as exc:
        register(welder)
    assert "已登记" in exc.value.message_dict["number"][0]


def test_replaces_must_be_the_same_holders_certificate(ent_a, welder):
    other = EmployeeFactory(enterprise=ent_a)
    old = register(other, number="OLD-1")
    with pytest.raises(ValidationError) as exc:
        register(welder, replaces=old)
    assert "replaces" in exc.value.message_dict


def test_review_moves_the_next_review_date(alice, welder, welder_post):
    cert = register(welder, next_review_due=D(2025, 1, 9))
    assert clearance(welder, welder_post).codes == [Code.CERT_REVIEW_OVERDUE]
    train(welder, "special_operation", 8, D(2024, 12, 1))  # 令30 §23: ≥ 8 h before the review
    certificate_review(certificate=cert, reviewed_on=D(2025, 1, 5), next_review_due=D(2028, 1, 5), actor=alice)
    assert clearance(welder, welder_post).cleared
    with pytest.raises(ValidationError) as exc:
        certificate_review(certificate=cert, reviewed_on=D(2025, 1, 5), next_review_due=D(2031, 1, 1), actor=alice)
    assert "next_review_due" in exc.value.message_dict
