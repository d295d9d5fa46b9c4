"""A regulator logs in with password and TOTP on a phone, draws a random
sample (双随机) of the region, opens one sampled person's archive (read-only,
logged), builds the sample bundle and downloads it; the enterprise's HR then
finds the reads on 监管查阅记录."""

import io
import os
import zipfile

import pytest
from wagtail.models import ModelLogEntry

from lms.supervision.models import Sample
from tests.e2e.conftest import log_in
from tests.supervision.conftest import region  # noqa: F401  (six enterprises of 3205xx with people)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/e2e-regulator-{}.png"


def _login(page, live_server, user, next_url):
    log_in(page, live_server.url, user, next_url=next_url)
    page.wait_for_url(f"**{next_url}")


def test_regulator_draws_a_sample_opens_an_archive_and_downloads_the_bundle(
    phone, live_server, migrated_data, regulator, region, ent_a, settings, tmp_path,  # noqa: F811
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path
    page = phone
    _login(page, live_server, regulator, "/supervision/samples/new/")

    # Draw: first a bad count (field error in Chinese), then the real rules.
    page.locator("input[name=region_code]").fill("320505")
    page.locator("input[name=n]").fill("0")
    page.locator("input[name=m]").fill("2")
    page.get_by_role("button", name="随机抽取").click()
    page.get_by_text("至少抽取 1 家企业").wait_for()
    page.locator("input[name=n]").fill("2")
    page.get_by_role("button", name="随机抽取").click()
    page.wait_for_url("**/supervision/samples/*/")
    sample = Sample.objects.get()
    assert page.get_by_test_id("seed").inner_text() == str(sample.seed)
    page.screenshot(path=SCREENSHOTS.format("sample"), full_page=True)

    # Open one sampled person's archive: read-only, and the read is logged.
    first = sample.items.select_related("employee").order_by("position").first().employee
    page.get_by_role("link", name="查阅培训档案").first.click()
    page.wait_for_url(f"**/archive/employees/{first.pk}/")
    page.get_by_text(first.name).first.wait_for()
    assert page.locator("main form[method=post], main form[method=POST]").count() == 0
    assert ModelLogEntry.objects.filter(action="anxun.regulator_read", user=regulator,
                                        object_id=str(first.pk)).exists()

    # Build the bundle and download it once the progress says it is ready.
    page.go_back()
    page.get_by_role("button", name="打包下载").click()
    page.wait_for_url("**/supervision/samples/*/")
    link = page.get_by_test_id("bundle-download")
    link.wait_for(state="visible")
    assert "4 / 4" in page.get_by_test_id("job-status").inner_text()
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    archive = zipfile.ZipFile(io.BytesIO(open(path, "rb").read()))
    names = archive.namelist()
    assert len([n for n in names if n.endswith(".pdf")]) == 4 and "汇总表.xlsx" in names
    page.screenshot(path=SCREENSHOTS.format("bundle"), full_page=True)


def test_finding_recorded_answered_with_evidence_and_closed_on_phones(
    phone, live_server, migrated_data, regulator, alice, region, ent_a, settings, tmp_path,  # noqa: F811
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path
    from lms.supervision.models import Finding
    from lms.supervision.services import sample_draw

    sample = sample_draw(regulator=regulator, region_code="320505", n=2, m=1, seed=5)
    person = sample.items.filter(enterprise=ent_a).select_related("employee").get().employee
    page = phone

    # The regulator records a finding against one sampled person of A.
    _login(page, live_server, regulator, f"/supervision/samples/{sample.pk}/")
    card = page.locator("section.card", has_text=ent_a.name)
    card.get_by_role("link", name="记录问题").first.click()
    page.locator("select[name=kind]").select_option("missing_hours")
    page.locator("textarea[name=description]").fill("年度再培训学时不足 20 学时")
    page.locator("input[name=deadline]").fill("2099-12-31")
    page.get_by_role("button", name="保存问题").click()
    page.get_by_test_id("status").get_by_text("待整改").wait_for()
    finding = Finding.objects.get()
    assert finding.employee == person
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()

    # HR of A answers with evidence.
    _login(page, live_server, alice, "/supervision/findings/")
    page.get_by_role("link", name="培训学时不足").click()
    evidence = tmp_path / "补训记录.pdf"
    evidence.write_bytes(b"%PDF-1.4 make-up training")
    page.locator("textarea[name=text]").fill("已安排补训 12 学时，附签到表")
    page.set_input_files("input[name=evidence]", str(evidence))
    page.get_by_role("button", name="提交答复").click()
    page.get_by_test_id("status").get_by_text("已答复").wait_for()
    page.screenshot(path=SCREENSHOTS.format("finding-answered"), full_page=True)
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()

    # The regulator closes it.
    _login(page, live_server, regulator, f"/supervision/findings/{finding.pk}/")
    page.get_by_text("补训记录.pdf").wait_for()
    page.get_by_label("销号").check()
    page.get_by_role("button", name="提交").click()
    page.get_by_test_id("status").get_by_text("已销号").wait_for()
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED
