"""The exams back office (考试): banks, questions, papers, exams, answer sheets,
results and export, offline result entry and the dashboard panel.

sam = safety manager of A (manages A's exams), tina = trainer of A, alice = HR
of A (reads only), charlie = HR of B and sue = safety manager of B (the
outsiders: 404), bob = plain employee of A and the regulator (no back office),
root = platform superuser (the only one who writes platform banks).
"""

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from exams.models import Attempt, AttemptAnswer, Exam, Paper, PaperRule, Question, QuestionBank, QuestionType
from lms.archive.models import TrainingRecord
from tests.factories import EmployeeFactory, UserFactory

from .admin_helpers import (  # noqa: F401  (fixtures)
    dora,
    menu_labels,
    root,
    sam,
    sit,
    sue,
    tina,
    url,
    world,
)
from .engine_helpers import exam as make_exam
from .engine_helpers import fixed_paper, single

pytestmark = pytest.mark.django_db

NAMESPACES = ["exam_bank", "exam_question", "exam_paper", "exam", "exam_attempt"]


def objects(world):
    return {
        "exam_bank": world["bank"],
        "exam_question": world["questions"][0],
        "exam_paper": world["paper"],
        "exam": world["exam"],
        "exam_attempt": world["attempts"][0],
    }


LABELS = {
    "exam_bank": lambda o: o.name,
    "exam_question": lambda o: o.stem,
    "exam_paper": lambda o: o.name,
    "exam": lambda o: o.title,
    "exam_attempt": lambda o: o.employee.name,
}


def _results(world):
    return reverse("exam:results", args=(world["exam"].pk,))


def _export(world):
    return reverse("exam:results_export", args=(world["exam"].pk,))


# --- who gets in ---------------------------------------------------------------------------


def test_menu_group_in_chinese(as_user, sam):
    menu = menu_labels(as_user(sam).get(reverse("wagtailadmin_home")).content.decode())
    for label in ("考试", "题库", "题目", "试卷", "答卷"):
        assert f'"label": "{label}"' in menu


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_owner_sees_own_rows_and_outsiders_get_404(as_user, sam, alice, charlie, sue, world, namespace):
    obj = objects(world)[namespace]
    label = LABELS[namespace](obj)
    for user in (sam, alice):
        client = as_user(user)
        assert label in client.get(url(namespace, "index")).content.decode()
        assert client.get(url(namespace, "inspect", obj)).status_code == 200
    for outsider in (charlie, sue):
        client = as_user(outsider)
        response = client.get(url(namespace, "index"))
        assert response.status_code == 200
        assert label not in response.content.decode()
        assert client.get(url(namespace, "inspect", obj)).status_code == 404


@pytest.mark.parametrize("namespace", ["exam_question", "exam_paper", "exam"])
def test_outsider_manager_cannot_open_or_post_the_edit_form(as_user, sue, world, namespace):
    obj = objects(world)[namespace]
    client = as_user(sue)
    assert client.get(url(namespace, "edit", obj)).status_code == 404
    assert client.post(url(namespace, "edit", obj), {"title": "改名", "name": "改名", "stem": "改了"}).status_code == 404
    obj.refresh_from_db()
    assert LABELS[namespace](obj) == LABELS[namespace](objects(world)[namespace])


def test_outsiders_get_404_for_results_and_export(as_user, charlie, sue, world):
    for outsider in (charlie, sue):
        client = as_user(outsider)
        assert client.get(_results(world)).status_code == 404
        assert client.get(_export(world)).status_code == 404


@pytest.mark.parametrize("who", ["bob", "regulator"])
def test_no_back_office_for_employees_and_regulators(as_user, request, world, who):
    client = as_user(request.getfixturevalue(who))
    targets = [url(ns, "index") for ns in NAMESPACES] + [
        url("exam", "inspect", world["exam"]),
        _results(world),
        _export(world),
        reverse("exam_attempt:offline"),
    ]
    for target in targets:
        response = client.get(target)
        assert response.status_code == 302, target
        assert response["Location"].startswith("/accounts/login/")
    assert Attempt.objects.count() == 2


