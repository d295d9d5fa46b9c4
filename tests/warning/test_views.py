"""Warning-education pages: the worker's study page and reflection form,
the QR scan URL, the HR campaign and coverage pages, the meeting screen and
the violation history — with the denials (other enterprise 404, wrong role 403)."""

import datetime as dt

import pytest
from django.utils import timezone

from courses.warning import services
from courses.warning.models import MeetingAttendance, WarningStudy
from lms.archive.models import TrainingRecord
from lms.kernel import checkin
from tests.compliance.helpers import event, hire
from tests.conftest import login_with_mfa
from tests.warning.clock import run_clock, studied

REFLECTION = "检修前必须停电验电挂牌上锁，不能图省事带电作业，要互相监督，发现违章及时制止。"


def test_my_page_lists_the_quarters_campaign(client, scanned):
    client.force_login(scanned["people"]["bob"])
    html = client.get("/warning/").content.decode()
    assert scanned["campaign"].title in html and "未学习" in html


def test_study_page_shows_the_cases_for_my_post_and_records_once(client, scanned):
    campaign, bob = scanned["campaign"], scanned["people"]["bob"]
    client.force_login(bob)
    url = f"/warning/campaigns/{campaign.pk}/"
    html = client.get(url).content.decode()
    assert "配电柜带电作业触电" in html and "污水池硫化氢中毒" not in html and campaign.reflection_question in html

    short = client.post(url, {"reflection": "注意安全"})
    assert short.status_code == 400 and "学习心得至少 20 个字" in short.content.decode()
    assert not TrainingRecord.objects.filter(employee=bob.employee).exists()

    hurried = client.post(url, {"reflection": REFLECTION})  # no time on the study clock: refused, not a 500
    assert hurried.status_code == 400 and "学习时间不足" in hurried.content.decode()
    assert not TrainingRecord.objects.filter(employee=bob.employee).exists()

    # The page runs the course player's clock against the warning endpoints.
    assert 'id="player-config"' in html and "courses/player.js" in html
    started = client.post(f"{url}clock/start/", content_type="application/json")
    assert started.status_code == 200 and started.json()["required_seconds"] == 600
    beat = client.post(f"{url}clock/beat/", {"token": started.json()["token"], "seq": 1, "visible": True, "idle": 0},
                       content_type="application/json")
    assert beat.status_code == 200 and beat.json()["reason"] == "first" and beat.json()["seconds"] == 0
    bad = client.post(f"{url}clock/beat/", {"token": started.json()["token"], "seq": "x"}, content_type="application/json")
    assert bad.status_code == 400

    study = WarningStudy.objects.get(employee=bob.employee)
    run_clock(study, bob, minutes=12, start=timezone.now() - dt.timedelta(minutes=12))
    done = client.post(url, {"reflection": REFLECTION})
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert "已完成本次警示教育，已写入培训档案" in page and REFLECTION in page
    again = client.post(url, {"reflection": REFLECTION})
    assert again.status_code == 302
    assert TrainingRecord.objects.filter(employee=bob.employee, kind="warning").count() == 1
    assert "已完成" in client.get("/warning/").content.decode()


def test_study_page_denials(client, scanned, charlie, alice):
    campaign = scanned["campaign"]
    login_with_mfa(client, charlie)
    assert client.get(f"/warning/campaigns/{campaign.pk}/").status_code == 404
    login_with_mfa(client, alice)  # HR of the enterprise but not one of its employees
    assert client.get(f"/warning/campaigns/{campaign.pk}/").status_code == 404
    assert client.get("/warning/campaigns/999999/").status_code == 404
    assert not WarningStudy.objects.exists()


def test_manage_and_coverage_pages_for_hr(client, scanned, alice, django_assert_max_num_queries):
    campaign = scanned["campaign"]
    services.study_complete(study=studied(campaign, scanned["people"]["bob"], 12),
                            user=scanned["people"]["bob"], reflection=REFLECTION)
    login_with_mfa(client, alice)
    manage = client.get(f"/warning/campaigns/{campaign.pk}/manage/").content.decode()
    assert "电工" in manage and "配电柜带电作业触电" in manage and "罐区巡检工" in manage
    client.get(f"/warning/campaigns/{campaign.pk}/coverage/")
    with django_assert_max_num_queries(16):
        coverage = client.get(f"/warning/campaigns/{campaign.pk}/coverage/")
    html = coverage.content.decode()
    assert "全企业：1 / 4 人已完成，覆盖率 25%" in html
    assert "小王（A0002）" in html and "老赵（A0004）" in html and "鲍勃" not in html.split("未完成人员")[1]


