"""Answer keys in the back office: principals and safety managers are back-office
users *and* the audience of the annual exam, so the back office must not hand
them the key of the paper they are sitting. Keys, explanations and per-question
marks are shown to exam managers only, and never while they sit an exam."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import services
from exams.models import Attempt
from tests.factories import EmployeeFactory

from .admin_helpers import sam, sit, url, world  # noqa: F401  (fixtures)
from .engine_helpers import exam as make_exam
from .engine_helpers import make_principal

pytestmark = pytest.mark.django_db

KEY_MARKERS = ("解析：先断电。", "class=\"anxun-options__correct\"", "作答详情")


@pytest.fixture
def open_exam(world, ent_a):
    """An exam of A open right now, on the world's paper (single question: key A, 解析：先断电。)."""
    now = timezone.now()
    return make_exam(
        ent_a,
        world["paper"],
        title="华兴 年度考试（进行中）",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=2),
        duration_minutes=60,
    )


def _pages(client, world, own_attempt):
    q = world["questions"][0]
    return {
        "question": client.get(url("exam_question", "inspect", q)).content.decode(),
        "own sheet": client.get(url("exam_attempt", "inspect", own_attempt)).content.decode(),
        "colleague's graded sheet": client.get(url("exam_attempt", "inspect", world["attempts"][0])).content.decode(),
    }


def test_a_principal_sitting_the_annual_exam_finds_no_key_in_the_back_office(as_user, world, open_exam, tree_a):
    principal = make_principal(world["exam"].enterprise, tree_a[0])
    attempt = services.attempt_start(open_exam, principal.employee)
    client = as_user(principal)
    for name, page in _pages(client, world, attempt).items():
        for marker in KEY_MARKERS:
            assert marker not in page, (name, marker)
    assert "答案与解析仅向考试管理人员显示" in _pages(client, world, attempt)["question"]


def test_hr_reads_questions_and_scores_but_not_keys(as_user, alice, world):
    client = as_user(alice)
    q = world["questions"][0]
    page = client.get(url("exam_question", "inspect", q)).content.decode()
    assert q.stem in page and "切断电源" in page
    assert "解析：先断电。" not in page and "class=\"anxun-options__correct\"" not in page
    sheet = client.get(url("exam_attempt", "inspect", world["attempts"][1])).content.decode()
    assert "0 / 100" in sheet and "作答详情" not in sheet


def test_an_exam_manager_loses_the_keys_while_sitting_an_exam_and_gets_them_back_after(
    as_user, sam, world, open_exam, ent_a, tree_a
):
    employee = EmployeeFactory(enterprise=ent_a, user=sam, org_unit=tree_a[0], is_safety_manager=True, name="萨姆")
    client = as_user(sam)
    q = world["questions"][0]
    export = reverse("exams_import:export", args=(world["bank"].pk, "xlsx"))
    assert "解析：先断电。" in client.get(url("exam_question", "inspect", q)).content.decode()
    assert client.get(export).status_code == 200

    attempt = services.attempt_start(open_exam, employee)
    pages = _pages(client, world, attempt)
    for name, page in pages.items():
        for marker in KEY_MARKERS:
            assert marker not in page, (name, marker)
    assert client.get(export).status_code == 403
    edit = client.get(url("exam_question", "edit", q))
    assert edit.status_code == 302 and edit["Location"] == url("exam_question", "index")

    services.attempt_submit(attempt, actor=sam)
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.GRADED
    assert "解析：先断电。" in client.get(url("exam_question", "inspect", q)).content.decode()
    assert "作答详情" in client.get(url("exam_attempt", "inspect", world["attempts"][0])).content.decode()
    assert client.get(export).status_code == 200
    assert client.get(url("exam_question", "edit", q)).status_code == 200


def test_an_overdue_attempt_does_not_lock_the_manager_out(as_user, sam, world, ent_a, tree_a):
    employee = EmployeeFactory(enterprise=ent_a, user=sam, org_unit=tree_a[0], is_safety_manager=True)
    sit(world["exam"], employee)  # graded, long ago
    assert not services.sitting_an_exam(sam)
    assert services.keys_visible(sam, ent_a.pk) and services.keys_visible(sam, None)


def test_keys_for_platform_banks_need_an_exam_manager_somewhere(alice, sam, charlie, ent_b):
    assert services.keys_visible(sam, None)
    assert not services.keys_visible(alice, None) and not services.keys_visible(charlie, None)
    assert not services.keys_visible(sam, ent_b.pk)