def _denied(response) -> bool:
    """Wagtail answers a missing permission by sending the user back to the dashboard."""
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_hr_reads_results_but_may_not_build_or_enter(as_user, alice, world):
    client = as_user(alice)
    assert client.get(_results(world)).status_code == 200
    assert client.get(_export(world)).status_code == 200
    for namespace in ("exam_bank", "exam_question", "exam_paper", "exam"):
        assert _denied(client.get(url(namespace, "add"))), namespace
    assert _denied(client.get(reverse("exam_attempt:offline")))
    employee = world["people"][2]
    response = client.post(
        reverse("exam_attempt:offline"),
        {"exam": world["exam"].pk, "employee": employee.pk, "score": "90", "evidence": _sheet()},
    )
    assert _denied(response)
    assert not Attempt.objects.filter(offline=True).exists()
    assert _denied(client.get(url("exam", "edit", world["exam"])))
    page = client.get(url("exam", "index")).content.decode()
    assert "录入线下成绩" not in page


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(_results(world))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- banks -----------------------------------------------------------------------------------


def test_platform_bank_is_readable_by_enterprises_but_not_editable(as_user, sam, world):
    client = as_user(sam)
    platform, pq = world["platform"], world["platform_question"]
    listing = client.get(url("exam_bank", "index")).content.decode()
    assert platform.name in listing and "平台公共题库" in listing
    page = client.get(url("exam_bank", "inspect", platform)).content.decode()
    assert "只有平台管理员可以修改" in page
    assert reverse("exam_question:add") not in page
    # Its questions: listed and inspectable, but no edit link, and the edit URL is a 404.
    questions = client.get(url("exam_question", "index") + f"?bank={platform.pk}").content.decode()
    assert pq.stem in questions
    assert url("exam_question", "edit", pq) not in questions
    assert client.get(url("exam_question", "inspect", pq)).status_code == 200
    assert url("exam_question", "edit", pq) not in client.get(url("exam_question", "inspect", pq)).content.decode()
    assert client.get(url("exam_question", "edit", pq)).status_code == 404
    assert client.post(url("exam_question", "edit", pq), _question_post(pq, stem="企业改平台题")).status_code == 404
    # Nor can a question be added to it.
    response = client.post(url("exam_question", "add"), {**_question_post(pq, stem="新题"), "bank": platform.pk})
    assert response.status_code == 200
    assert "bank" in response.context["form"].errors
    assert not Question.objects.filter(stem="新题").exists()
    pq.refresh_from_db()
    assert pq.stem == "安全生产法自何时起施行？（平台题）"


def test_superuser_edits_the_platform_bank(as_user, root, world):
    pq = world["platform_question"]
    response = as_user(root).post(url("exam_question", "edit", pq), _question_post(pq, explanation="平台修订的解析"))
    assert response.status_code == 302
    pq.refresh_from_db()
    assert pq.explanation == "平台修订的解析" and pq.version == 1  # unused: edited in place


def test_bank_create_for_own_enterprise_through_the_service(as_user, sam, ent_a, ent_b):
    client = as_user(sam)
    response = client.post(url("exam_bank", "add"), {"enterprise": ent_a.pk, "name": "新题库", "description": "说明"})
    assert response.status_code == 302
    assert QuestionBank.objects.get(name="新题库").enterprise == ent_a
    # Another enterprise is not a choice; an empty enterprise (platform) neither.
    for value in (ent_b.pk, ""):
        response = client.post(url("exam_bank", "add"), {"enterprise": value, "name": f"越权{value}"})
        assert response.status_code == 200
        assert "enterprise" in response.context["form"].errors
    assert not QuestionBank.objects.filter(name__startswith="越权").exists()


# --- questions -----------------------------------------------------------------------------


def _question_post(q, **changes):
    from exams.admin_forms import answer_to_text, options_to_text

    data = {
        "bank": q.bank_id,
        "category": q.category_id or "",
        "type": q.type,
        "stem": q.stem,
        "options_text": options_to_text(q.options),
        "answer_text": answer_to_text(q.type, q.answer),
        "explanation": q.explanation,
        "difficulty": q.difficulty,
        "tags": q.tags,
    }
    data.update(changes)
    return data


def test_question_list_filters_and_searches(as_user, sam, world):
    client = as_user(sam)
    single_q, multi_q, tf_q = world["questions"]
    page = client.get(url("exam_question", "index") + "?type=multiple").content.decode()
    assert multi_q.stem in page and single_q.stem not in page
    page = client.get(url("exam_question", "index") + "?q=触电").content.decode()
    assert single_q.stem in page and tf_q.stem not in page
    page = client.get(url("exam_question", "index") + f"?bank={world['bank'].pk}").content.decode()
    assert single_q.stem in page and world["platform_question"].stem not in page
    # The bank filter offers A's and the platform's banks, never B's.
    form = client.get(url("exam_question", "index")).context["filters"].form
    banks = {b.name for b in form.fields["bank"].queryset}
    assert banks == {"华兴化工题库", "平台通用安全题库"}


