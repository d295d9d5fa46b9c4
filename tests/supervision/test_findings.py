"""Findings: the regulator records one (per enterprise or person, with a
deadline), the enterprise answers with evidence, the regulator closes or
reopens it; every step is audited; others are refused."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from lms.accounts.roles import Role
from lms.compliance.models import Notice
from lms.supervision import services
from lms.supervision.models import Finding, FindingEntry
from lms.supervision.services import sample_draw
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, MembershipFactory, RegulatorMembershipFactory, UserFactory, enable_totp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _deadline(days=30):
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def finding(regulator, ent_a, bob):
    return services.finding_create(actor=regulator, enterprise=ent_a, employee=bob.employee,
                                   kind=Finding.Kind.MISSING_HOURS, description="年度再培训仅 8 学时，不足 20 学时",
                                   deadline=_deadline())


def _actions(finding):
    return list(ModelLogEntry.objects.filter(object_id=str(finding.pk), action__startswith="anxun.finding_")
                .order_by("timestamp", "id").values_list("action", "user_id"))


def test_the_whole_flow_on_the_pages(client, regulator, alice, region, ent_a):
    sample = sample_draw(regulator=regulator, region_code="320505", n=2, m=2, seed=11)
    person = sample.items.filter(enterprise=ent_a).first().employee
    login_with_mfa(client, regulator)
    url = reverse("supervision:finding_new") + f"?enterprise={ent_a.pk}&sample={sample.pk}&employee={person.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "unqualified", "employee": person.pk, "description": "未经车间级教育即上岗",
                                 "deadline": _deadline(15).isoformat()})
    finding = Finding.objects.get()
    assert response.status_code == 302 and finding.employee == person and finding.sample == sample
    assert finding.status == Finding.Status.OPEN and finding.created_by == regulator

    # The enterprise sees it and answers with evidence.
    client.logout()
    login_with_mfa(client, alice)
    listing = client.get(reverse("supervision:findings")).content.decode()
    assert "未经培训合格上岗" in listing and "待整改" in listing
    detail = reverse("supervision:finding", args=[finding.pk])
    assert "答复整改情况" in client.get(detail).content.decode()
    evidence = SimpleUploadedFile("补训签到表.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    response = client.post(detail, {"action": "answer", "text": "已于本周补训车间级教育 24 学时", "evidence": evidence})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ANSWERED
    entry = finding.entries.get()
    assert entry.author == alice and entry.evidence_name == "补训签到表.pdf"

    # The regulator reads the evidence, sends it back, then closes the second answer.
    client.logout()
    login_with_mfa(client, regulator)
    body = client.get(detail).content.decode()
    assert "补训签到表.pdf" in body and "审核答复" in body
    download = client.get(reverse("supervision:evidence", args=[finding.pk, entry.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 evidence"
    assert client.post(detail, {"action": "review", "decision": "reopen", "text": "签到表缺少培训师签字"}).status_code == 302
    finding.refresh_from_db()
    assert finding.status == Finding.Status.REOPENED

    client.logout()
    login_with_mfa(client, alice)
    assert client.post(detail, {"action": "answer", "text": "补充了培训师签字"}).status_code == 302
    client.logout()
    login_with_mfa(client, regulator)
    assert client.post(detail, {"action": "review", "decision": "close", "text": ""}).status_code == 302
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED and finding.closed_at is not None
    assert [e.kind for e in finding.entries.all()] == ["answer", "reopen", "answer", "close"]
    assert _actions(finding) == [
        ("anxun.finding_create", regulator.pk), ("anxun.finding_answer", alice.pk),
        ("anxun.finding_reopen", regulator.pk), ("anxun.finding_answer", alice.pk),
        ("anxun.finding_close", regulator.pk),
    ]


def test_a_closed_finding_can_be_reopened(regulator, alice, finding):
    services.finding_answer(actor=alice, finding=finding, text="已整改")
    services.finding_close(actor=regulator, finding=finding)
    services.finding_reopen(actor=regulator, finding=finding, text="复查发现仍不足")
    finding.refresh_from_db()
    assert finding.status == Finding.Status.REOPENED and finding.closed_at is None


def test_out_of_order_steps_are_refused(regulator, alice, finding):
    with pytest.raises(ValidationError):
        services.finding_close(actor=regulator, finding=finding)  # nothing answered yet
    with pytest.raises(ValidationError):
        services.finding_reopen(actor=regulator, finding=finding, text="x")
    services.finding_answer(actor=alice, finding=finding, text="已整改")
    with pytest.raises(ValidationError):
        services.finding_answer(actor=alice, finding=finding, text="再答一次")
    with pytest.raises(ValidationError) as exc:
        services.finding_reopen(actor=regulator, finding=finding, text="  ")
    assert "退回原因" in str(exc.value.message_dict["text"])
    assert FindingEntry.objects.filter(finding=finding).count() == 1


def test_bad_input_on_the_pages_is_field_errors(client, regulator, alice, ent_a, finding):
    login_with_mfa(client, regulator)
    url = reverse("supervision:finding_new") + f"?enterprise={ent_a.pk}"
    response = client.post(url, {"kind": "nonsense", "description": "", "deadline": "明天"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "kind" in errors and "请描述发现的问题" in errors["description"][0] and "有效日期" in errors["deadline"][0]
    response = client.post(url, {"kind": "other", "description": "x", "deadline": "2020-01-01"})
    assert response.status_code == 400 and "不能早于今天" in response.context["form"].errors["deadline"][0]
    assert Finding.objects.count() == 1

    client.logout()
    login_with_mfa(client, alice)
    detail = reverse("supervision:finding", args=[finding.pk])
    response = client.post(detail, {"action": "answer", "text": ""})
    assert response.status_code == 400 and "请填写整改情况说明" in response.context["answer_form"].errors["text"][0]
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(detail, {"action": "answer", "text": "已整改", "evidence": bad})
    assert response.status_code == 400 and "PDF" in response.context["answer_form"].errors["evidence"][0]
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_hr_of_another_enterprise_gets_404(client, charlie, finding):
    login_with_mfa(client, charlie)
    assert client.get(reverse("supervision:finding", args=[finding.pk])).status_code == 404
    assert client.post(reverse("supervision:finding", args=[finding.pk]),
                       {"action": "answer", "text": "x"}).status_code == 404
    assert finding.pk not in [f.pk for f in client.get(reverse("supervision:findings")).context["page"]]


def test_regulator_of_another_region_gets_404(client, finding, ent_b):
    other = UserFactory(email="hz-reg@example.com")
    RegulatorMembershipFactory(user=other, region_code="330100")
    enable_totp(other)
    login_with_mfa(client, other)
    assert client.get(reverse("supervision:finding", args=[finding.pk])).status_code == 404
    assert client.post(reverse("supervision:finding", args=[finding.pk]),
                       {"action": "review", "decision": "reopen", "text": "x"}).status_code == 404
    assert client.get(reverse("supervision:finding_new") + f"?enterprise={finding.enterprise_id}").status_code == 404
    with pytest.raises(PermissionDenied):
        services.finding_create(actor=other, enterprise=finding.enterprise, kind="other", description="x",
                                deadline=_deadline())


def test_employee_gets_403(client, bob, finding):
    login_with_mfa(client, bob)
    for url in (reverse("supervision:findings"), reverse("supervision:finding", args=[finding.pk]),
                reverse("supervision:finding_new") + f"?enterprise={finding.enterprise_id}", reverse("supervision:index")):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("supervision:finding", args=[finding.pk]),
                       {"action": "answer", "text": "x"}).status_code == 403


def test_only_the_recording_regulator_closes_and_hr_cannot_review(client, regulator, alice, finding):
    services.finding_answer(actor=alice, finding=finding, text="已整改")
    colleague = UserFactory(email="reg-colleague@example.com")
    RegulatorMembershipFactory(user=colleague, region_code="320500")
    enable_totp(colleague)
    login_with_mfa(client, colleague)
    detail = reverse("supervision:finding", args=[finding.pk])
    assert client.get(detail).status_code == 200  # same region: may read
    assert client.post(detail, {"action": "review", "decision": "close"}).status_code == 403
    client.logout()
    login_with_mfa(client, alice)
    assert client.post(detail, {"action": "review", "decision": "close"}).status_code == 403
    client.logout()
    login_with_mfa(client, regulator)
    assert client.post(detail, {"action": "answer", "text": "监管代答"}).status_code == 403
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ANSWERED


def test_trainer_reads_but_cannot_answer(client, ent_a, finding):
    trainer = UserFactory(email="trainer@example.com")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    login_with_mfa(client, trainer)
    detail = reverse("supervision:finding", args=[finding.pk])
    assert "答复整改情况" not in client.get(detail).content.decode()
    assert client.post(detail, {"action": "answer", "text": "x"}).status_code == 403


def test_finding_must_name_a_person_of_that_enterprise_and_own_sample(regulator, ent_a, ent_b, region):
    stranger = EmployeeFactory(enterprise=region and next(e for e in region if e.region_code == "320583"))
    with pytest.raises(ValidationError):
        services.finding_create(actor=regulator, enterprise=ent_a, employee=stranger, kind="other",
                                description="x", deadline=_deadline())
    other = UserFactory(email="reg3@example.com")
    RegulatorMembershipFactory(user=other, region_code="320500")
    theirs = sample_draw(regulator=other, region_code="320505", n=1, m=1, seed=1)
    with pytest.raises(PermissionDenied):
        services.finding_create(actor=regulator, enterprise=ent_a, sample=theirs, kind="other", description="x",
                                deadline=_deadline())


def test_findings_list_query_count_is_flat(client, regulator, alice, ent_a, bob):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("supervision:findings"))
        return len(ctx), len(response.context["page"])

    services.finding_create(actor=regulator, enterprise=ent_a, kind="record_gaps", description="问题",
                            deadline=_deadline())
    login_with_mfa(client, alice)
    queries()  # warm per-process caches
    few = queries()
    for i in range(12):
        services.finding_create(actor=regulator, enterprise=ent_a, employee=bob.employee, kind="record_gaps",
                                description=f"问题{i}", deadline=_deadline(i + 1))
    many = queries()
    assert few[1] == 1 and many[1] == 13
    assert few[0] == many[0], (few, many)


def test_enterprise_is_told_of_a_finding_and_the_regulator_of_the_answer(regulator, alice, ent_a, bob, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        finding = services.finding_create(actor=regulator, enterprise=ent_a, employee=bob.employee,
                                          kind=Finding.Kind.RECORD_GAPS, description="三级教育卡缺班组级签字",
                                          deadline=_deadline())
    link = reverse("supervision:finding", args=[finding.pk])
    notice = Notice.objects.get(user=alice)
    assert notice.link == link and "档案记录缺失" in notice.title and "鲍勃" in notice.title
    assert not Notice.objects.filter(user=bob).exists()  # the employee is not the one who answers
    assert [m.to for m in mailoutbox] == [[alice.email]] and "三级教育卡缺班组级签字" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_answer(actor=alice, finding=finding, text="已补签")
    told = Notice.objects.get(user=regulator)
    assert told.link == link and "华兴化工" in told.title and told.body.startswith("已补签")


def test_findings_list_filters_by_status_and_overdue(client, regulator, alice, ent_a, finding):
    late = services.finding_create(actor=regulator, enterprise=ent_a, kind="other", description="逾期未答复",
                                   deadline=_deadline(1))
    Finding.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    services.finding_answer(actor=alice, finding=finding, text="已整改")
    login_with_mfa(client, regulator)

    def listed(query):
        return [f.pk for f in client.get(reverse("supervision:findings") + query).context["page"]]

    assert sorted(listed("")) == sorted([finding.pk, late.pk])
    assert listed("?status=answered") == [finding.pk]
    assert listed("?status=overdue") == [late.pk]
    assert sorted(listed("?status=bogus")) == sorted([finding.pk, late.pk])


@pytest.mark.rule("penalty.named")
@pytest.mark.parametrize("kind,item", [(Finding.Kind.MISSING_HOURS, "（三）"), (Finding.Kind.UNQUALIFIED, "（三）"),
                                       (Finding.Kind.RECORD_GAPS, "（四）"), (Finding.Kind.OTHER, None)])
def test_a_finding_names_the_item_of_article_97_it_falls_under(client, regulator, ent_a, bob, kind, item):
    finding = services.finding_create(actor=regulator, enterprise=ent_a, employee=bob.employee, kind=kind,
                                      description="抽查发现的问题", deadline=_deadline())
    login_with_mfa(client, regulator)
    page = client.get(reverse("supervision:finding", args=[finding.pk])).content.decode()
    if item:
        assert f"《安全生产法》第九十七条{item}" in page and "责令限期改正" in page
    else:
        assert "第九十七条" not in page