def test_hr_sets_extra_cases_and_plans_a_meeting(client, scanned, alice):
    campaign, cases = scanned["campaign"], scanned["cases"]
    login_with_mfa(client, alice)
    response = client.post(f"/warning/campaigns/{campaign.pk}/cases/", {"extra_cases": [cases["forklift"].pk]})
    assert response.status_code == 302 and list(campaign.extra_cases.all()) == [cases["forklift"]]
    bad = client.post(f"/warning/campaigns/{campaign.pk}/meetings/new/",
                      {"title": "大会", "start_at": "2020-01-01T09:00", "end_at": "2020-01-01T08:00", "place": "礼堂"})
    assert bad.status_code == 400 and "结束时间必须晚于开始时间" in bad.content.decode()
    start = timezone.localtime() + dt.timedelta(minutes=5)
    if start.date() != timezone.localdate():
        start = timezone.localtime().replace(hour=0, minute=0)
    ok = client.post(f"/warning/campaigns/{campaign.pk}/meetings/new/", {
        "title": "警示教育大会", "start_at": start.strftime("%Y-%m-%dT%H:%M"),
        "end_at": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "place": "礼堂",
    })
    assert ok.status_code == 302 and campaign.meetings.get().title == "警示教育大会"


def test_hr_pages_denials(client, scanned, charlie):
    campaign = scanned["campaign"]
    bob = scanned["people"]["bob"]
    client.force_login(bob)  # a plain employee of the enterprise: wrong role
    assert client.get(f"/warning/campaigns/{campaign.pk}/manage/").status_code == 403
    assert client.get(f"/warning/campaigns/{campaign.pk}/coverage/").status_code == 403
    assert client.post(f"/warning/campaigns/{campaign.pk}/cases/", {"extra_cases": []}).status_code == 403
    login_with_mfa(client, charlie)  # another enterprise: does not exist for them
    assert client.get(f"/warning/campaigns/{campaign.pk}/manage/").status_code == 404
    assert client.get(f"/warning/campaigns/{campaign.pk}/coverage/").status_code == 404
    assert client.post(f"/warning/campaigns/{campaign.pk}/meetings/new/", {}).status_code == 404


@pytest.fixture
def meeting(scanned, alice):
    now = timezone.now()
    return services.meeting_create(campaign=scanned["campaign"], actor=alice, title="警示教育大会",
                                   start_at=now - dt.timedelta(minutes=10), end_at=now + dt.timedelta(minutes=50),
                                   place="礼堂")


def test_screen_shows_a_qr_and_the_scan_url_checks_in(client, scanned, meeting, alice):
    login_with_mfa(client, alice)
    screen = client.get(f"/warning/meetings/{meeting.pk}/screen/")
    assert screen.status_code == 200 and "data:image/svg+xml" in screen.content.decode()
    assert 'http-equiv="refresh"' in screen.content.decode()

    token = meeting.checkin_token(checkin.CHECK_IN, timezone.now())
    client.force_login(scanned["people"]["bob"])
    first = client.get(f"/warning/m/{token}/")
    assert first.status_code == 200 and "签到成功" in first.content.decode()
    assert MeetingAttendance.objects.filter(meeting=meeting).count() == 1
    assert client.get("/warning/m/1-in-1-deadbeef/").status_code == 400


def test_meeting_screen_is_the_attendance_flows_screen_with_its_code_json(client, scanned, meeting, alice):
    login_with_mfa(client, alice)
    page = client.get(f"/warning/meetings/{meeting.pk}/screen/").content.decode()
    assert "attendance/screen.js" in page and 'data-count="checked_in"' in page and "?mode=out" not in page
    data = client.get(f"/warning/meetings/{meeting.pk}/screen/code/?mode=out").json()
    assert data["mode"] == "in" and data["checked_in"] == 0 and data["qr"].startswith("data:image/svg+xml")
    assert "invited" not in data and "checked_out" not in data
    services.meeting_close(meeting=meeting, actor=alice)
    closed = client.get(f"/warning/meetings/{meeting.pk}/screen/code/")
    assert closed.status_code == 409 and closed.json()["open"] is False


def test_scan_before_login_completes_after_login(client, scanned, meeting):
    token = meeting.checkin_token(checkin.CHECK_IN, timezone.now())
    response = client.get(f"/warning/m/{token}/")
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(scanned["people"]["wang"])
    resumed = client.get("/warning/m/resume/")
    assert resumed.status_code == 200 and "签到成功" in resumed.content.decode()


def test_outsider_scan_is_refused_and_screen_denied(client, scanned, meeting, charlie):
    token = meeting.checkin_token(checkin.CHECK_IN, timezone.now())
    login_with_mfa(client, charlie)
    assert client.get(f"/warning/m/{token}/").status_code == 403
    assert client.get(f"/warning/meetings/{meeting.pk}/screen/").status_code == 404
    client.force_login(scanned["people"]["bob"])
    assert client.get(f"/warning/meetings/{meeting.pk}/screen/").status_code == 403
    assert client.post(f"/warning/meetings/{meeting.pk}/close/").status_code == 403