def test_inspect_shows_answer_and_explanation_to_exam_managers(as_user, sam, world):
    q = world["questions"][0]
    page = as_user(sam).get(url("exam_question", "inspect", q)).content.decode()
    assert "解析：先断电。" in page and "正确答案" in page


def test_editing_a_used_question_in_the_admin_creates_a_version(as_user, sam, world):
    q = world["questions"][0]
    answers_before = AttemptAnswer.objects.filter(question=q).count()
    assert answers_before == 2
    response = as_user(sam).post(
        url("exam_question", "edit", q), _question_post(q, stem="发现有人触电，首先应当怎么做？", answer_text="A")
    )
    assert response.status_code == 302
    q.refresh_from_db()
    new = Question.objects.get(previous=q)
    assert (q.is_current, q.stem, q.version) == (False, "发现有人触电，首先应当？", 1)
    assert (new.is_current, new.stem, new.version) == (True, "发现有人触电，首先应当怎么做？", 2)
    # Attempts keep the version they showed.
    assert AttemptAnswer.objects.filter(question=q).count() == answers_before
    assert not AttemptAnswer.objects.filter(question=new).exists()
    client = as_user(sam)
    listing = client.get(url("exam_question", "index")).content.decode()
    assert "首先应当怎么做" in listing and "v2" in listing
    old_page = client.get(url("exam_question", "inspect", q)).content.decode()
    assert "历史版本" in old_page
    # Old versions are history: no edit form.
    assert client.get(url("exam_question", "edit", q)).status_code == 404


def test_editing_an_unused_question_keeps_its_version(as_user, sam, world):
    q = single(world["bank"], stem="未使用的题目？")
    form = as_user(sam).get(url("exam_question", "edit", q)).context["form"]
    assert form.initial["options_text"].splitlines()[0] == "A. 切断电源"
    assert form.initial["answer_text"] == "A"
    response = as_user(sam).post(url("exam_question", "edit", q), _question_post(q, explanation="补充解析"))
    assert response.status_code == 302
    q.refresh_from_db()
    assert (q.version, q.explanation, q.is_current) == (1, "补充解析", True)
    assert not Question.objects.filter(previous=q).exists()


def test_question_create_parses_answers_and_refuses_bad_ones(as_user, sam, world):
    client = as_user(sam)
    data = {
        "bank": world["bank"].pk, "type": QuestionType.MULTIPLE, "stem": "灭火的基本方法有？",
        "options_text": "A. 隔离法\nB、窒息法\n冷却法\nD. 抑制法", "answer_text": "Ａ、B，C d",
        "explanation": "", "difficulty": 2, "tags": "",
    }
    assert client.post(url("exam_question", "add"), data).status_code == 302
    q = Question.objects.get(stem="灭火的基本方法有？")
    assert [o["text"] for o in q.options] == ["隔离法", "窒息法", "冷却法", "抑制法"]
    assert q.answer == ["A", "B", "C", "D"]
    response = client.post(url("exam_question", "add"), {**data, "stem": "另一题", "answer_text": "E"})
    assert response.status_code == 200
    assert "没有对应的选项" in response.content.decode()
    true_false = {**data, "type": QuestionType.TRUE_FALSE, "stem": "判断", "options_text": "", "answer_text": "√"}
    response = client.post(url("exam_question", "add"), true_false)
    assert response.status_code == 302
    assert Question.objects.get(stem="判断").answer == [True]


# --- papers ----------------------------------------------------------------------------------


def _paper_post(ent, rules=(), fixed=(), kind="random", name="随机卷"):
    data = {
        "enterprise": ent.pk, "name": name, "kind": kind, "shuffle_questions": "on", "shuffle_options": "on",
        "fixed-TOTAL_FORMS": str(len(fixed)), "fixed-INITIAL_FORMS": "0",
        "rules-TOTAL_FORMS": str(len(rules)), "rules-INITIAL_FORMS": "0",
    }
    for i, rule in enumerate(rules):
        for key, value in rule.items():
            data[f"rules-{i}-{key}"] = value
    for i, row in enumerate(fixed):
        for key, value in row.items():
            data[f"fixed-{i}-{key}"] = value
    return data


