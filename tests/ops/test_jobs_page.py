"""The operator page 后台任务: failed, stuck (stale heartbeat) and long-pending
jobs of every kind; a retry (confirmed, POST) puts one back in the queue and
its task runs it (eagerly here) to the end; audited; refused for a job whose
worker is alive; platform operators see all, enterprise admins their
enterprises' jobs, every other role and regulators nothing."""

import datetime as dt

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates.models import CertificateKind, IssuanceBatch
from certificates.selectors import certificate_type_for
from certificates.services import batch_create
from lms.accounts.roles import Role
from lms.kernel.jobs import BackgroundJob, job_models
from lms.ops.jobs import RETRY_ACTION
from lms.supervision.models import SampleBundle
from lms.supervision.services import sample_draw
from lms.workforce.models import ImportJob
from tests.accounts.test_one_login_door import enumerate_urls
from tests.certificates.test_batch import session_people  # noqa: F401  (fixture)
from tests.conftest import as_user
from tests.factories import MembershipFactory, UserFactory, enable_totp
from tests.supervision.conftest import region  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

LIST = "/admin/jobs/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _user(enterprise=None, role=None, *, superuser=False, email=None):
    user = UserFactory(email=email or f"{role or 'root'}-{getattr(enterprise, 'code', 'x')}@example.com",
                       is_superuser=superuser, is_staff=superuser)
    if enterprise is not None:
        MembershipFactory(user=user, enterprise=enterprise, role=role)
    enable_totp(user)
    return user


@pytest.fixture
def operator(db):
    return _user(superuser=True)


@pytest.fixture
def admin_a(ent_a):
    return _user(ent_a, Role.ENTERPRISE_ADMIN)


def _ago(**kwargs):
    return timezone.now() - dt.timedelta(**kwargs)


@pytest.fixture
def batch(alice, ent_a, session_people, django_capture_on_commit_callbacks):  # noqa: F811
    kind_type = certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION)
    with django_capture_on_commit_callbacks(execute=False):  # never run: as if no worker took it
        return batch_create(enterprise=ent_a, type=kind_type, session_id=7, actor=alice)


@pytest.fixture
def bundle(regulator, region, django_capture_on_commit_callbacks):  # noqa: F811
    sample = sample_draw(regulator=regulator, region_code="320505", n=2, m=2, seed=11)
    return SampleBundle.objects.create(sample=sample, requested_by=regulator)


@pytest.fixture
def jobs(ent_a, ent_b, alice, batch, bundle, settings):
    """A failed import of A, a stuck batch of A, a long-pending bundle, and
    jobs that need nobody: a live import of B, a fresh pending one, a done one."""
    stale = _ago(seconds=settings.ANXUN_JOB_STALE_SECONDS + 60)
    failed = ImportJob.objects.create(enterprise=ent_a, original_name="失败.xlsx", created_by=alice, status="failed",
                                      attempts=3, error="后台任务 3 次执行均中断，已停止重试。", file_sha256="a")
    IssuanceBatch.objects.filter(pk=batch.pk).update(status="running", attempts=1, heartbeat_at=stale)
    SampleBundle.objects.filter(pk=bundle.pk).update(created_at=_ago(minutes=settings.ANXUN_JOB_PENDING_ALERT_MINUTES + 1))
    live = ImportJob.objects.create(enterprise=ent_b, original_name="进行中.xlsx", status="running", attempts=1,
                                    heartbeat_at=timezone.now(), file_sha256="b")
    fresh = ImportJob.objects.create(enterprise=ent_a, original_name="刚上传.xlsx", file_sha256="c")
    done = ImportJob.objects.create(enterprise=ent_a, original_name="已完成.xlsx", status="succeeded", file_sha256="d")
    return {"failed": failed, "batch": batch, "bundle": bundle, "live": live, "fresh": fresh, "done": done}


def _retry_url(job):
    return reverse("ops_jobs:retry", args=[type(job)._meta.label_lower, job.pk])


def test_every_job_model_is_registered_for_the_page():
    assert {entry.model for entry in job_models} == {m for m in apps.get_models() if issubclass(m, BackgroundJob)}
    assert {entry.model for entry in job_models} == {ImportJob, IssuanceBatch, SampleBundle}


def test_operator_sees_failed_stuck_and_long_pending_jobs_of_every_kind(operator, jobs):
    page = as_user(operator).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    for job in (jobs["failed"], jobs["batch"], jobs["bundle"]):
        assert _retry_url(job) in html
    for job in (jobs["live"], jobs["fresh"], jobs["done"]):
        assert _retry_url(job) not in html
    assert "失败" in html and "卡住（心跳超时）" in html and "排队过久" in html
    assert "已停止重试" in html and "alice" in html  # the last error and who started it


def test_enterprise_admin_sees_only_their_enterprises_jobs(admin_a, ent_b, jobs):
    client = as_user(admin_a)
    html = client.get(LIST).content.decode()
    assert _retry_url(jobs["failed"]) in html and _retry_url(jobs["batch"]) in html
    assert _retry_url(jobs["bundle"]) not in html  # a regulator's job: the platform's
    # Another enterprise's job, stuck too: neither listed nor retryable.
    other = ImportJob.objects.create(enterprise=ent_b, original_name="B.xlsx", status="failed", file_sha256="e")
    assert _retry_url(other) not in client.get(LIST).content.decode()
    assert client.get(_retry_url(other)).status_code == 404
    assert client.post(_retry_url(other)).status_code == 404
    assert client.post(_retry_url(jobs["bundle"])).status_code == 404
    other.refresh_from_db()
    assert other.status == "failed" and not ModelLogEntry.objects.filter(action=RETRY_ACTION).exists()


