"""The exam engine's services: papers (checks and draws), exams and their
audience, starting and resuming attempts, autosave, submission once,
auto-submission at the deadline, offline results."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import hashlib
import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_celery_beat.models import PeriodicTask

from exams import services
from exams.models import Attempt, AttemptAnswer, Question, QuestionType
from exams.tasks import autosubmit_due_task
from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord
from lms.archive.services import EvidenceProblem, evidence_verify
from tests.factories import EmployeeFactory, MembershipFactory, PostAssignmentFactory, UserFactory

from .engine_helpers import (  # noqa: F401  (fixtures)
    CLOSES,
    OPENS,
    answer_all,
    at,
    bank,
    bank_a,
    category,
    exam,
    fill,
    fixed_paper,
    four_types,
    frozen,
    make_principal,
    multiple,
    principal,
    rule_paper,
    single,
    true_false,
)

pytestmark = pytest.mark.django_db


def _messages(exc) -> str:
    return " ".join(exc.value.messages)


# --- papers ------------------------------------------------------------------------------


def test_rule_asking_more_than_the_bank_has_is_refused_naming_rule_and_counts(ent_a, bank_a):
    for n in range(3):
        single(bank_a, stem=f"单选题 {n}")
    paper = rule_paper(ent_a, [{"bank": bank_a, "type": QuestionType.SINGLE, "count": 10}])
    with pytest.raises(ValidationError) as exc:
        services.paper_check(paper)
    text = _messages(exc)
    assert "抽题规则 #1" in text and "单选题" in text
    assert "需要 10 道题" in text and "只有 3 道" in text and "安全生产通用题库" in text


def test_exam_with_an_unsatisfiable_paper_is_refused_when_saved(ent_a, bank_a):
    true_false(bank_a)
    paper = rule_paper(ent_a, [{"bank": bank_a, "type": QuestionType.TRUE_FALSE, "count": 5}])
    with pytest.raises(ValidationError) as exc:
        exam(ent_a, paper)
    assert "需要 5 道题" in " ".join(exc.value.message_dict["paper"])


def test_rule_filters_by_category_subtree_and_difficulty(ent_a, bank_a):
    root = category(bank_a, "危险化学品")
    child = category(bank_a, "储存", parent=root)
    other = category(bank_a, "电气")
    single(bank_a, stem="储存 1", category=child, difficulty=3)
    single(bank_a, stem="储存 2", category=child, difficulty=1)
    single(bank_a, stem="电气 1", category=other, difficulty=3)
    paper = rule_paper(
        ent_a, [{"bank": bank_a, "type": QuestionType.SINGLE, "count": 2, "category": root, "difficulty": 3}]
    )
    with pytest.raises(ValidationError) as exc:
        services.paper_check(paper)
    assert "分类“危险化学品”" in _messages(exc) and "难度“困难”" in _messages(exc) and "只有 1 道" in _messages(exc)
    paper.rules.update(difficulty=None)
    assert services.paper_check(paper) == Decimal("4")


def test_overlapping_rules_are_refused_when_together_they_need_more_distinct_questions(ent_a, bank_a):
    fire = category(bank_a, "消防")
    other = category(bank_a, "通用")
    for n in range(2):
        single(bank_a, stem=f"消防 {n}", category=fire)
    for n in range(2):
        single(bank_a, stem=f"通用 {n}", category=other)
    # Rule 1 may take any single-choice question, rule 2 only 消防 ones: 3 + 2 > 4 distinct questions.
    paper = rule_paper(
        ent_a,
        [
            {"bank": bank_a, "type": QuestionType.SINGLE, "count": 3},
            {"bank": bank_a, "type": QuestionType.SINGLE, "count": 2, "category": fire},
        ],
    )
    with pytest.raises(ValidationError) as exc:
        services.paper_check(paper)
    assert "#1、#2" in _messages(exc) and "合计需要 5 道题" in _messages(exc) and "只有 4 道" in _messages(exc)

    single(bank_a, stem="通用 2", category=other)
    assert services.paper_check(paper) == Decimal("10")
    # Every draw satisfies both rules with distinct questions, whatever the shuffle.
    fire_ids = set(Question.objects.filter(category=fire).values_list("pk", flat=True))
    for seed in range(30):
        layout = services.paper_draw(paper, random.Random(seed))
        ids = [item["q"] for item in layout]
        assert len(ids) == len(set(ids)) == 5
        assert len(fire_ids & set(ids)) == 2


def test_bank_of_another_enterprise_cannot_feed_a_paper(ent_a, ent_b):
    foreign = bank(ent_b, name="外企业题库")
    single(foreign)
    paper = rule_paper(ent_a, [{"bank": foreign, "type": QuestionType.SINGLE, "count": 1}])
    with pytest.raises(ValidationError) as exc:
        services.paper_check(paper)
    assert "属于其他企业" in _messages(exc)


def test_platform_bank_feeds_any_enterprise(ent_a):
    platform = bank(None, name="平台公共题库")
    single(platform)
    paper = rule_paper(ent_a, [{"bank": platform, "type": QuestionType.SINGLE, "count": 1}])
    assert services.paper_check(paper) == Decimal("2")


def test_empty_and_zero_point_papers_are_refused(ent_a, bank_a):
    with pytest.raises(ValidationError, match="还没有题目"):
        services.paper_check(fixed_paper(ent_a, []))
    with pytest.raises(ValidationError, match="总分为 0"):
        services.paper_check(fixed_paper(ent_a, [(single(bank_a), 0)]))


def test_draw_shuffles_options_per_attempt_and_groups_types(ent_a, four_types):
    paper = fixed_paper(ent_a, [(four_types[k], 2) for k in ("fill", "true_false", "multiple", "single")])
    layouts = [services.paper_draw(paper, random.Random(seed)) for seed in range(20)]
    for layout in layouts:
        assert [i["type"] for i in layout] == ["single", "multiple", "true_false", "fill_blank"]
        choice = layout[0]
        assert sorted(choice["options"]) == ["A", "B", "C", "D"]
        assert layout[3]["blanks"] == 1 and "options" not in layout[2]
        # The layout holds no answer key and no explanation.
        assert set().union(*(i.keys() for i in layout)) == {"q", "points", "type", "options", "blanks"}
    assert len({tuple(layout[0]["options"]) for layout in layouts}) > 1


def test_unshuffled_paper_keeps_author_order_and_letters(ent_a, four_types):
    order = [four_types[k] for k in ("fill", "single", "true_false")]
    paper = fixed_paper(ent_a, [(q, 1) for q in order], shuffle=False)
    layout = services.paper_draw(paper, random.Random(1))
    assert [i["q"] for i in layout] == [q.pk for q in order]
    assert layout[1]["options"] == ["A", "B", "C", "D"]


# --- exams and audience ----------------------------------------------------------------


def test_exam_validation_names_each_problem_in_chinese(ent_a, four_types):
    paper = fixed_paper(ent_a, [(four_types["single"], 100)])
    bad = {
        "closes_at": OPENS,
        "pass_score": Decimal("120"),
        "audience": {"posts": ["NO-SUCH"]},
    }
    with pytest.raises(ValidationError) as exc:
        exam(ent_a, paper, **bad)
    errors = exc.value.message_dict
    assert errors["closes_at"] == ["结束时间必须晚于开始时间"]
    assert "百分制" in errors["pass_score"][0]
    assert "NO-SUCH" in errors["audience"][0]
    with pytest.raises(ValidationError) as exc:
        exam(ent_a, paper, duration_minutes=600)
    assert "超过了考试开放时间" in exc.value.message_dict["duration_minutes"][0]
    with pytest.raises(ValidationError) as exc:
        exam(ent_a, paper, audience={})
    assert "请至少选择一类考试对象" in exc.value.message_dict["audience"][0]


def test_only_exam_managers_of_the_enterprise_schedule_exams(ent_a, ent_b, bob, alice, four_types):
    paper = fixed_paper(ent_a, [(four_types["single"], 100)])
    fields = {
        "paper": paper,
        "title": "考试",
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "duration_minutes": 30,
        "audience": {"roles": ["employee"]},
    }
    manager = UserFactory()
    MembershipFactory(user=manager, enterprise=ent_a, role=Role.SAFETY_MANAGER)
    outsider = UserFactory()
    MembershipFactory(user=outsider, enterprise=ent_b, role=Role.SAFETY_MANAGER)
    for refused in (bob, alice, outsider):  # employee, HR (reads only), another enterprise's manager
        with pytest.raises(PermissionDenied):
            services.exam_create(enterprise=ent_a, actor=refused, **fields)
    created = services.exam_create(enterprise=ent_a, actor=manager, **fields)
    updated = services.exam_update(exam=created, actor=manager, pass_score=Decimal("90"))
    assert updated.pass_score == Decimal("90")


def test_paper_cannot_be_swapped_once_someone_started(ent_a, principal, four_types):
    paper = fixed_paper(ent_a, [(four_types["single"], 100)])
    e = exam(ent_a, paper)
    services.attempt_start(e, principal.employee, now=at(10))
    other = fixed_paper(ent_a, [(four_types["multiple"], 100)], name="另一份试卷")
    with pytest.raises(ValidationError) as exc:
        services.exam_update(exam=e, actor=None, paper=other)
    assert "不能更换试卷" in exc.value.message_dict["paper"][0]


def test_audience_by_role_post_unit_subtree_and_principal_flag(ent_a, ent_b, tree_a, tree_b, four_types):
    company, workshop, team, post = tree_a
    paper = fixed_paper(ent_a, [(four_types["single"], 100)])
    on_post = EmployeeFactory(enterprise=ent_a, name="在岗")
    PostAssignmentFactory(employee=on_post, post=post)
    left_post = EmployeeFactory(enterprise=ent_a, name="已离开岗位")
    PostAssignmentFactory(employee=left_post, post=post, end_date=OPENS.date().replace(year=2025))
    in_team = EmployeeFactory(enterprise=ent_a, name="班组成员", org_unit=team)
    trainer_user = UserFactory()
    MembershipFactory(user=trainer_user, enterprise=ent_a, role=Role.TRAINER)
    trainer = EmployeeFactory(enterprise=ent_a, name="培训师", user=trainer_user)
    flagged = EmployeeFactory(enterprise=ent_a, name="安全员", is_safety_manager=True)
    role_principal = make_principal(ent_a, email="p2@example.com", name="只有角色").employee
    role_principal.is_principal = False
    role_principal.save()
    inactive = EmployeeFactory(enterprise=ent_a, name="离岗者", is_principal=True, status="on_leave")
    foreign = EmployeeFactory(enterprise=ent_b, name="外企负责人", is_principal=True, org_unit=tree_b[2])
    nobody = EmployeeFactory(enterprise=ent_a, name="旁人")

    cases = {
        "posts": ({"posts": ["A-OP"]}, {on_post}),
        "units": ({"units": ["A-W1"]}, {in_team}),  # the workshop's code finds its team's people
        "roles": ({"roles": ["trainer"]}, {trainer}),
        "flag": ({"principals_and_safety_managers": True}, {flagged, role_principal}),
    }
    everyone = [on_post, left_post, in_team, trainer, flagged, role_principal, inactive, foreign, nobody]
    for name, (audience, expected) in cases.items():
        e = exam(ent_a, paper, title=f"考试-{name}", audience=audience)
        assert set(services.exam_audience(e)) == expected, name
        for person in everyone:
            facts = services.audience_facts(person)
            assert services.audience_includes(e, facts) == (person in expected), (name, person.name)


# --- starting, resuming ----------------------------------------------------------------


@pytest.fixture
def short_exam(ent_a, four_types):
    paper = fixed_paper(ent_a, [(four_types[k], 25) for k in ("single", "multiple", "true_false", "fill")])
    return exam(ent_a, paper, attempts_allowed=2)


def test_start_is_refused_outside_the_window_and_outside_the_audience(short_exam, principal, bob):
    with pytest.raises(ValidationError) as exc:
        services.attempt_start(short_exam, principal.employee, now=at(8, 59))
    assert exc.value.code == "not_open" and "尚未开始" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.attempt_start(short_exam, principal.employee, now=CLOSES)
    assert exc.value.code == "closed"
    with pytest.raises(ValidationError) as exc:
        services.attempt_start(short_exam, bob.employee, now=at(10))
    assert exc.value.code == "not_in_audience" and exc.value.messages == ["您不是本场考试的考试对象"]
    assert not Attempt.objects.exists()


def test_start_resumes_the_open_attempt_with_a_fresh_token(short_exam, principal):
    first = services.attempt_start(short_exam, principal.employee, now=at(10))
    again = services.attempt_start(short_exam, principal.employee, now=at(10, 5))
    assert again.pk == first.pk and again.layout == first.layout
    assert again.token != first.token
    assert Attempt.objects.count() == 1
    assert first.deadline == at(11)


def test_deadline_is_capped_by_the_window(short_exam, principal):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(16, 30))
    assert attempt.deadline == CLOSES
    assert attempt.seconds_left(at(16, 50)) == 600


def test_losing_a_concurrent_start_resumes_the_winners_attempt(short_exam, principal, monkeypatch):
    real_draw = services.paper_draw
    winner = {}

    def draw_while_another_tab_starts(paper, rng):
        layout = real_draw(paper, rng)
        winner["attempt"] = Attempt.objects.create(
            exam=short_exam, employee=principal.employee, number=1, deadline=at(11), layout=layout
        )
        return layout

    monkeypatch.setattr(services.attempts, "paper_draw", draw_while_another_tab_starts)  # what attempt_start calls
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    assert attempt.pk == winner["attempt"].pk
    assert Attempt.objects.filter(exam=short_exam).count() == 1


@pytest.mark.rule("exam.authority")
def test_attempts_run_out_and_a_pass_ends_the_exam(short_exam, principal):
    employee = principal.employee
    for n in range(2):
        attempt = services.attempt_start(short_exam, employee, now=at(10 + n))
        answer_all(attempt, correct=False, now=at(10 + n, 5))
        graded = services.attempt_submit(attempt, now=at(10 + n, 10))
        assert graded.passed is False and graded.number == n + 1
    with pytest.raises(ValidationError) as exc:
        services.attempt_start(short_exam, employee, now=at(13))
    assert exc.value.code == "no_attempts_left" and "共 2 次" in exc.value.messages[0]

    passed_exam = exam(short_exam.enterprise, short_exam.paper, title="另一场")
    attempt = services.attempt_start(passed_exam, employee, now=at(10))
    answer_all(attempt, now=at(10, 5))
    assert services.attempt_submit(attempt, now=at(10, 6)).passed is True
    with pytest.raises(ValidationError) as exc:
        services.attempt_start(passed_exam, employee, now=at(11))
    assert exc.value.code == "passed"


# --- autosave ------------------------------------------------------------------------------


def test_autosave_upserts_one_row_per_question_and_maps_shown_letters(short_exam, principal, four_types):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10), rng=random.Random(7))
    q = four_types["multiple"]
    item = next(i for i in attempt.layout if i["q"] == q.pk)
    saved = services.attempt_save_answer(attempt, attempt.token, q.pk, ["A"], now=at(10, 1))
    assert saved == (at(10, 1), True)  # SaveResult(saved_at, applied)
    services.attempt_save_answer(attempt, attempt.token, q.pk, ["c", "Ａ"], now=at(10, 2))
    rows = AttemptAnswer.objects.filter(attempt=attempt)
    assert rows.count() == 1
    row = rows.get()
    assert row.saved_at == at(10, 2)
    assert row.response == [item["options"][0], item["options"][2]]  # original keys of shown A and C


@pytest.mark.parametrize(
    "kind, response, message",
    [
        ("single", ["A", "B"], "单选题只能选择一个选项"),
        ("single", ["E"], "选项不存在"),
        ("multiple", ["A", "A"], "选项重复"),
        ("multiple", "A", "答案格式不正确"),
        ("true_false", ["对"], "判断题只能选择"),
        ("true_false", [1], "判断题只能选择"),
        ("fill", ["预防", "多余"], "应填写 1 个空"),
        ("fill", ["长" * 201], "最多 200 个字"),
    ],
)
def test_autosave_refuses_responses_that_do_not_fit_the_question(
    short_exam, principal, four_types, kind, response, message
):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    with pytest.raises(ValidationError) as exc:
        services.attempt_save_answer(attempt, attempt.token, four_types[kind].pk, response, now=at(10, 1))
    assert exc.value.code == "bad_response" and message in exc.value.messages[0]
    assert not AttemptAnswer.objects.exists()


def test_autosave_refuses_a_question_not_on_the_paper(short_exam, principal, bank_a):
    stranger = single(bank_a, stem="不在试卷上的题")
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    for qid in (stranger.pk, "abc", None):
        with pytest.raises(ValidationError) as exc:
            services.attempt_save_answer(attempt, attempt.token, qid, ["A"], now=at(10, 1))
        assert exc.value.code == "unknown_question"


# --- submission, late answers, auto-submission ----------------------------------------------


def test_submit_grades_once_and_writes_one_record(short_exam, principal):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 10))
    first = services.attempt_submit(attempt, actor=principal, now=at(10, 20))
    second = services.attempt_submit(attempt, actor=principal, now=at(10, 21))
    assert first.status == second.status == Attempt.Status.GRADED
    assert second.submitted_at == at(10, 20) and second.score == Decimal("100")
    assert TrainingRecord.objects.filter(employee=principal.employee).count() == 1


def test_only_the_examinee_or_a_manager_may_submit(short_exam, principal, bob):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    with pytest.raises(PermissionDenied):
        services.attempt_submit(attempt, actor=bob, now=at(10, 5))
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.IN_PROGRESS


def test_answers_saved_before_the_deadline_count_and_nothing_after(short_exam, principal, four_types):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 30), skip={four_types["fill"].pk})
    with pytest.raises(ValidationError) as exc:
        services.attempt_save_answer(attempt, attempt.token, four_types["fill"].pk, ["预防"], now=at(11))
    assert exc.value.code == "late" and "答案未保存" in exc.value.messages[0]
    # A row that somehow carries a time after the deadline earns nothing either.
    AttemptAnswer.objects.filter(attempt=attempt, question=four_types["single"]).update(saved_at=at(11, 0, 1))
    graded = services.attempt_submit(attempt, actor=principal, now=at(11, 5))
    assert graded.submitted_at == at(11)  # a late submission is stamped at the deadline
    assert graded.score == Decimal("50") and graded.max_score == Decimal("100") and graded.passed is False
    points = dict(AttemptAnswer.objects.filter(attempt=attempt).values_list("question_id", "points"))
    assert points[four_types["single"].pk] == 0 and points[four_types["fill"].pk] == 0


def test_due_attempts_are_submitted_by_the_task_once(short_exam, principal, ent_a, four_types):
    other = make_principal(ent_a, email="other@example.com", name="另一位负责人")
    due = services.attempt_start(short_exam, principal.employee, now=at(10))
    answer_all(due, now=at(10, 30))
    running = services.attempt_start(short_exam, other.employee, now=at(10, 30))
    assert services.attempts_autosubmit_due(now=at(11, 0, 30)) == 1
    assert services.attempts_autosubmit_due(now=at(11, 0, 30)) == 0
    due.refresh_from_db()
    running.refresh_from_db()
    assert due.status == Attempt.Status.GRADED and due.auto_submitted and due.passed
    assert running.status == Attempt.Status.IN_PROGRESS
    with frozen(at(11, 31)):
        assert autosubmit_due_task.delay().get() == 1
    running.refresh_from_db()
    assert running.status == Attempt.Status.GRADED and running.score == 0
    assert TrainingRecord.objects.count() == 2
    record = TrainingRecord.objects.get(employee=principal.employee)
    assert "到时自动交卷" in record.content


def test_an_overdue_attempt_is_submitted_on_the_next_start(short_exam, principal):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    answer_all(attempt, correct=False, now=at(10, 5))
    fresh = services.attempt_start(short_exam, principal.employee, now=at(12))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.auto_submitted
    assert fresh.pk != attempt.pk and fresh.number == 2


def test_auto_submit_runs_every_minute_from_beat():
    task = PeriodicTask.objects.get(name="考试到时自动交卷")
    assert task.task == "exams.autosubmit_due" and task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")


# --- the record in the archive --------------------------------------------------------------


def test_principal_annual_exam_passed_lands_in_the_archive_with_score_and_pass(short_exam, principal):
    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 20))
    graded = services.attempt_submit(attempt, actor=principal, now=at(10, 25))
    record = graded.record
    assert record is not None and record.employee == principal.employee
    assert (record.kind, record.assessment_result, record.get_assessment_result_display()) == (
        "principal",
        "passed",
        "合格",
    )
    assert record.score == Decimal("100.0") and record.assessment_method == "考试"
    assert (record.source, record.source_ref) == ("exam", f"exam:{short_exam.pk}/attempt:{attempt.pk}")
    assert (record.start_at, record.end_at) == (at(10), at(10, 25))
    assert record.place == "在线考试" and record.trainer == "系统阅卷" and record.hours == 0
    assert record.title == short_exam.title and record.content.startswith("考试：")


@pytest.mark.rule("exam.in_house_pass")
def test_pass_compares_the_percentage_with_the_pass_score(ent_a, bank_a, principal):
    # A 50-point paper: 40/50 = 80 % passes an 80-point bar, 39.5/50 = 79 % does not.
    qs = [single(bank_a, stem=f"题 {n}") for n in range(4)]
    partial = multiple(bank_a, stem="多选部分得分")
    paper = fixed_paper(ent_a, [(q, 10) for q in qs] + [(partial, 10)], partial=True)
    e = exam(ent_a, paper, pass_score=Decimal("80"))
    attempt = services.attempt_start(e, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 1), skip={partial.pk})
    graded = services.attempt_submit(attempt, now=at(10, 2))
    assert (graded.score, graded.max_score, graded.passed) == (Decimal("40"), Decimal("50"), True)
    assert graded.record.score == Decimal("80.0")

    e2 = exam(ent_a, paper, title="补考", pass_score=Decimal("80"))
    attempt = services.attempt_start(e2, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 1), skip={partial.pk, qs[0].pk})
    item = next(i for i in attempt.layout if i["q"] == partial.pk)
    services.attempt_save_answer(  # one correct option of three: 0.5 points
        attempt, attempt.token, partial.pk, [services.LETTERS[item["options"].index("A")]], now=at(10, 1)
    )
    graded = services.attempt_submit(attempt, now=at(10, 2))
    assert (graded.score, graded.passed) == (Decimal("30.5"), False)
    assert graded.record.assessment_result == "failed" and graded.record.score == Decimal("61.0")


def test_attempt_keeps_the_question_version_it_showed(short_exam, principal, four_types):
    from exams.question_services import question_update

    attempt = services.attempt_start(short_exam, principal.employee, now=at(10))
    answer_all(attempt, now=at(10, 5))
    old = four_types["single"]
    new = question_update(question=old, actor=None, answer=["B"], stem="发现有人触电，首先应当？（修订）")
    assert new.pk != old.pk and new.version == 2
    graded = services.attempt_submit(attempt, now=at(10, 10))
    assert graded.score == Decimal("100")  # graded against the version shown (answer A)
    assert old.pk in [i["q"] for i in graded.layout]


# --- offline (paper) exams -------------------------------------------------------------------


def _sheet(name="答题卡.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 scanned sheet", content_type="application/pdf")


def test_trainer_enters_a_paper_exam_score_with_the_scanned_sheet(short_exam, principal, ent_a):
    trainer = UserFactory(full_name="王老师")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    attempt = services.offline_result_enter(
        short_exam, principal.employee, Decimal("86"), _sheet(), trainer, taken_at=at(14), now=at(16)
    )
    assert attempt.offline and attempt.status == Attempt.Status.GRADED and attempt.passed
    assert (attempt.score, attempt.max_score, attempt.entered_by) == (Decimal("86.0"), Decimal("100"), trainer)
    assert attempt.evidence.read() == b"%PDF-1.4 scanned sheet"
    record = attempt.record
    assert record.assessment_result == "passed" and record.score == Decimal("86.0")
    assert record.place == "线下考试" and record.trainer == "阅卷：王老师" and record.evidence_sha256
    assert "线下纸质考试" in record.content


def test_the_scanned_sheet_is_hashed_and_checked_by_verify_archive(short_exam, principal, ent_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    trainer = UserFactory()
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    attempt = services.offline_result_enter(
        short_exam, principal.employee, Decimal("86"), _sheet(), trainer, taken_at=at(14), now=at(16)
    )
    assert attempt.evidence_sha256 == hashlib.sha256(b"%PDF-1.4 scanned sheet").hexdigest()
    assert evidence_verify() == (2, [])  # the record's copy and the attempt's
    default_storage.delete(attempt.evidence.name)
    _checked, problems = evidence_verify()
    assert [(p.code, p.name) for p in problems] == [(EvidenceProblem.MISSING, attempt.evidence.name)]
    assert f"答卷 #{attempt.pk}" in problems[0].label


def test_offline_entry_is_refused_without_sheet_out_of_range_or_by_non_managers(short_exam, principal, alice, ent_b):
    manager = UserFactory()
    MembershipFactory(user=manager, enterprise=short_exam.enterprise, role=Role.SAFETY_MANAGER)
    with pytest.raises(ValidationError) as exc:
        services.offline_result_enter(short_exam, principal.employee, Decimal("120"), None, manager, now=at(16))
    assert "0 到 100 分" in exc.value.message_dict["score"][0]
    assert exc.value.message_dict["evidence"] == ["请上传答题卡扫描件"]
    outsider = UserFactory()
    MembershipFactory(user=outsider, enterprise=ent_b, role=Role.TRAINER)
    for refused in (alice, outsider):  # HR only reads exams; another enterprise's trainer
        with pytest.raises(PermissionDenied):
            services.offline_result_enter(short_exam, principal.employee, Decimal("90"), _sheet(), refused, now=at(16))
    assert not Attempt.objects.exists() and not TrainingRecord.objects.exists()


@pytest.mark.rule("exam.authority", "exam.in_house_pass")
def test_a_new_exam_defaults_to_the_authority_rules_pass_80_of_100_and_one_retake():
    """资格考试与证书管理暂行办法: 100 points, pass ≥ 80, one retake; in-house
    exams default to the same (a setting per exam)."""
    from exams.models import Exam

    exam_ = Exam()
    assert (exam_.pass_score, exam_.attempts_allowed) == (80, 2)