def test_a_rule_the_bank_cannot_satisfy_is_a_form_error_and_nothing_is_saved(as_user, sam, ent_a, world):
    rule = {"bank": world["bank"].pk, "type": QuestionType.SINGLE, "count": 5, "points": "2", "position": 0}
    response = as_user(sam).post(url("exam_paper", "add"), _paper_post(ent_a, [rule]))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "需要 5 道题" in errors and "只有 1 道" in errors
    assert "需要 5 道题" in response.content.decode()
    assert not Paper.objects.filter(name="随机卷").exists()
    assert not PaperRule.objects.filter(count=5).exists()


def test_a_satisfiable_paper_is_saved_with_its_rules(as_user, sam, ent_a, world):
    rules = [
        {"bank": world["bank"].pk, "type": QuestionType.SINGLE, "count": 1, "points": "50", "position": 0},
        {"bank": world["platform"].pk, "type": QuestionType.SINGLE, "count": 1, "points": "50", "position": 1},
    ]
    response = as_user(sam).post(url("exam_paper", "add"), _paper_post(ent_a, rules))
    assert response.status_code == 302
    paper = Paper.objects.get(name="随机卷")
    assert sorted(r.bank.name for r in paper.rules.all()) == ["华兴化工题库", "平台通用安全题库"]


def test_paper_rules_cannot_use_another_enterprises_bank(as_user, sam, ent_a, world):
    rule = {"bank": world["bank_b"].pk, "type": QuestionType.SINGLE, "count": 1, "points": "2", "position": 0}
    response = as_user(sam).post(url("exam_paper", "add"), _paper_post(ent_a, [rule]))
    assert response.status_code == 200
    assert "bank" in response.context["formsets"]["rules"].forms[0].errors
    assert not Paper.objects.filter(name="随机卷").exists()


def test_editing_a_paper_rechecks_it(as_user, sam, ent_a, world):
    paper = world["paper"]
    client = as_user(sam)
    assert client.get(url("exam_paper", "edit", paper)).status_code == 200
    data = _paper_post(ent_a, kind="fixed", name="华兴年度试卷（改）")
    data.pop("enterprise")
    fixed = list(paper.fixed_questions.order_by("position"))
    data.update({"fixed-TOTAL_FORMS": str(len(fixed)), "fixed-INITIAL_FORMS": str(len(fixed))})
    for i, pq in enumerate(fixed):
        data.update({f"fixed-{i}-id": pq.pk, f"fixed-{i}-question": pq.question_id, f"fixed-{i}-points": "0",
                     f"fixed-{i}-position": i})
    response = client.post(url("exam_paper", "edit", paper), data)
    assert response.status_code == 200
    assert "试卷总分为 0" in response.content.decode()
    paper.refresh_from_db()
    assert paper.name == "华兴年度试卷" and {pq.points for pq in paper.fixed_questions.all()} != {Decimal(0)}


# --- exams -----------------------------------------------------------------------------------


