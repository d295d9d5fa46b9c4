"""The apprentice's and mentor's pages, the back office, and their denials."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from courses.apprenticeship import services as ap
from courses.apprenticeship.selectors import weeks_due
from courses.apprenticeship.models import Apprenticeship, WeeklyLog
from lms.archive.models import TrainingRecord
from tests.conftest import login_with_mfa

from .conftest import today
from .test_services import make_ready

pytestmark = pytest.mark.django_db


def detail_url(a):
    return reverse("apprenticeship:detail", args=(a.pk,))


def test_apprentice_sees_own_apprenticeship_and_writes_a_week(client, started):
    client.force_login(started.apprentice.user)
    page = client.get(reverse("apprenticeship:mine"))
    assert page.status_code == 200 and "我是徒弟" in page.content.decode() and "反应釜操作工" in page.content.decode()
    page = client.get(detail_url(started))
    body = page.content.decode()
    assert page.status_code == 200 and "填写本周周记" in body and "周师傅" in body
    week = weeks_due(started)[0]
    form = client.get(reverse("apprenticeship:week", args=(started.pk,)) + f"?week={week}")
    assert form.status_code == 200
    response = client.post(reverse("apprenticeship:week", args=(started.pk,)), {
        "week_start": week.isoformat(), "content": "学习投料顺序", "practice": "监护下投料", "problems": "", "hours": "8",
    })
    assert response.status_code == 302
    assert WeeklyLog.objects.get(apprenticeship=started, week_start=week).content == "学习投料顺序"


def test_bad_week_input_is_a_field_error_not_a_500(client, started):
    client.force_login(started.apprentice.user)
    url = reverse("apprenticeship:week", args=(started.pk,))
    response = client.post(url, {"week_start": "2099-13-01", "content": "", "hours": "-3"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"week_start", "content", "hours"}
    assert client.get(url + "?week=garbage").status_code == 200
    assert not WeeklyLog.objects.exists()


def test_mentor_confirms_a_week_on_the_page(client, started):
    week = weeks_due(started)[0]
    entry = ap.weekly_log_save(apprenticeship=started, week_start=week, content="学习", hours=Decimal("8"),
                               actor=started.apprentice.user)
    client.force_login(started.mentor.user)
    mine = client.get(reverse("apprenticeship:mine")).content.decode()
    assert "我带的徒弟" in mine and "1 篇周记待确认" in mine
    assert "确认本周周记" in client.get(detail_url(started)).content.decode()
    response = client.post(reverse("apprenticeship:confirm", args=(started.pk, entry.pk)), {"comment": "很好"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.is_confirmed and entry.mentor_comment == "很好"


def test_apprentice_cannot_confirm_nor_evaluate_nor_sign(client, started):
    entry = ap.weekly_log_save(apprenticeship=started, week_start=weeks_due(started)[0], content="学习", hours=Decimal("8"),
                               actor=started.apprentice.user)
    client.force_login(started.apprentice.user)
    client.post(reverse("apprenticeship:confirm", args=(started.pk, entry.pk)), {"comment": ""})
    entry.refresh_from_db()
    assert not entry.is_confirmed
    assert client.get(reverse("apprenticeship:evaluate", args=(started.pk,))).status_code == 403
    client.post(reverse("apprenticeship:sign", args=(started.pk,)), {"comment": "我自己签"})
    assert not started.signoffs.exists()


def test_mentor_cannot_write_the_apprentices_week(client, started):
    client.force_login(started.mentor.user)
    assert client.get(reverse("apprenticeship:week", args=(started.pk,))).status_code == 403


@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_other_people_get_404(request, client, started, who):
    user = request.getfixturevalue(who)
    if who == "charlie":
        login_with_mfa(client, user)
    else:
        client.force_login(user)
    for name in ("detail", "week", "evaluate", "assess", "agreement_pdf"):
        assert client.get(reverse(f"apprenticeship:{name}", args=(started.pk,))).status_code == 404, name
    assert client.post(reverse("apprenticeship:sign", args=(started.pk,)), {}).status_code == 404
    assert "反应釜操作工" not in client.get(reverse("apprenticeship:mine")).content.decode()


def test_anonymous_is_sent_to_login(client, started):
    response = client.get(detail_url(started))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_hr_reads_and_records_the_assessment(alice_client, started):
    assert alice_client.get(detail_url(started)).status_code == 200
    response = alice_client.post(reverse("apprenticeship:assess", args=(started.pk,)), {
        "assessed_on": today().isoformat(), "items": "开停车", "score": "abc", "assessors": "王主任",
    })
    assert response.status_code == 200 and "score" in response.context["form"].errors
    response = alice_client.post(reverse("apprenticeship:assess", args=(started.pk,)), {
        "assessed_on": today().isoformat(), "items": "开停车", "score": "91", "assessors": "王主任",
    })
    assert response.status_code == 302 and started.assessments.get().passed


def test_detail_page_queries_stay_flat(client, started, django_assert_max_num_queries):
    for week in weeks_due(started):
        entry = ap.weekly_log_save(apprenticeship=started, week_start=week, content="学习", hours=Decimal("8"),
                                   actor=started.apprentice.user)
        ap.weekly_log_confirm(entry=entry, actor=started.mentor.user)
    client.force_login(started.mentor.user)
    with django_assert_max_num_queries(25):
        assert client.get(detail_url(started)).status_code == 200


def test_the_sign_off_on_the_page_by_mentor_then_head(client, started, head):
    make_ready(started)
    client.force_login(started.mentor.user)
    page = client.get(detail_url(started)).content.decode()
    assert "以师傅身份签字出师" in page
    client.post(reverse("apprenticeship:sign", args=(started.pk,)), {"comment": "同意出师"})
    client.force_login(head.user)
    assert "以车间负责人身份签字出师" in client.get(detail_url(started)).content.decode()
    assert "本车间的师带徒" in client.get(reverse("apprenticeship:mine")).content.decode()
    response = client.post(reverse("apprenticeship:sign", args=(started.pk,)), {"comment": "同意"}, follow=True)
    assert "出师" in response.content.decode()
    started.refresh_from_db()
    assert started.status == Apprenticeship.Status.COMPLETED
    assert TrainingRecord.objects.filter(employee=started.apprentice, kind="apprenticeship").count() == 1


# --- the back office ---------------------------------------------------------------


def test_back_office_lists_and_pairs(alice_client, ent_a, master, apprentice, reactor, hired_on):
    response = alice_client.post(reverse("apprenticeship_admin:add"), {
        "apprentice": apprentice.pk, "post": reactor.pk, "mentor": master.pk,
        "start_date": (hired_on + dt.timedelta(days=3)).isoformat(), "plan": "开停车", "previous": "",
    })
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    a = Apprenticeship.objects.get()
    assert a.assignment.kind == "apprentice"
    listing = alice_client.get(reverse("apprenticeship_admin:index")).content.decode()
    assert "刘小军" in listing and "带徒中" in listing
    assert alice_client.get(reverse("apprenticeship_admin:inspect", args=(a.pk,))).status_code == 200


def test_back_office_shows_the_gate_refusal_on_the_form(alice_client, ent_a, tree_a, apprentice, reactor, hired_on):
    from .conftest import veteran

    junior = veteran(ent_a, tree_a[2], reactor, "M009", "新师傅", dt.date(2024, 1, 8), dt.date(2024, 3, 11))
    response = alice_client.post(reverse("apprenticeship_admin:add"), {
        "apprentice": apprentice.pk, "post": reactor.pk, "mentor": junior.pk,
        "start_date": (hired_on + dt.timedelta(days=3)).isoformat(), "plan": "", "previous": "",
    })
    assert response.status_code == 200
    assert "师傅在该岗位工作不满 3 年" in str(response.context["form"].errors["mentor"])
    assert not Apprenticeship.objects.exists()


def test_back_office_ends_early_with_a_reason(alice_client, started):
    url = reverse("apprenticeship_admin:end", args=(started.pk,))
    assert alice_client.get(url).status_code == 200
    response = alice_client.post(url, {"reason": "other", "ended_on": today().isoformat(), "note": ""})
    assert response.status_code == 200  # the note is required for "other"
    response = alice_client.post(url, {"reason": "mentor_left", "ended_on": today().isoformat(), "note": "师傅调走"})
    assert response.status_code == 302
    started.refresh_from_db()
    assert (started.status, started.end_reason) == ("ended", "mentor_left")
    listing = alice_client.get(reverse("apprenticeship_admin:index")).content.decode()
    assert "重新指定师傅" in listing


def test_back_office_of_another_enterprise_is_404(client, charlie, started):
    login_with_mfa(client, charlie)
    assert client.get(reverse("apprenticeship_admin:inspect", args=(started.pk,))).status_code == 404
    assert client.get(reverse("apprenticeship_admin:end", args=(started.pk,))).status_code == 404
    listing = client.get(reverse("apprenticeship_admin:index")).content.decode()
    assert "刘小军" not in listing