def test_retry_requeues_the_stuck_batch_and_it_runs_to_done_audited(operator, jobs, django_capture_on_commit_callbacks):
    client = as_user(operator)
    url = _retry_url(jobs["batch"])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "确定重试" in confirm.content.decode()
    assert IssuanceBatch.objects.get(pk=jobs["batch"].pk).status == "running"  # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response.url == LIST
    batch = IssuanceBatch.objects.get(pk=jobs["batch"].pk)
    assert (batch.status, batch.attempts, batch.issued_count) == ("succeeded", 1, 3)
    entry = ModelLogEntry.objects.get(action=RETRY_ACTION)
    assert entry.user == operator and entry.object_id == str(batch.pk)
    assert entry.data["status"] == "running" and entry.data["attempts"] == 1
    assert _retry_url(batch) not in client.get(LIST).content.decode()


def test_retry_of_a_failed_bundle_builds_it(operator, jobs, django_capture_on_commit_callbacks):
    SampleBundle.objects.filter(pk=jobs["bundle"].pk).update(status="failed", attempts=3, error="中断")
    with django_capture_on_commit_callbacks(execute=True):
        as_user(operator).post(_retry_url(jobs["bundle"]))
    bundle = SampleBundle.objects.get(pk=jobs["bundle"].pk)
    assert (bundle.status, bundle.attempts, bundle.error) == ("succeeded", 1, "")
    assert bundle.processed == bundle.total == 4
    assert ModelLogEntry.objects.get(action=RETRY_ACTION).data["attempts"] == 3


def test_retry_of_a_job_whose_worker_is_alive_is_refused(operator, jobs, django_capture_on_commit_callbacks):
    client = as_user(operator)
    live = jobs["live"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(_retry_url(live), follow=True)
    assert "该任务正在执行（心跳正常），不能重试" in response.content.decode()
    assert callbacks == []
    live.refresh_from_db()
    assert (live.status, live.attempts) == ("running", 1)
    assert not ModelLogEntry.objects.filter(action=RETRY_ACTION).exists()
    response = client.post(_retry_url(jobs["done"]), follow=True)
    assert "该任务已完成，无需重试。" in response.content.decode()


OTHER_ROLES = sorted(set(Role) - {Role.ENTERPRISE_ADMIN})


@pytest.mark.parametrize("role", OTHER_ROLES + ["regulator"])
def test_every_other_role_is_denied(role, ent_a, regulator, jobs):
    user = regulator if role == "regulator" else _user(ent_a, role)
    client = as_user(user)
    assert client.get(LIST).status_code in (302, 403)
    for job in (jobs["failed"], jobs["batch"], jobs["bundle"]):
        assert client.get(_retry_url(job)).status_code in (302, 403)
        assert client.post(_retry_url(job)).status_code in (302, 403)
    assert IssuanceBatch.objects.get(pk=jobs["batch"].pk).status == "running"
    assert ImportJob.objects.get(pk=jobs["failed"].pk).status == "failed"
    assert not ModelLogEntry.objects.filter(action=RETRY_ACTION).exists()
    assert LIST not in client.get("/admin/").content.decode()  # no menu entry


def test_the_menu_entry_is_for_operators_and_enterprise_admins(operator, admin_a, alice):
    assert LIST in as_user(operator).get("/admin/").content.decode()
    assert LIST in as_user(admin_a).get("/admin/").content.decode()
    assert LIST not in as_user(alice).get("/admin/").content.decode()


def test_the_url_walk_reaches_the_jobs_pages(client):
    urls = {url for url, pattern in enumerate_urls() if pattern.callback.__module__ == "lms.ops.job_views"}
    assert urls == {LIST, "/admin/jobs/1/1/retry/"}
    for url in urls:  # and anonymous visitors are sent to log in
        assert client.get(url).status_code == 302


def test_the_command_lists_and_retries_without_the_back_office(jobs, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("jobs_status", stdout=out)
    lines = out.getvalue().splitlines()
    listed = {line.split("\t")[0] for line in lines[:-1]}
    assert listed == {f"workforce.importjob:{jobs['failed'].pk}", f"certificates.issuancebatch:{jobs['batch'].pk}",
                      f"supervision.samplebundle:{jobs['bundle'].pk}"}
    assert lines[-1] == "3"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("jobs_status", retry=f"certificates.issuancebatch:{jobs['batch'].pk}", stdout=StringIO())
    assert IssuanceBatch.objects.get(pk=jobs["batch"].pk).status == "succeeded"
    entry = ModelLogEntry.objects.get(action=RETRY_ACTION)
    assert entry.user is None and entry.data["kind"] == "certificates.issuancebatch"
    with pytest.raises(CommandError, match="心跳正常"):
        call_command("jobs_status", retry=f"workforce.importjob:{jobs['live'].pk}")
    with pytest.raises(CommandError, match="没有这个后台任务"):
        call_command("jobs_status", retry="workforce.importjob:999999")