def _exam_post(world, tree_a, **changes):
    opens = timezone.localtime() + dt.timedelta(days=3)
    data = {
        "enterprise": world["paper"].enterprise_id,
        "paper": world["paper"].pk,
        "title": "新员工岗前考试",
        "opens_at": opens.strftime("%Y-%m-%d %H:%M"),
        "closes_at": (opens + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M"),
        "duration_minutes": 60,
        "pass_score": "80",
        "attempts_allowed": 2,
        "review_policy": "score_only",
        "record_kind": "other",
        "record_level": "",
        "record_post": "",
        "audience_roles": ["employee"],
        "audience_posts": [tree_a[3].pk],
        "audience_units": [tree_a[1].pk],
        "audience_principals_and_safety_managers": "on",
    }
    data.update(changes)
    return data


def test_exam_create_with_the_audience_editor(as_user, sam, world, tree_a):
    response = as_user(sam).post(url("exam", "add"), _exam_post(world, tree_a))
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    exam = Exam.objects.get(title="新员工岗前考试")
    assert exam.audience == {
        "roles": ["employee"], "posts": ["A-OP"], "units": ["A-W1"], "principals_and_safety_managers": True,
    }
    form = as_user(sam).get(url("exam", "edit", exam)).context["form"]
    assert form.initial["audience_roles"] == ["employee"]
    assert [p.code for p in form.initial["audience_posts"]] == ["A-OP"]
    assert [u.code for u in form.initial["audience_units"]] == ["A-W1"]
    assert form.initial["audience_principals_and_safety_managers"] is True


def test_exam_without_audience_or_with_bad_window_is_a_form_error(as_user, sam, world, tree_a):
    data = _exam_post(world, tree_a, audience_roles=[], audience_posts=[], audience_units=[])
    data.pop("audience_principals_and_safety_managers")
    response = as_user(sam).post(url("exam", "add"), data)
    assert response.status_code == 200
    assert "请至少选择一类考试对象" in response.content.decode()
    assert "audience_principals_and_safety_managers" in response.context["form"].errors
    data = _exam_post(world, tree_a, duration_minutes=600)
    response = as_user(sam).post(url("exam", "add"), data)
    assert response.status_code == 200
    assert "超过了考试开放时间" in response.content.decode()
    assert not Exam.objects.filter(title="新员工岗前考试").exists()


def test_outsider_manager_cannot_create_in_another_enterprise(as_user, sue, ent_a, world, tree_a):
    client = as_user(sue)
    response = client.post(url("exam", "add"), _exam_post(world, tree_a))
    assert response.status_code == 200
    assert {"enterprise", "paper"} <= set(response.context["form"].errors)
    rule = {"bank": world["bank"].pk, "type": QuestionType.SINGLE, "count": 1, "points": "2", "position": 0}
    response = client.post(url("exam_paper", "add"), _paper_post(ent_a, [rule], name="越权试卷"))
    assert response.status_code == 200
    assert "enterprise" in response.context["form"].errors
    response = client.post(url("exam_question", "add"), {**_question_post(world["questions"][0], stem="越权题目")})
    assert response.status_code == 200 and "bank" in response.context["form"].errors
    assert not Exam.objects.filter(title="新员工岗前考试").exists()
    assert not Paper.objects.filter(name="越权试卷").exists()
    assert not Question.objects.filter(stem="越权题目").exists()


def test_exam_audience_choices_are_scoped(as_user, sam, world, tree_a, tree_b):
    form = as_user(sam).get(url("exam", "add")).context["form"]
    assert set(form.fields["audience_posts"].queryset) == {tree_a[3]}
    assert tree_b[1] not in set(form.fields["audience_units"].queryset)
    response = as_user(sam).post(url("exam", "add"), _exam_post(world, tree_a, audience_posts=[tree_b[3].pk]))
    assert response.status_code == 200 and "audience_posts" in response.context["form"].errors


# --- results and export ------------------------------------------------------------------------


def _table(page: str, testid: str) -> list[list[str]]:
    soup = BeautifulSoup(page, "html.parser")
    table = soup.find(attrs={"data-testid": testid})
    return [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]


def test_results_page_shows_status_scores_distribution_and_items(as_user, sam, world):
    page = as_user(sam).get(_results(world)).content.decode()
    rows = {r[0]: r for r in _table(page, "results")}
    assert rows["A101"][3:] == ["合格", "100 / 100", "1"]
    assert rows["A102"][3:] == ["不合格", "0 / 100", "1"]
    assert rows["A103"][3:] == ["未参加", "—", "0"]
    assert "孙三" in BeautifulSoup(page, "html.parser").find(attrs={"data-testid": "not-taken"}).get_text()
    assert _table(page, "bands") == [["0–59", "1"], ["60–69", "0"], ["70–79", "0"], ["80–89", "0"], ["90–100", "1"]]
    # The chart is drawn from the same numbers (a JSON block for the vendored Chart.js).
    chart = _chart(page)
    totals = [fail + passing for fail, passing in zip(chart["datasets"][0]["data"], chart["datasets"][1]["data"])]
    assert dict(zip(chart["labels"], totals)) == {"0–59": 1, "60–69": 0, "70–79": 0, "80–89": 0, "90–100": 1}
    assert "cdn" not in page.lower()
    items = _table(page, "items")
    assert len(items) == 3
    assert [r[5] for r in items] == ["0.50", "0.50", "0.50"]  # one of two right on every question
    assert [r[6] for r in items] == ["1.00", "1.00", "1.00"]


def _chart(page: str) -> dict:
    soup = BeautifulSoup(page, "html.parser")
    canvas = soup.select_one("canvas[data-chart]")
    return json.loads(soup.find("script", id=canvas["data-chart"], type="application/json").string)


def _offline_result(ex, employee, score: int) -> Attempt:
    return Attempt.objects.create(
        exam=ex, employee=employee, number=1, status=Attempt.Status.GRADED, started_at=ex.opens_at,
        deadline=ex.closes_at, score=Decimal(score), max_score=Decimal(100),
        passed=Decimal(score) >= ex.pass_score, offline=True,
    )


@pytest.mark.parametrize(("pass_score", "pass_from", "passing", "failing"), [
    (60, 0.5, ["60–69", "70–79", "90–100"], ["0–59"]),
    (80, 2.5, ["90–100"], ["0–59", "60–69", "70–79"]),
    (65, 1.0, ["70–79", "90–100"], ["0–59", "60–69"]),
])
def test_score_chart_pass_band_starts_at_the_exams_pass_score(
    as_user, sam, world, pass_score, pass_from, passing, failing
):
    ex = world["exam"]
    ex.pass_score = Decimal(pass_score)
    ex.save(update_fields=["pass_score"])
    # Best scores on the 100-point scale: 100 and 0 (world), 64 and 70 here.
    _offline_result(ex, world["people"][2], 64)
    _offline_result(ex, EmployeeFactory(enterprise=ex.enterprise, employee_no="A104", is_principal=True), 70)

    page = as_user(sam).get(_results(world)).content.decode()

    # The data is a JSON block read by the vendored Chart.js and our script file, not inline JS.
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("script", src=re.compile(r"vendor/chartjs/chart\.umd\.min\b"))
    assert soup.find("script", src=re.compile(r"exams/admin/score_chart\b"))
    chart = _chart(page)
    assert chart["labels"] == ["0–59", "60–69", "70–79", "80–89", "90–100"]
    assert chart["pass_from"] == pass_from  # the band axis position of the pass score
    assert chart["pass_label"] == f"及格线 {pass_score} 分"
    below, at_or_above = chart["datasets"]
    assert (below["label"], at_or_above["label"], at_or_above["passing"]) == ("不合格", "合格", True)
    assert [label for label, n in zip(chart["labels"], at_or_above["data"]) if n] == passing
    assert [label for label, n in zip(chart["labels"], below["data"]) if n] == failing
    assert sum(below["data"]) + sum(at_or_above["data"]) == 4


def test_export_figures_equal_the_table(as_user, sam, world):
    client = as_user(sam)
    page = client.get(_results(world)).content.decode()
    response = client.get(_export(world))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content), data_only=True)
    html_rows = _table(page, "results")
    xlsx_rows = [r for r in wb["成绩"].iter_rows(min_row=2, values_only=True)]
    assert len(html_rows) == len(xlsx_rows)
    for html, xlsx in zip(html_rows, xlsx_rows):
        assert html[0] == xlsx[0] and html[1].split(" ")[0] == xlsx[1] and html[3] == xlsx[3]
        best = None if html[4] == "—" else Decimal(html[4].split(" / ")[0])
        assert best == (None if xlsx[4] is None else Decimal(str(xlsx[4])))
        assert int(html[5]) == xlsx[6]
    html_bands = _table(page, "bands")
    xlsx_bands = [list(r) for r in wb["成绩分布"].iter_rows(min_row=2, values_only=True)]
    assert [[label, int(n)] for label, n in html_bands] == xlsx_bands
    html_items = _table(page, "items")
    xlsx_items = list(wb["试题分析"].iter_rows(min_row=2, values_only=True))

    def num(text):
        return None if text == "—" else float(text)

    for html, xlsx in zip(html_items, xlsx_items, strict=True):
        # html: 序号 题干 题型 分值 n P D 高 低 r; xlsx adds 版本 after 题型
        assert int(html[0]) == xlsx[0]
        assert Decimal(html[3]) == Decimal(str(xlsx[4]))
        assert [int(html[4]), num(html[5]), num(html[6]), num(html[7]), num(html[8]), num(html[9])] == [
            xlsx[5], xlsx[6], xlsx[7], xlsx[8], xlsx[9], xlsx[10]
        ]