def test_both_scan_urls_give_the_one_answer_to_a_bad_or_old_code(client, scanned, meeting):
    """Sessions and meetings share one scan flow: garbage, another kind's code and an old code get the same refusals."""
    client.force_login(scanned["people"]["bob"])
    now = timezone.now()
    meeting_code = meeting.checkin_token(checkin.CHECK_IN, now)
    invalid = "二维码无效，请扫描现场屏幕上的二维码。"
    for url in ("/offline/c/garbage/", "/warning/m/garbage/", f"/offline/c/{meeting_code}/",
                f"/warning/m/{meeting.pk + 1000}-in-{checkin.step_at(now)}-{'0' * checkin.MAC_CHARS}/"):
        response = client.get(url)
        assert response.status_code == 400 and invalid in response.content.decode(), url
    old = meeting.checkin_token(checkin.CHECK_IN, now - dt.timedelta(seconds=3 * checkin.STEP_SECONDS))
    response = client.get(f"/warning/m/{old}/")
    assert response.status_code == 400 and "二维码已过期" in response.content.decode()
    nothing = client.get("/warning/m/resume/")
    assert nothing.status_code == 400 and "没有待完成的签到" in nothing.content.decode()
    assert not MeetingAttendance.objects.exists()


def test_host_closes_the_meeting_once(client, scanned, meeting, alice):
    services.meeting_scan(meeting=meeting, user=scanned["people"]["bob"],
                          token=meeting.checkin_token(checkin.CHECK_IN, timezone.now()))
    login_with_mfa(client, alice)
    client.post(f"/warning/meetings/{meeting.pk}/close/")
    second = client.post(f"/warning/meetings/{meeting.pk}/close/", follow=True)
    assert "不会重复写入" in second.content.decode()
    assert TrainingRecord.objects.filter(kind="warning").count() == 1


def test_violation_history_page(client, ent_a, tree_a, alice, charlie, bob):
    employee = bob.employee
    hire(employee, tree_a[3])
    today = timezone.localdate()
    event(employee, "violation", today - dt.timedelta(days=30))
    event(employee, "violation", today - dt.timedelta(days=1))
    login_with_mfa(client, alice)
    html = client.get(f"/warning/violations/{employee.pk}/").content.decode()
    assert "违规违章档案" in html and html.count("违规违章</strong>") == 2
    assert "未完成，应于" in html and "未触发离岗再培训" in html
    client.force_login(bob)  # the person's own file
    assert client.get(f"/warning/violations/{employee.pk}/").status_code == 200
    login_with_mfa(client, charlie)
    assert client.get(f"/warning/violations/{employee.pk}/").status_code == 404


def test_staff_list_of_campaigns_with_coverage(client, scanned, alice, charlie, django_assert_max_num_queries):
    campaign = scanned["campaign"]
    services.study_complete(study=studied(campaign, scanned["people"]["zhao"], 12),
                            user=scanned["people"]["zhao"], reflection=REFLECTION)
    login_with_mfa(client, alice)
    client.get("/warning/campaigns/")
    with django_assert_max_num_queries(14):
        html = client.get("/warning/campaigns/").content.decode()
    assert campaign.title in html and "已完成 1 / 4 人" in html and f"/warning/campaigns/{campaign.pk}/manage/" in html
    assert "东方" not in html
    assert "管理警示教育活动" in client.get("/warning/").content.decode()
    login_with_mfa(client, charlie)
    assert f"/warning/campaigns/{campaign.pk}/manage/" not in client.get("/warning/campaigns/").content.decode()
    client.force_login(scanned["people"]["bob"])
    assert client.get("/warning/campaigns/").status_code == 403
    assert "管理警示教育活动" not in client.get("/warning/").content.decode()


def test_portal_and_person_file_link_here(client, scanned, alice):
    bob = scanned["people"]["bob"]
    client.force_login(bob)
    assert "/warning/" in client.get("/portal/").content.decode()
    login_with_mfa(client, alice)
    assert f"/warning/violations/{bob.employee.pk}/" in client.get(f"/archive/employees/{bob.employee.pk}/").content.decode()


def test_regulator_reads_of_a_violation_history_are_logged(client, ent_a, bob, regulator):
    from wagtail.models import ModelLogEntry

    login_with_mfa(client, regulator)  # region 320500 covers 华兴 (320505)
    assert client.get(f"/warning/violations/{bob.employee.pk}/").status_code == 200
    entry = ModelLogEntry.objects.get(action="anxun.regulator_read")
    assert entry.user_id == regulator.pk and entry.data["what"] == "violations"


def test_back_office_menu_has_warning_education_for_staff(client, scanned, alice):
    services.study_complete(study=studied(scanned["campaign"], scanned["people"]["li"], 12),
                            user=scanned["people"]["li"], reflection=REFLECTION)
    login_with_mfa(client, alice)
    html = client.get("/admin/").content.decode()
    assert "warning-campaigns" in html and "/warning/campaigns/" in html
    # The dashboard panel: this quarter, 1 of 4 done, linked to the coverage page.
    assert f"{scanned['campaign'].cycle} 警示教育覆盖率" in html
    assert f"/warning/campaigns/{scanned['campaign'].pk}/coverage/" in html and "1 / 4" in html and "25%" in html
