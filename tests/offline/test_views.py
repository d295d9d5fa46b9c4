"""The pages: scan flow through login, denial (other enterprise 404, not the
trainer 403/404), the screen shows a QR, closing via the page once, the PDF."""

import pytest
from django.test import Client
from django.urls import reverse

from courses.offline import attendance_views, selectors, services
from courses.offline import views as offline_views
from lms.archive.models import TrainingRecord
from lms.kernel import checkin
from tests.conftest import PASSWORD

from tests.factories import at

pytestmark = pytest.mark.django_db


def test_scan_before_login_checks_in_at_the_scan_time(session, workers, monkeypatch):
    monkeypatch.setattr(attendance_views, "_now", lambda: at(8, 40, 5))
    client = Client()
    token = selectors.screen_token(session, checkin.CHECK_IN, now=at(8, 40))
    response = client.get(reverse("offline:scan", args=[token]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.login(email=workers[0].user.email, password=PASSWORD) or client.force_login(workers[0].user) is None
    monkeypatch.setattr(attendance_views, "_now", lambda: at(8, 42))
    response = client.get(reverse("offline:scan_resume"))
    assert response.status_code == 200 and "签到成功：08:40" in response.content.decode()
    assert session.attendances.get(employee=workers[0]).check_in_at == at(8, 40, 5)
    # The pending scan is used once.
    assert client.get(reverse("offline:scan_resume")).status_code == 400


def test_expired_code_page_says_so(session, workers, monkeypatch):
    monkeypatch.setattr(attendance_views, "_now", lambda: at(9, 0))
    client = Client()
    client.force_login(workers[0].user)
    token = selectors.screen_token(session, checkin.CHECK_IN, now=at(8, 40))
    response = client.get(reverse("offline:scan", args=[token]))
    assert response.status_code == 400 and "二维码已过期" in response.content.decode()


def test_pages_are_denied_to_others(session, as_user, alice, tara, pat, bob):
    urls = [reverse("offline:attendance", args=[session.pk]), reverse("offline:screen", args=[session.pk]),
            reverse("offline:sign_in_sheet", args=[session.pk])]
    for user in (alice, tara, bob):
        client = as_user(user)
        for u in urls:
            assert client.get(u).status_code == 404, (user, u)
    client = as_user(pat)
    assert client.get(urls[0]).status_code == 200
    assert client.get(urls[1]).status_code == 403
    assert client.post(reverse("offline:close", args=[session.pk])).status_code == 403


def test_screen_shows_a_qr_and_close_twice_writes_once(session, workers, as_user, tom, monkeypatch):
    client = as_user(tom)
    response = client.get(reverse("offline:screen", args=[session.pk]))
    assert response.status_code == 200 and 'src="data:image/svg+xml' in response.content.decode()
    data = client.get(reverse("offline:screen_code", args=[session.pk]) + "?mode=out").json()
    assert data["mode"] == "out" and data["invited"] == 3 and data["qr"].startswith("data:image/svg+xml")
    token = selectors.screen_token(session, "in", now=at(8, 30))
    services.attendance_scan(session=session, user=workers[0].user, token=token, now=at(8, 30))
    services.session_update(session=session, actor=None, assessment_required=False)
    monkeypatch.setattr(offline_views, "_now", lambda: at(14, 40))
    close = reverse("offline:close", args=[session.pk])
    client.post(close, {"confirm": "on"})
    response = client.post(close, {"confirm": "on"}, follow=True)
    assert "不会重复写入" in response.content.decode()
    assert TrainingRecord.objects.count() == 1


def test_attendance_page_queries_do_not_grow(session, ent_b, tree_b, as_user, tom, django_assert_max_num_queries):
    from tests.factories import make_worker

    client = as_user(tom)
    url = reverse("offline:attendance", args=[session.pk])
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    services.session_update(session=session, actor=None, capacity=30)
    more = [make_worker(ent_b, tree_b[2], f"工{n}", f"W5{n:02d}") for n in range(15)]
    services.session_invite(session=session, actor=None, employees=more)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="is-absent"') == 18


def test_sign_in_sheet_pdf_embeds_the_font_and_chinese(session, as_user, tom):
    from tests.archive.test_pdf import assert_font_embedded_and_covers, pdftext

    response = as_user(tom).get(reverse("offline:sign_in_sheet", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.content
    assert_font_embedded_and_covers(data)
    text = pdftext(data)
    for expected in ("培训签到表", "东方机械制造有限公司", "厂级安全教育", "二号楼培训教室", "汤姆", "张三", "本人签名"):
        assert expected in text