def _grow(world, n):
    from tests.exams.engine_helpers import at

    ent = world["exam"].enterprise
    for i in range(n):
        employee = EmployeeFactory(enterprise=ent, is_principal=True, name=f"考生{i}")
        if i % 3 == 0:
            continue  # has not sat it
        sit(world["exam"], employee, correct=bool(i % 2), hour=11)
    del at


def _count_queries(client, target):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(target)  # warm caches (content types, site, menu)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(target).status_code == 200
    return len(ctx)


def test_results_page_and_export_queries_do_not_grow_with_examinees(as_user, sam, world, django_assert_max_num_queries):
    client = as_user(sam)
    _grow(world, 2)  # 5 examinees
    small = {t: _count_queries(client, t) for t in (_results(world), _export(world))}
    _grow(world, 25)  # 30 examinees
    large = {t: _count_queries(client, t) for t in (_results(world), _export(world))}
    assert small == large
    with django_assert_max_num_queries(30):
        response = client.get(_results(world))
    assert len(response.context["results"].rows) == 30


@pytest.mark.parametrize("namespace", ["exam_question", "exam_attempt", "exam_bank", "exam_paper", "exam"])
def test_listing_queries_do_not_grow_with_rows(as_user, sam, world, namespace):
    client = as_user(sam)
    target = url(namespace, "index")
    before = _count_queries(client, target)
    for i in range(25):
        q = single(world["bank"], stem=f"新增题目{i}？")
        if namespace == "exam_attempt" and i < 10:
            sit(world["exam"], EmployeeFactory(enterprise=world["exam"].enterprise, is_principal=True), hour=12)
        if namespace in ("exam_paper", "exam", "exam_bank") and i < 10:
            from .engine_helpers import bank

            paper = fixed_paper(world["exam"].enterprise, [(q, 10)], name=f"试卷{i}")
            make_exam(world["exam"].enterprise, paper, title=f"考试{i}")
            bank(world["exam"].enterprise, f"题库{i}")
    assert _count_queries(client, target) == before


