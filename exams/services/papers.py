"""Papers: saving one with its fixed questions and drawing rules, checking
that the banks can satisfy it, and drawing one attempt's layout."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from itertools import combinations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lms.accounts.roles import Capability
from lms.accounts.scoping import can

from ..models import Paper, PaperQuestion, PaperRule, Question, QuestionType
from ..selectors import paper_total
from .base import ExamError

# Sections of a shuffled paper, in the order examinees expect (单选 → 多选 → 判断 → 填空).
TYPE_ORDER = {QuestionType.SINGLE: 0, QuestionType.MULTIPLE: 1, QuestionType.TRUE_FALSE: 2, QuestionType.FILL_BLANK: 3}


# Subsets of rules examined to name the overlapping ones when a paper cannot be drawn.
MAX_RULES_FOR_OVERLAP_REPORT = 10


def _rule_label(index: int, rule: PaperRule) -> str:
    parts = [QuestionType(rule.type).label]
    if rule.category_id:
        parts.append(_("分类“%(c)s”") % {"c": rule.category.path})
    if rule.difficulty:
        parts.append(_("难度“%(d)s”") % {"d": rule.get_difficulty_display()})
    return _("抽题规则 #%(n)s（%(what)s）") % {"n": index, "what": "，".join(str(p) for p in parts)}


def _rule_pool(rule: PaperRule) -> list[int]:
    """Ids of the current questions a rule may draw (category includes its subtree)."""
    qs = Question.objects.current().filter(bank_id=rule.bank_id, type=rule.type)
    if rule.category_id:
        qs = qs.filter(Q(category_id=rule.category_id) | Q(category__path__startswith=rule.category.path + "/"))
    if rule.difficulty:
        qs = qs.filter(difficulty=rule.difficulty)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _match(counts: list[int], pools: list[list[int]]) -> list[list[int]] | None:
    """Distinct questions for every rule: ``counts[i]`` from ``pools[i]``, or
    None if impossible. Augmenting paths (a bipartite b-matching), so overlapping
    rules are satisfied whenever any assignment exists. The pools' order decides
    which questions are picked first (shuffle them for a random draw)."""
    slot_rule = [i for i, count in enumerate(counts) for _n in range(count)]
    slot_q: dict[int, int] = {}
    q_slot: dict[int, int] = {}
    for start in range(len(slot_rule)):
        parent: dict[int, int] = {}
        queue, seen, found = deque([start]), {start}, None
        while queue and found is None:
            slot = queue.popleft()
            for q in pools[slot_rule[slot]]:
                if q in parent:
                    continue
                parent[q] = slot
                owner = q_slot.get(q)
                if owner is None:
                    found = q
                    break
                if owner not in seen:
                    seen.add(owner)
                    queue.append(owner)
        if found is None:
            return None
        q = found
        while True:
            slot = parent[q]
            previous = slot_q.get(slot)
            slot_q[slot], q_slot[q] = q, slot
            if slot == start:
                break
            q = previous
    drawn: list[list[int]] = [[] for _c in counts]
    for slot, rule_index in enumerate(slot_rule):
        drawn[rule_index].append(slot_q[slot])
    return drawn


def _overlap_problem(rules: list[PaperRule], pools: list[list[int]]) -> str:
    """Name the rules whose combined need exceeds the distinct questions they share."""
    n = len(rules)
    if n <= MAX_RULES_FOR_OVERLAP_REPORT:
        for size in range(2, n + 1):
            for combo in combinations(range(n), size):
                available = len(set().union(*(pools[i] for i in combo)))
                needed = sum(rules[i].count for i in combo)
                if available < needed:
                    return _(
                        "%(rules)s 的题目范围互相重叠：合计需要 %(need)s 道题，题库中符合条件的不同题目只有 %(have)s 道"
                    ) % {"rules": "、".join(f"#{i + 1}" for i in combo), "need": needed, "have": available}
    return _("各抽题规则的题目范围互相重叠，题库中没有足够的不同题目同时满足所有规则")


def paper_check(paper: Paper) -> Decimal:
    """Refuse (ExamError, every problem listed in Chinese) a paper that cannot
    be drawn: a rule asking for more questions than its bank has (naming the
    rule, how many it needs and how many the bank has), rules that overlap
    beyond what the bank can satisfy together, a bank or category of another
    enterprise, an empty paper or a paper worth 0 points. Returns the total."""
    problems: list[str] = []
    if paper.kind == Paper.Kind.FIXED:
        items = list(paper.fixed_questions.select_related("question__bank"))
        if not items:
            problems.append(_("固定试卷还没有题目，请先添加题目"))
        for pq in items:
            bank = pq.question.bank
            if bank.enterprise_id not in (None, paper.enterprise_id):
                problems.append(_("题目“%(q)s”属于其他企业的题库，不能使用") % {"q": pq.question.stem[:30]})
    else:
        rules = list(paper.rules.select_related("bank", "category").order_by("position", "pk"))
        if not rules:
            problems.append(_("随机试卷还没有抽题规则，请至少添加一条规则"))
        pools = []
        for index, rule in enumerate(rules, start=1):
            label = _rule_label(index, rule)
            if rule.bank.enterprise_id not in (None, paper.enterprise_id):
                problems.append(
                    _("%(rule)s：题库“%(bank)s”属于其他企业，不能使用") % {"rule": label, "bank": rule.bank}
                )
                pools.append([])
                continue
            if rule.category_id and rule.category.bank_id != rule.bank_id:
                problems.append(_("%(rule)s：分类不属于题库“%(bank)s”") % {"rule": label, "bank": rule.bank})
                pools.append([])
                continue
            pool = _rule_pool(rule)
            pools.append(pool)
            if len(pool) < rule.count:
                problems.append(
                    _("%(rule)s需要 %(need)s 道题，题库“%(bank)s”中符合条件的只有 %(have)s 道")
                    % {"rule": label, "need": rule.count, "bank": rule.bank, "have": len(pool)}
                )
        if rules and not problems and _match([r.count for r in rules], pools) is None:
            problems.append(_overlap_problem(rules, pools))
    total = paper_total(paper)
    if not problems and total <= 0:
        problems.append(_("试卷总分为 0，请设置每题分值"))
    if problems:
        raise ExamError(problems, code="paper_unsatisfiable")
    return total


@transaction.atomic
def paper_save(
    *,
    paper: Paper,
    fixed: Iterable[PaperQuestion],
    rules: Iterable[PaperRule],
    removed: Iterable[PaperQuestion | PaperRule] = (),
    actor,
) -> Paper:
    """Save a paper with its fixed questions and drawing rules (deleting the
    ``removed`` ones first), then check it with :func:`paper_check`; a paper
    that cannot be drawn is refused (ExamError) and nothing is saved."""
    if not can(actor, Capability.MANAGE_EXAMS, paper.enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的考试"))
    paper.full_clean()
    paper.save()
    for row in removed:
        row.delete()
    for row in [*fixed, *rules]:
        row.paper = paper
        row.save()
    paper_check(paper)
    return paper


def paper_draw(paper: Paper, rng: random.Random) -> list[dict]:
    """A fresh layout for one attempt: the questions (pinned versions), their
    points, type, the shown→original option order and the number of blanks.

    Random papers draw distinct current questions per rule; with
    ``shuffle_questions`` the questions are shuffled within type sections
    (单选, 多选, 判断, 填空); with ``shuffle_options`` the options of choice
    questions are shuffled. Raises ExamError if the bank no longer suffices."""
    picked: list[tuple[int, Decimal]] = []
    if paper.kind == Paper.Kind.FIXED:
        for pq in paper.fixed_questions.order_by("position", "pk"):
            picked.append((pq.question_id, Decimal(pq.points)))
    else:
        rules = list(paper.rules.select_related("category").order_by("position", "pk"))
        pools = []
        for rule in rules:
            pool = _rule_pool(rule)
            rng.shuffle(pool)
            pools.append(pool)
        drawn = _match([r.count for r in rules], pools)
        if drawn is None:
            paper_check(paper)  # names the rule that no longer fits
            raise ExamError(_("题库题目不足，无法组卷"), code="paper_unsatisfiable")
        for rule, ids in zip(rules, drawn, strict=True):
            picked.extend((qid, Decimal(rule.points)) for qid in ids)
    if not picked:
        raise ExamError(_("试卷没有题目，无法开始考试"), code="paper_unsatisfiable")
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=[qid for qid, _p in picked]).only("pk", "type", "options", "answer")
    }
    layout = []
    for qid, points in picked:
        q = questions[qid]
        item = {"q": qid, "points": f"{points:.1f}", "type": q.type}
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            keys = [str(o["key"]) for o in q.options]
            if paper.shuffle_options:
                rng.shuffle(keys)
            item["options"] = keys
        elif q.type == QuestionType.FILL_BLANK:
            item["blanks"] = max(1, len(q.answer or []))
        layout.append(item)
    if paper.shuffle_questions:
        rng.shuffle(layout)
        layout.sort(key=lambda item: TYPE_ORDER.get(item["type"], 9))
    return layout
