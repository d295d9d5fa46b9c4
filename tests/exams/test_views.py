"""The examinee's pages: 我的考试, the start page, answering (autosave and
resume), submitting, the result and the review."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import services
from exams.models import Attempt, Exam, Question
from lms.archive.models import TrainingRecord
from tests.factories import UserFactory

from .engine_helpers import (  # noqa: F401  (fixtures)
    CLOSES,
    answer_all,
    at,
    bank,
    bank_a,
    exam,
    fixed_paper,
    four_types,
    frozen,
    principal,
    right_answer,
    single,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pat_client(client, principal):
    client.force_login(principal)
    return client


@pytest.fixture
def annual(ent_a, four_types):
    paper = fixed_paper(ent_a, [(four_types[k], 25) for k in ("single", "multiple", "true_false", "fill")])
    return exam(ent_a, paper, attempts_allowed=2, review_policy=Exam.ReviewPolicy.ANSWERS_AFTER_CLOSE)


def test_pages_need_a_login(client, annual):
    for url in (reverse("exams:my_exams"), reverse("exams:exam_detail", args=[annual.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_my_exams_lists_the_exams_of_my_audience_only(pat_client, client, annual, ent_a, ent_b, bob, four_types):
    hidden = exam(ent_a, annual.paper, title="只考操作工的考试", audience={"posts": ["A-OP"]})
    with frozen(at(10)):
        page = pat_client.get(reverse("exams:my_exams")).content.decode()
    assert annual.title in page and "进行中" in page and "共可考 2 次" in page
    assert hidden.title not in page
    client.force_login(bob)
    with frozen(at(10)):
        assert "目前没有需要您参加的考试" in client.get(reverse("exams:my_exams")).content.decode()
    client.force_login(UserFactory())
    assert "尚未关联员工档案" in client.get(reverse("exams:my_exams")).content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_my_exams_queries_do_not_grow_with_exams(
    pat_client, ent_a, four_types, principal, size, django_assert_max_num_queries
):
    paper = fixed_paper(ent_a, [(four_types["single"], 100)])
    for n in range(size):
        e = exam(ent_a, paper, title=f"考试 {n}")
        if n % 2:
            attempt = services.attempt_start(e, principal.employee, now=at(10))
            services.attempt_submit(attempt, now=at(10, 1))
    with frozen(at(11)), django_assert_max_num_queries(16):
        page = pat_client.get(reverse("exams:my_exams")).content.decode()
    assert page.count('class="exam-card') == size and "不合格" in page


def test_the_exam_states_shown_on_my_exams(pat_client, ent_a, annual):
    exam(ent_a, annual.paper, title="下周的考试", opens_at=at(9, day=9), closes_at=at(17, day=9))
    exam(ent_a, annual.paper, title="上周的考试", opens_at=at(9, day=1) - dt.timedelta(days=6), closes_at=at(17, day=1))
    with frozen(at(10)):
        page = pat_client.get(reverse("exams:my_exams")).content.decode()
    assert page.index(annual.title) < page.index("下周的考试") < page.index("上周的考试")
    assert "未开始" in page and "已结束" in page and "未参加" in page


def test_exam_of_another_audience_or_enterprise_is_a_404(pat_client, ent_a, ent_b, annual):
    other = exam(ent_a, annual.paper, title="不相干", audience={"roles": ["trainer"]})
    foreign_bank = bank(ent_b, name="B 题库")
    foreign = exam(ent_b, fixed_paper(ent_b, [(single(foreign_bank), 100)]), title="外企考试")
    for e in (other, foreign):
        assert pat_client.get(reverse("exams:exam_detail", args=[e.pk])).status_code == 404
        assert pat_client.post(reverse("exams:exam_start", args=[e.pk])).status_code == 404
    assert not Attempt.objects.exists()


def test_start_page_explains_the_exam_and_refuses_before_it_opens(pat_client, annual):
    with frozen(at(8)):
        page = pat_client.get(reverse("exams:exam_detail", args=[annual.pk])).content.decode()
        refused = pat_client.post(reverse("exams:exam_start", args=[annual.pk]), follow=True).content.decode()
    assert "共 4 题，满分 100 分" in page and "60 分钟" in page and "折合百分制 80 分及以上为合格" in page
    assert "考试尚未开始，开始时间：2026-03-02 09:00" in page and "开始考试" not in page
    assert "考试尚未开始" in refused and not Attempt.objects.exists()


def test_answering_page_shows_the_layout_letters_and_the_server_clock(pat_client, annual):
    with frozen(at(10)):
        start = pat_client.post(reverse("exams:exam_start", args=[annual.pk]))
    attempt = Attempt.objects.get()
    assert start.url == reverse("exams:attempt", args=[attempt.pk])
    with frozen(at(10, 15)):
        page = pat_client.get(start.url).content.decode()
    assert 'data-seconds-left="2700"' in page and f'data-token="{attempt.token}"' in page
    single_item = next(i for i in attempt.layout if i["type"] == "single")
    question = Question.objects.get(pk=single_item["q"])
    texts = {o["key"]: o["text"] for o in question.options}
    # Option shown as "B." is the original option layout["options"][1], and so on.
    for index, key in enumerate(single_item["options"]):
        letter = services.LETTERS[index]
        text = re.escape(texts[key])
        pattern = rf'value="{letter}">\s*<span class="letter">{letter}\.</span> <span class="text">{text}</span>'
        assert re.search(pattern, page), (letter, key)
    assert page.count("<fieldset") == 4 and "第 1 空" in page and ">对</span>" in page


def test_autosave_answers_with_the_time_saved_and_the_page_resumes(pat_client, annual):
    with frozen(at(10)):
        pat_client.post(reverse("exams:exam_start", args=[annual.pk]))
    attempt = Attempt.objects.get()
    fill_item = next(i for i in attempt.layout if i["type"] == "fill_blank")
    with frozen(at(10, 7, 42)):
        response = pat_client.post(
            reverse("exams:attempt_answer", args=[attempt.pk]),
            data=json.dumps({"token": attempt.token, "question": fill_item["q"], "response": ["预防为主"], "seq": 1}),
            content_type="application/json",
        )
    assert response.status_code == 200
    assert response.json() == {
        "saved_at": "2026-03-02T10:07:42+08:00",
        "saved_at_display": "10:07:42",
        "seconds_left": 3138,
    }
    with frozen(at(10, 8)):
        page = pat_client.get(reverse("exams:attempt", args=[attempt.pk])).content.decode()
    assert 'value="预防为主"' in page and '<strong id="answered-count">1</strong>' in page


def test_submit_without_javascript_saves_the_form_answers_and_shows_the_result(pat_client, annual, principal):
    with frozen(at(10)):
        pat_client.post(reverse("exams:exam_start", args=[annual.pk]))
    attempt = Attempt.objects.get()
    questions = Question.objects.in_bulk([i["q"] for i in attempt.layout])
    form = {"token": attempt.token}
    for item in attempt.layout:
        answer = right_answer(item, questions[item["q"]])
        form[f"q-{item['q']}"] = [str(v).lower() if isinstance(v, bool) else v for v in answer]
    with frozen(at(10, 20)):
        response = pat_client.post(reverse("exams:attempt_submit", args=[attempt.pk]), form, follow=True)
    page = response.content.decode()
    assert 'id="result-verdict">合格<' in page and 'id="result-score">100 <' in page
    assert "成绩已记入本人培训档案" in page and "考试结束后（2026-03-02 17:00）可查看答案与解析" in page
    assert "再考一次" not in page
    record = TrainingRecord.objects.get(employee=principal.employee)
    assert record.assessment_result == "passed" and record.kind == "principal"


def test_failed_attempt_offers_another_try_while_attempts_remain(pat_client, annual, principal):
    attempt = services.attempt_start(annual, principal.employee, now=at(10))
    answer_all(attempt, correct=False, now=at(10, 1))
    services.attempt_submit(attempt, now=at(10, 2))
    with frozen(at(10, 3)):
        page = pat_client.get(reverse("exams:attempt_result", args=[attempt.pk])).content.decode()
        again = pat_client.post(reverse("exams:exam_start", args=[annual.pk]))
    assert 'id="result-verdict">不合格<' in page and "再考一次" in page
    second = Attempt.objects.get(number=2)
    assert again.url == reverse("exams:attempt", args=[second.pk])
    services.attempt_submit(second, now=at(10, 4))
    with frozen(at(10, 5)):
        page = pat_client.get(reverse("exams:attempt_result", args=[second.pk])).content.decode()
        detail = pat_client.get(reverse("exams:exam_detail", args=[annual.pk])).content.decode()
    assert "再考一次" not in page and "考试次数已用完（共 2 次）" in detail


def test_answering_page_after_the_deadline_submits_and_shows_the_result(pat_client, annual, principal):
    attempt = services.attempt_start(annual, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 30))
    with frozen(at(11, 0, 1)):
        response = pat_client.get(reverse("exams:attempt", args=[attempt.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exams:attempt_result", args=[attempt.pk])
    assert "到时自动交卷" in response.content.decode() and "合格" in response.content.decode()


def test_result_page_sends_an_unfinished_attempt_back_to_answering(pat_client, annual, principal):
    attempt = services.attempt_start(annual, principal.employee, now=at(10))
    with frozen(at(10, 1)):
        response = pat_client.get(reverse("exams:attempt_result", args=[attempt.pk]))
    assert response.url == reverse("exams:attempt", args=[attempt.pk])


def test_review_after_close_shows_letters_as_shown_on_that_paper(pat_client, annual, principal, four_types):
    attempt = services.attempt_start(annual, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 5), skip={four_types["fill"].pk})
    services.attempt_submit(attempt, now=at(10, 6))
    with frozen(CLOSES + dt.timedelta(minutes=1)):
        result = pat_client.get(reverse("exams:attempt_result", args=[attempt.pk])).content.decode()
        page = pat_client.get(reverse("exams:attempt_review", args=[attempt.pk])).content.decode()
    assert "查看答案与解析" in result
    item = next(i for i in attempt.layout if i["q"] == four_types["multiple"].pk)
    shown = "".join(sorted(services.LETTERS[item["options"].index(k)] for k in ("A", "B", "D")))
    assert f"正确答案：<strong>{shown}</strong>" in page
    assert "解析：动火前须办证" in page and "未作答" in page and "得 0 / 25 分" in page


def test_record_appears_on_the_person_file_page(pat_client, annual, principal):
    attempt = services.attempt_start(annual, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 5))
    services.attempt_submit(attempt, now=at(10, 6))
    page = pat_client.get(reverse("archive:person_file", args=[principal.employee.pk])).content.decode()
    assert annual.title in page and "合格" in page and "（100 分）" in page and "在线考试" in page


def test_local_times_are_beijing_time(annual):
    assert timezone.localtime(annual.opens_at).hour == 9


def test_an_overdue_attempt_shows_its_result_on_my_exams_not_continue(pat_client, annual, principal):
    attempt = services.attempt_start(annual, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 30))
    with frozen(at(12)):
        listing = pat_client.get(reverse("exams:my_exams")).content.decode()
        detail = pat_client.get(reverse("exams:exam_detail", args=[annual.pk])).content.decode()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.auto_submitted
    assert "答题中" not in listing and "合格" in listing
    assert "继续答题" not in detail and "您已通过本场考试" in detail