# --- offline results ---------------------------------------------------------------------------


def _sheet():
    return SimpleUploadedFile("答题卡.pdf", b"%PDF-1.4 scanned sheet", content_type="application/pdf")


def _entry(world, employee, score):
    return {"exam": world["exam"].pk, "employee": employee.pk, "score": score, "evidence": _sheet()}


def test_trainer_enters_a_paper_result_with_the_scan(as_user, tina, world):
    client = as_user(tina)
    target = reverse("exam_attempt:offline") + f"?exam={world['exam'].pk}"
    page = client.get(target)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.fields["exam"].initial == world["exam"].pk
    employee = world["people"][2]
    response = client.post(
        target, {"exam": world["exam"].pk, "employee": employee.pk, "score": "85", "evidence": _sheet()}
    )
    assert response.status_code == 302
    attempt = Attempt.objects.get(employee=employee)
    assert (attempt.offline, attempt.score, attempt.passed, attempt.entered_by) == (True, Decimal("85.0"), True, tina)
    assert TrainingRecord.objects.filter(employee=employee, score=Decimal("85.0")).exists()
    # The results page now counts the paper result.
    rows = {r[0]: r for r in _table(as_user(tina).get(_results(world)).content.decode(), "results")}
    assert rows["A103"][3] == "合格"
    # The scan is served to the back office only, through a scoped view.
    assert client.get(reverse("exam_attempt:evidence", args=(attempt.pk,))).status_code == 200


def test_offline_entry_refusals_are_form_errors(as_user, tina, world):
    client = as_user(tina)
    target = reverse("exam_attempt:offline")
    employee = world["people"][2]
    response = client.post(target, _entry(world, employee, "120"))
    assert response.status_code == 200
    assert "成绩应在 0 到 100 分之间" in response.content.decode()
    response = client.post(target, {"exam": world["exam"].pk, "employee": employee.pk, "score": "80"})
    assert response.status_code == 200 and "evidence" in response.context["form"].errors
    # Only the exam's audience is offered; anyone else is refused on the field.
    outsider = EmployeeFactory(enterprise=world["exam"].enterprise, name="非考试对象")
    offered = set(client.get(target + f"?exam={world['exam'].pk}").context["form"].fields["employee"].queryset)
    assert employee in offered and outsider not in offered
    response = client.post(target, _entry(world, outsider, "80"))
    assert response.status_code == 200 and "employee" in response.context["form"].errors
    assert not Attempt.objects.filter(offline=True).exists()


