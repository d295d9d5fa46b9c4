"""/media/ is one view that asks the owning app who may read each file:
for every storage folder (upload_to), a visitor is sent to the login page,
another enterprise gets 404, and the roles that need the file get its bytes."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageViewRestriction

from certificates.models import Certificate, CertificateKind, CertificateType, IssuanceBatch, IssuerProfile
from exams.models import Attempt
from lms.archive.services import record_append
from lms.supervision.models import Finding, FindingEntry, Sample, SampleBundle
from lms.workforce.models import ImportJob
from tests.conftest import login_with_mfa
from tests.exams.engine_helpers import bank, exam, fixed_paper, single
from tests.factories import RegulatorMembershipFactory, UserFactory, enable_totp, home_page

from .conftest import png

pytestmark = pytest.mark.django_db

SECRET = b"110101199001011234,\xe5\xbc\xa0\xe4\xb8\x89"


def fetch(client, user, name):
    client.logout()
    if user is not None:
        login_with_mfa(client, user)
    return client.get(f"/media/{name}")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_anonymous_sent_to_login(client, name):
    response = fetch(client, None, name)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def assert_served(response, data=SECRET, *, attachment):
    assert response.status_code == 200, response.status_code
    assert body(response) == data
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment" if attachment else "inline")


# --- workforce: employee import files -----------------------------------------------------------


def test_import_files_only_for_hr_of_the_enterprise(client, ent_a, alice, bob, charlie):
    job = ImportJob(enterprise=ent_a, original_name="员工名单.csv")
    job.file.save("员工名单.csv", ContentFile(SECRET), save=False)
    job.save()
    name = job.file.name
    assert name.startswith("imports/")
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, charlie, name).status_code == 404
    assert fetch(client, bob, name).status_code == 404
    response = fetch(client, alice, name)
    assert_served(response, attachment=True)
    assert "%E5%91%98%E5%B7%A5%E5%90%8D%E5%8D%95.csv" in response["Content-Disposition"]


# --- archive: training record evidence ----------------------------------------------------------


def _record_with_evidence(employee, filename="签到表.pdf", data=SECRET):
    day = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    return record_append(
        employee=employee, actor=None, kind="refresher", title="年度再培训", content="培训内容",
        start_at=day, end_at=day + dt.timedelta(hours=4), place="培训教室", hours=Decimal("4"), trainer="王老师",
        source="offline", evidence=ContentFile(data, name=filename),
    )


def test_archive_evidence_for_hr_the_person_and_logged_regulators(client, ent_a, alice, bob, charlie, regulator):
    record = _record_with_evidence(bob.employee)
    name = record.evidence.name
    assert name.startswith("archive/")
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, charlie, name).status_code == 404
    assert_served(fetch(client, alice, name), attachment=False)
    assert_served(fetch(client, bob, name), attachment=False)
    assert not ModelLogEntry.objects.filter(action="anxun.regulator_read").exists()
    assert_served(fetch(client, regulator, name), attachment=False)
    entry = ModelLogEntry.objects.get(action="anxun.regulator_read")
    assert entry.user_id == regulator.pk and entry.data["what"] == "evidence"
    elsewhere = UserFactory(email="reg-zj@example.com")
    RegulatorMembershipFactory(user=elsewhere, region_code="330100")
    enable_totp(elsewhere)
    assert fetch(client, elsewhere, name).status_code == 404


def test_other_staff_and_colleagues_do_not_get_archive_evidence(client, ent_a, tree_a, bob):
    from tests.factories import EmployeeFactory, MembershipFactory

    colleague = UserFactory(email="col@example.com")
    MembershipFactory(user=colleague, enterprise=ent_a)
    EmployeeFactory(enterprise=ent_a, user=colleague)
    record = _record_with_evidence(bob.employee)
    assert fetch(client, colleague, record.evidence.name).status_code == 404


# --- supervision: finding evidence and bundles --------------------------------------------------


def test_finding_evidence_for_the_enterprise_staff_and_the_regulator(client, ent_a, alice, bob, charlie, regulator):
    finding = Finding.objects.create(enterprise=ent_a, kind="other", description="台账缺页",
                                     deadline=dt.date(2026, 12, 31), created_by=regulator)
    entry = FindingEntry(finding=finding, kind="answer", text="已整改", author=alice, evidence_name="整改照片.zip")
    entry.evidence.save("fix.zip", ContentFile(SECRET), save=False)
    entry.save()
    name = entry.evidence.name
    assert name.startswith(f"supervision/{ent_a.pk}/")
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, charlie, name).status_code == 404
    assert fetch(client, bob, name).status_code == 404  # a plain employee is not the enterprise's staff
    assert_served(fetch(client, alice, name), attachment=True)
    assert_served(fetch(client, regulator, name), attachment=True)


def test_bundle_only_for_the_regulator_who_made_it(client, ent_a, alice, regulator):
    sample = Sample.objects.create(regulator=regulator, region_code="320505", n_enterprises=1, m_employees=1, seed=1)
    bundle = SampleBundle(sample=sample, requested_by=regulator, status="succeeded")
    bundle.archive.save("bundle.zip", ContentFile(SECRET), save=False)
    bundle.save()
    name = bundle.archive.name
    assert name.startswith("supervision/bundles/")
    colleague = UserFactory(email="reg2@example.com")
    RegulatorMembershipFactory(user=colleague, region_code="320500")
    enable_totp(colleague)
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, colleague, name).status_code == 404
    assert fetch(client, alice, name).status_code == 404
    assert_served(fetch(client, regulator, name), attachment=True)


# --- certificates: scans, photos, batches, seals ------------------------------------------------


def _certificate(employee):
    return Certificate.objects.create(
        employee=employee, kind=CertificateKind.SPECIAL_EQUIPMENT, number=f"T-{uuid.uuid4().hex[:6]}",
        authority="市场监督管理局", issued_on=dt.date(2025, 1, 1), valid_until=dt.date(2029, 1, 1),
    )


@pytest.mark.parametrize("field", ["scan", "photo"])
def test_certificate_scans_and_photos_for_hr_and_the_holder(client, ent_a, alice, bob, charlie, field):
    certificate = _certificate(bob.employee)
    data = png()
    getattr(certificate, field).save("证书.png", ContentFile(data), save=True)
    name = getattr(certificate, field).name
    assert name.startswith("certificates/photos/" if field == "photo" else f"certificates/{ent_a.pk}/")
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, charlie, name).status_code == 404
    response = fetch(client, alice, name)
    assert_served(response, data, attachment=False)
    assert response["Content-Type"] == "image/png"
    assert_served(fetch(client, bob, name), data, attachment=False)


def test_certificate_batches_for_hr_only(client, ent_a, alice, bob, charlie):
    type_ = CertificateType.objects.create(enterprise=ent_a, code="SG", name="上岗证", kind=CertificateKind.POST)
    batch = IssuanceBatch(enterprise=ent_a, type=type_, status="succeeded")
    batch.archive.save("batch.zip", ContentFile(SECRET), save=False)
    batch.save()
    name = batch.archive.name
    assert name.startswith("certificates/batches/")
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, charlie, name).status_code == 404
    assert fetch(client, bob, name).status_code == 404
    assert_served(fetch(client, alice, name), attachment=True)


def test_seals_for_hr_only(client, ent_a, alice, bob, charlie):
    profile = IssuerProfile(enterprise=ent_a)
    data = png()
    profile.seal.save("seal.png", ContentFile(data), save=True)
    name = profile.seal.name
    assert name.startswith("certificates/seals/")
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, charlie, name).status_code == 404
    assert fetch(client, bob, name).status_code == 404
    assert_served(fetch(client, alice, name), data, attachment=False)


# --- exams: answer sheets, question files waiting for confirmation --------------------------------


def test_answer_sheets_for_the_enterprise_and_the_examinee(client, ent_a, alice, bob, charlie):
    bank_ = bank(ent_a)
    paper = fixed_paper(ent_a, [(single(bank_), 10)])
    exam_ = exam(ent_a, paper)
    now = timezone.now()
    attempt = Attempt(exam=exam_, employee=bob.employee, number=1, started_at=now, deadline=now, submitted_at=now,
                      status=Attempt.Status.GRADED, score=Decimal(8), max_score=Decimal(10), passed=True,
                      offline=True, graded_at=now, layout=[])
    attempt.evidence.save("sheet.pdf", ContentFile(SECRET), save=False)
    attempt.save()
    name = attempt.evidence.name
    assert name.startswith("exams/sheets/")
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, charlie, name).status_code == 404
    assert_served(fetch(client, alice, name), attachment=False)
    assert_served(fetch(client, bob, name), attachment=False)


def test_question_files_waiting_for_confirmation_are_never_served(client, alice, django_user_model):
    from django.core.files.storage import default_storage

    name = default_storage.save("exams/question-imports/tok/题库.xlsx", ContentFile(SECRET))
    assert_anonymous_sent_to_login(client, name)
    assert fetch(client, alice, name).status_code == 404
    root = django_user_model.objects.create_superuser(username="root", email="root@example.com", password="x")
    assert fetch(client, root, name).status_code == 404


# --- Wagtail images, renditions, videos, documents ------------------------------------------------


def _image():
    import io

    from wagtail.images import get_image_model

    return get_image_model().objects.create(title="现场照片", file=ImageFile(io.BytesIO(png()), name="scene.png"))


def _page_with(image, *, restricted=False):
    from content.models import StandardPage

    page = StandardPage(title="关于我们", slug=f"about-{uuid.uuid4().hex[:6]}",
                        body=[("image", {"image": image, "caption": ""})])
    home_page().add_child(instance=page)
    page.save_revision().publish()
    if restricted:
        PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    return page


def test_images_need_a_login_unless_a_public_page_shows_them(client, bob):
    image = _image()
    rendition = image.get_rendition("fill-4x4")
    for name in (image.file.name, rendition.file.name):
        assert name.startswith(("original_images/", "images/"))
        assert_anonymous_sent_to_login(client, name)
        assert fetch(client, bob, name).status_code == 200
    _page_with(image, restricted=True)
    assert_anonymous_sent_to_login(client, rendition.file.name)
    _page_with(image)
    for name in (image.file.name, rendition.file.name):
        response = fetch(client, None, name)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_videos_need_a_login_and_seek_by_byte_ranges(client, bob):
    from wagtailmedia.models import get_media_model

    data = bytes(range(256)) * 40
    media = get_media_model()(title="警示视频", type="video", duration=10)
    media.file.save("clip.mp4", ContentFile(data), save=False)
    media.save()
    name = media.file.name
    assert name.startswith("media/")
    assert_anonymous_sent_to_login(client, name)
    login_with_mfa(client, bob)
    whole = client.get(f"/media/{name}")
    assert_served(whole, data, attachment=False)
    assert whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "video/mp4"
    part = client.get(f"/media/{name}", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and body(part) == data[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}" and part["Content-Length"] == "100"
    tail = client.get(f"/media/{name}", HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and body(tail) == data[-10:]
    open_ended = client.get(f"/media/{name}", HTTP_RANGE=f"bytes={len(data) - 5}-")
    assert body(open_ended) == data[-5:]
    beyond = client.get(f"/media/{name}", HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"


def test_documents_only_through_wagtails_view(client, alice):
    from wagtail.documents import get_document_model

    doc = get_document_model().objects.create(title="制度", file=ContentFile(SECRET, name="rules.pdf"))
    assert doc.url == f"/documents/{doc.pk}/{doc.filename}"
    assert fetch(client, alice, doc.file.name).status_code == 404
    response = client.get(doc.url)
    assert response.status_code == 200 and body(response) == SECRET


# --- what is not a file anyone may read -----------------------------------------------------------


@pytest.mark.parametrize("path", ["secret/notes.txt", "imports/../archive/x.pdf", "imports//x", "../etc/passwd",
                                  "imports/%2e%2e/x", "imports/x\\y"])
def test_unknown_or_odd_paths_are_404(client, django_user_model, path):
    from django.core.files.storage import default_storage

    default_storage.save("secret/notes.txt", ContentFile(b"x"))
    root = django_user_model.objects.create_superuser(username="root", email="root@example.com", password="x")
    assert fetch(client, root, path).status_code == 404


def test_a_file_whose_row_is_gone_is_404_for_everyone(client, ent_a, alice):
    from django.core.files.storage import default_storage

    name = default_storage.save(f"imports/{ent_a.pk}/2026/01/orphan.csv", ContentFile(SECRET))
    assert fetch(client, alice, name).status_code == 404
