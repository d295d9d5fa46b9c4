"""The sample bundle: a Celery task (eager here) zips one archive PDF per
sampled person and an Excel summary, with progress; each file put in it is a
logged regulator read; only the sampling regulator may start or fetch it."""

import datetime as dt
import io
import zipfile

import pandas as pd
import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms.supervision.bundle import bundle_build
from lms.supervision.models import SampleBundle
from lms.supervision.services import sample_draw
from tests.conftest import login_with_mfa
from tests.factories import RegulatorMembershipFactory, UserFactory, enable_totp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sample(regulator, region):
    return sample_draw(regulator=regulator, region_code="320505", n=2, m=2, seed=11)


def test_regulator_builds_and_downloads_the_bundle(client, regulator, sample, alice, ent_a,
                                                  django_capture_on_commit_callbacks):
    login_with_mfa(client, regulator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("supervision:bundle_start", args=[sample.pk]))
    assert response.status_code == 302
    bundle = SampleBundle.objects.get()
    progress = client.get(reverse("supervision:bundle_progress", args=[sample.pk, bundle.pk])).json()
    assert progress["status"] == "succeeded" and progress["processed"] == progress["total"] == 4
    assert progress["percent"] == 100 and progress["zip_url"]
    page = client.get(reverse("supervision:sample", args=[sample.pk])).content.decode()
    assert "已生成" in page and progress["zip_url"] in page

    download = client.get(progress["zip_url"])
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    people = list(sample.items.select_related("employee").order_by("position"))
    pdfs = [n for n in names if n.endswith(".pdf")]
    assert len(pdfs) == 4 and "汇总表.xlsx" in names
    for item in people:
        name = next(n for n in pdfs if item.employee.employee_no in n)
        assert archive.read(name).startswith(b"%PDF")
    summary = pd.read_excel(io.BytesIO(archive.read("汇总表.xlsx")), sheet_name="抽查人员汇总", engine="openpyxl")
    assert list(summary["姓名"]) == [i.employee.name for i in people]
    assert list(summary["序号"]) == [i.position for i in people]
    rules = pd.read_excel(io.BytesIO(archive.read("汇总表.xlsx")), sheet_name="抽样规则", dtype=str, engine="openpyxl")
    assert str(sample.seed) in list(rules["内容"])

    # Every person put in the bundle is a logged read, visible to their enterprise.
    logged = ModelLogEntry.objects.filter(action="anxun.regulator_read", user=regulator,
                                          data__what="sample_bundle")
    assert sorted(int(e.object_id) for e in logged) == sorted(i.employee_id for i in people)
    client.logout()
    login_with_mfa(client, alice)
    assert "抽查样本打包下载" in client.get(reverse("supervision:reads")).content.decode()


def test_a_second_delivery_does_nothing(regulator, sample):
    bundle = SampleBundle.objects.create(sample=sample, requested_by=regulator)
    bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    first = bundle.archive.name
    bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "succeeded" and bundle.archive.name == first
    assert ModelLogEntry.objects.filter(action="anxun.regulator_read", data__what="sample_bundle").count() == 4


def test_asking_twice_while_building_gives_the_same_bundle(client, regulator, sample):
    login_with_mfa(client, regulator)
    client.post(reverse("supervision:bundle_start", args=[sample.pk]))  # queued; not run (no commit)
    client.post(reverse("supervision:bundle_start", args=[sample.pk]))
    assert SampleBundle.objects.filter(status="pending").count() == 1


def test_only_the_sampling_regulator_may_start_or_fetch(client, regulator, sample, alice):
    bundle = SampleBundle.objects.create(sample=sample, requested_by=regulator)
    bundle_build(bundle_id=bundle.pk)
    other = UserFactory(email="reg4@example.com")
    RegulatorMembershipFactory(user=other, region_code="320500")
    enable_totp(other)
    urls = [reverse("supervision:bundle_progress", args=[sample.pk, bundle.pk]),
            reverse("supervision:bundle_zip", args=[sample.pk, bundle.pk])]
    login_with_mfa(client, other)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("supervision:bundle_start", args=[sample.pk])).status_code == 404
    client.logout()
    login_with_mfa(client, alice)
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("supervision:bundle_start", args=[sample.pk])).status_code == 403
    assert SampleBundle.objects.count() == 1


def test_bundle_carries_archive_json_that_verifies_offline(regulator, sample, tmp_path, capsys):
    """Issue 16: the bundle holds each sampled person's records with their
    hashes and the signed checkpoints covering them; ``verify_archive
    --bundle`` checks it with the public key alone."""
    import json

    from django.core.management import call_command

    from lms.archive import integrity, keys
    from lms.archive.services import checkpoint_create
    from tests.compliance.helpers import D, train

    people = [item.employee for item in sample.items.filter(employee__isnull=False).select_related("employee")]
    for n, employee in enumerate(people, start=1):
        for day in range(1, n + 1):
            train(employee, "refresher", 2, D(2026, 2, day))
    for enterprise in {e.enterprise for e in people}:
        checkpoint_create(enterprise=enterprise)
    bundle = SampleBundle.objects.create(sample=sample, requested_by=regulator)
    bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    archive = zipfile.ZipFile(bundle.archive.open("rb"))
    document = json.loads(archive.read("archive.json"))
    assert sorted(p["employee"] for p in document["people"]) == sorted(e.pk for e in people)
    assert len(document["checkpoints"]) == len({e.enterprise_id for e in people})
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle.archive.open("rb").read())
    key_id, private = keys.signing_key()
    pem = tmp_path / "key.pem"
    pem.write_text(integrity.public_pem(private.public_key()))
    call_command("verify_archive", "--bundle", str(path), f"--public-key={key_id}={pem}")
    assert "离线校验通过：4 人、10 条记录的哈希链一致，其中 10 条由签名检查点确认" in capsys.readouterr().out


class WorkerKilled(BaseException):
    """Stands for SIGKILL: no except clause of the task sees it."""


def test_bundle_whose_worker_died_is_built_again(regulator, sample, settings, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    from lms.supervision import bundle as bundles
    from lms.supervision.tasks import requeue_stale_bundles_task

    render = bundles.render_person_file_pdf
    calls = []

    def dies_at_the_second_pdf(pf, **kwargs):
        calls.append(pf)
        if len(calls) == 2:
            raise WorkerKilled
        return render(pf, **kwargs)

    with django_capture_on_commit_callbacks(execute=False):
        bundle = bundles.bundle_request(actor=regulator, sample=sample)
    monkeypatch.setattr(bundles, "render_person_file_pdf", dies_at_the_second_pdf)
    with pytest.raises(WorkerKilled):
        bundle_build(bundle_id=bundle.pk)
    monkeypatch.setattr(bundles, "render_person_file_pdf", render)
    bundle.refresh_from_db()
    assert (bundle.status, bundle.processed, bundle.archive.name) == (SampleBundle.Status.RUNNING, 1, "")

    SampleBundle.objects.filter(pk=bundle.pk).update(
        heartbeat_at=bundle.heartbeat_at - dt.timedelta(seconds=settings.ANXUN_JOB_STALE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_bundles_task() == 1
    bundle.refresh_from_db()
    assert (bundle.status, bundle.attempts, bundle.processed, bundle.total) == (SampleBundle.Status.SUCCEEDED, 2, 4, 4)
    with bundle.archive.open("rb") as handle:
        assert len([n for n in zipfile.ZipFile(handle).namelist() if n.endswith(".pdf")]) == 4