def test_outsider_cannot_enter_results_for_another_enterprise(as_user, sue, world, ent_b):
    client = as_user(sue)
    target = reverse("exam_attempt:offline") + f"?exam={world['exam'].pk}"
    page = client.get(target)
    assert page.status_code == 200
    assert world["exam"] not in set(page.context["form"].fields["exam"].queryset)
    assert world["exam"].title not in page.content.decode()
    employee = world["people"][2]
    response = client.post(target, _entry(world, employee, "90"))
    assert response.status_code == 200
    assert {"exam", "employee"} <= set(response.context["form"].errors)
    assert not Attempt.objects.filter(offline=True).exists()


def test_outsider_cannot_fetch_an_answer_sheet_scan(as_user, tina, sue, world):
    as_user(tina).post(
        reverse("exam_attempt:offline"),
        {"exam": world["exam"].pk, "employee": world["people"][2].pk, "score": "70", "evidence": _sheet()},
    )
    attempt = Attempt.objects.get(offline=True)
    assert as_user(sue).get(reverse("exam_attempt:evidence", args=(attempt.pk,))).status_code == 404


# --- answer sheets -----------------------------------------------------------------------------


def test_answer_sheet_shows_responses_keys_and_points_and_is_read_only(as_user, sam, world):
    attempt = world["attempts"][1]
    client = as_user(sam)
    page = client.get(url("exam_attempt", "inspect", attempt)).content.decode()
    assert "作答详情" in page and "发现有人触电" in page
    assert "0 / 40" in page
    with pytest.raises(Exception):
        reverse("exam_attempt:edit", args=(attempt.pk,))
    assert client.post(f"/admin/exams/attempt/edit/{attempt.pk}/", {}).status_code == 404
    assert client.post(f"/admin/exams/attempt/delete/{attempt.pk}/", {}).status_code == 404


# --- dashboard ---------------------------------------------------------------------------------


@pytest.fixture
def upcoming(world, ent_a):
    opens = timezone.now() + dt.timedelta(days=2)
    return make_exam(
        ent_a, world["paper"], title="下周安全考试", opens_at=opens, closes_at=opens + dt.timedelta(hours=4)
    )


def test_dashboard_panel_lists_upcoming_exams_with_counts(as_user, sam, charlie, upcoming):
    page = as_user(sam).get(reverse("wagtailadmin_home")).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    panel = soup.find(id="exams-upcoming-content")
    assert panel is not None
    row = next(tr for tr in panel.select("tbody tr") if "下周安全考试" in tr.get_text())
    cells = [td.get_text(strip=True) for td in row.find_all("td")]
    assert "未开始" in cells[0]
    assert cells[-4:] == ["3", "0", "0", "3"]  # 应考 已考 合格 未参加
    assert "华兴 2026 年度安全考试" not in panel.get_text()  # closed exams are not listed
    other = BeautifulSoup(as_user(charlie).get(reverse("wagtailadmin_home")).content.decode(), "html.parser")
    assert "下周安全考试" not in (other.find(id="exams-upcoming-content") or other).get_text()


def test_dashboard_panel_queries_do_not_grow_with_examinees(rf, sam, world, upcoming):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exams.admin.dashboard import ExamsPanel

    request = rf.get("/admin/")
    request.user = sam

    def count():
        with CaptureQueriesContext(connection) as ctx:
            panel = ExamsPanel.for_request(request)
        return len(ctx), panel

    count()  # warm the user's role cache
    small, panel = count()
    assert [row["exam"] for row in panel.rows] == [upcoming]
    for _i in range(20):
        EmployeeFactory(enterprise=upcoming.enterprise, is_principal=True)
    large, panel = count()
    assert small == large
    assert panel.rows[0]["audience"] == 23 and panel.rows[0]["not_taken"] == 23


def test_no_dashboard_panel_without_an_enterprise(rf, db):
    from exams.admin.dashboard import ExamsPanel

    request = rf.get("/admin/")
    request.user = UserFactory()
    assert ExamsPanel.for_request(request) is None


def test_enterprise_admin_can_build_exams(as_user, dora, world):
    assert as_user(dora).get(url("exam", "add")).status_code == 200
    assert as_user(dora).get(reverse("exam_attempt:offline")).status_code == 200


def test_results_link_on_the_exam_row(as_user, sam, world):
    page = as_user(sam).get(url("exam", "index")).content.decode()
    assert _results(world) in page
    assert re.search(r"录入线下成绩", page)
