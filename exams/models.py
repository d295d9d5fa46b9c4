"""Question banks, papers, scheduled exams and attempts.

Banks belong to one enterprise or to the platform (``enterprise`` empty:
shared, read-only for enterprises). A question that an attempt has shown is
never edited in place: editing makes a new version, and the attempt keeps the
version it showed. Answer keys live only on Question rows and are never sent
to an examinee before their attempt is graded."""

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.archive.models import TrainingKind, TrainingLevel


class QuestionBank(models.Model):
    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.CASCADE, null=True, blank=True, related_name="question_banks",
        verbose_name=_("企业"), help_text=_("留空为平台公共题库（各企业只读）"),
    )
    name = models.CharField(_("题库名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"
    shared_when_null = True

    class Meta:
        verbose_name = _("题库")
        verbose_name_plural = _("题库")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="bank_name_unique_per_enterprise"),
            models.UniqueConstraint(fields=["name"], condition=Q(enterprise__isnull=True), name="bank_name_unique_platform"),
        ]

    def __str__(self):
        return self.name


class QuestionCategory(models.Model):
    """A node of a bank's category tree (e.g. 通用知识 / 危险化学品 / 储存)."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="categories", verbose_name=_("题库"))
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("上级分类")
    )
    name = models.CharField(_("分类名称"), max_length=100)
    path = models.CharField(_("分类路径"), max_length=500, editable=False, help_text=_("以 / 分隔的完整路径"))

    tenant_path = "bank__enterprise"
    shared_when_null = True

    class Meta:
        verbose_name = _("题目分类")
        verbose_name_plural = _("题目分类")
        ordering = ["bank", "path"]
        constraints = [models.UniqueConstraint(fields=["bank", "path"], name="category_path_unique_per_bank")]

    def __str__(self):
        return self.path

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}/{self.name}" if self.parent_id else self.name
        super().save(*args, **kwargs)


class QuestionType(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")
    TRUE_FALSE = "true_false", _("判断题")
    FILL_BLANK = "fill_blank", _("填空题")


class Difficulty(models.IntegerChoices):
    EASY = 1, _("容易")
    MEDIUM = 2, _("中等")
    HARD = 3, _("困难")


class QuestionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)


class Question(models.Model):
    """One version of a question.

    ``options``: [{"key": "A", "text": "…"}, …] for choice questions.
    ``answer``: ["A"] / ["A", "C"] for choice, [true] / [false] for true/false,
    and for fill-in one list of accepted answers per blank: [["答案", "别名"], …].
    """

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions", verbose_name=_("题库"))
    category = models.ForeignKey(
        QuestionCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="questions", verbose_name=_("分类")
    )
    type = models.CharField(_("题型"), max_length=16, choices=QuestionType.choices)
    stem = models.TextField(_("题干"))
    stem_image = models.ForeignKey(
        "wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("题干图片")
    )
    options = models.JSONField(_("选项"), default=list, blank=True)
    answer = models.JSONField(_("答案"))
    explanation = models.TextField(_("解析"), blank=True)
    difficulty = models.PositiveSmallIntegerField(_("难度"), choices=Difficulty.choices, default=Difficulty.MEDIUM)
    tags = models.CharField(_("知识点"), max_length=200, blank=True)
    applicability = models.JSONField(
        _("适用范围"), default=dict, blank=True, help_text=_('如 {"industries": [...], "posts": [...], "roles": [...]}')
    )
    fingerprint = models.CharField(max_length=64, editable=False, db_index=True, help_text=_("用于查重的题干与选项摘要"))
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version", editable=False
    )
    is_current = models.BooleanField(_("当前版本"), default=True, editable=False)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    objects = QuestionQuerySet.as_manager()

    tenant_path = "bank__enterprise"
    shared_when_null = True

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["bank", "category", "id"]
        indexes = [models.Index(fields=["bank", "is_current", "type", "difficulty"])]

    def __str__(self):
        return self.stem[:40]


class Paper(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", _("固定试卷")
        RANDOM = "random", _("按规则随机抽题")

    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.CASCADE, related_name="papers", verbose_name=_("企业")
    )
    name = models.CharField(_("试卷名称"), max_length=200)
    kind = models.CharField(_("组卷方式"), max_length=8, choices=Kind.choices, default=Kind.RANDOM)
    shuffle_questions = models.BooleanField(_("题目乱序"), default=True)
    shuffle_options = models.BooleanField(_("选项乱序"), default=True)
    multiple_partial_credit = models.BooleanField(
        _("多选题部分得分"), default=False, help_text=_("勾选后：无错选时每个正确选项得 0.5 分；默认全对才得分")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("试卷")
        verbose_name_plural = _("试卷")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class PaperQuestion(models.Model):
    """A question of a fixed paper (pinned to a version)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="fixed_questions", verbose_name=_("试卷"))
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("题目"))
    points = models.DecimalField(_("分值"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    tenant_path = "paper__enterprise"

    class Meta:
        verbose_name = _("固定题目")
        verbose_name_plural = _("固定题目")
        ordering = ["paper", "position"]
        constraints = [models.UniqueConstraint(fields=["paper", "question"], name="paper_question_unique")]


class PaperRule(models.Model):
    """Draw ``count`` current questions of a type (and optionally a category
    subtree and difficulty) from a bank, ``points`` each."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="rules", verbose_name=_("试卷"))
    bank = models.ForeignKey(QuestionBank, on_delete=models.PROTECT, related_name="+", verbose_name=_("题库"))
    category = models.ForeignKey(
        QuestionCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("分类（含子分类）")
    )
    type = models.CharField(_("题型"), max_length=16, choices=QuestionType.choices)
    difficulty = models.PositiveSmallIntegerField(_("难度"), choices=Difficulty.choices, null=True, blank=True)
    count = models.PositiveSmallIntegerField(_("抽题数"), validators=[MinValueValidator(1), MaxValueValidator(500)])
    points = models.DecimalField(_("每题分值"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    tenant_path = "paper__enterprise"

    class Meta:
        verbose_name = _("抽题规则")
        verbose_name_plural = _("抽题规则")
        ordering = ["paper", "position", "id"]


class Exam(models.Model):
    class ReviewPolicy(models.TextChoices):
        SCORE_ONLY = "score_only", _("只显示成绩")
        ANSWERS_AFTER_CLOSE = "after_close", _("考试结束后显示答案与解析")

    enterprise = models.ForeignKey("workforce.Enterprise", on_delete=models.CASCADE, related_name="exams", verbose_name=_("企业"))
    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="exams", verbose_name=_("试卷"))
    title = models.CharField(_("考试名称"), max_length=200)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    duration_minutes = models.PositiveSmallIntegerField(_("考试时长（分钟）"), validators=[MinValueValidator(1)])
    pass_score = models.DecimalField(_("及格分"), max_digits=5, decimal_places=1, default=80)
    attempts_allowed = models.PositiveSmallIntegerField(_("允许考试次数"), default=2, validators=[MinValueValidator(1)])
    review_policy = models.CharField(_("查看答卷"), max_length=16, choices=ReviewPolicy.choices, default=ReviewPolicy.SCORE_ONLY)
    audience = models.JSONField(
        _("考试对象"), default=dict, blank=True,
        help_text=_('{"roles": ["principal"], "posts": ["A-OP"], "units": ["A-W1"], "principals_and_safety_managers": true}'),
    )
    # What a graded attempt writes into the archive (and so which obligations it can satisfy).
    record_kind = models.CharField(_("计入档案的培训类别"), max_length=32, choices=TrainingKind.choices, default=TrainingKind.OTHER)
    record_level = models.CharField(_("计入档案的教育层级"), max_length=16, choices=TrainingLevel.choices, blank=True, default="")
    record_post = models.ForeignKey(
        "workforce.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("针对岗位")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("考试")
        verbose_name_plural = _("考试")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="exam_window_order"),
        ]

    def __str__(self):
        return self.title

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at


def _attempt_token() -> str:
    return secrets.token_urlsafe(24)


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("答题中")
        SUBMITTED = "submitted", _("已交卷")
        GRADED = "graded", _("已评分")

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("考试"))
    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="attempts", verbose_name=_("考生"))
    number = models.PositiveSmallIntegerField(_("第几次"), default=1)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    deadline = models.DateTimeField(_("截止时间"))
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("到时自动交卷"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    # [{"q": question_id, "points": "2.0", "options": ["C", "A", "B", "D"]}, …] — the order shown and
    # the shown→original option mapping (shown letter i is original key options[i]).
    layout = models.JSONField(_("试卷布局"), default=list)
    token = models.CharField(max_length=64, default=_attempt_token, editable=False)
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=1, null=True, blank=True)
    max_score = models.DecimalField(_("满分"), max_digits=6, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("合格"), null=True)
    offline = models.BooleanField(_("线下纸质考试"), default=False)
    evidence = models.FileField(_("答题卡扫描件"), upload_to="exams/sheets/", blank=True)
    # SHA-256 of the scan taken when it was attached (verify_archive checks it).
    evidence_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    record = models.OneToOneField(
        "archive.TrainingRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="attempt", verbose_name=_("档案记录")
    )
    graded_at = models.DateTimeField(_("评分时间"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    tenant_path = "exam__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "employee"], condition=Q(status="in_progress"), name="attempt_one_open_per_exam"
            ),
            models.UniqueConstraint(fields=["exam", "employee", "number"], name="attempt_number_unique"),
        ]

    def __str__(self):
        return f"{self.employee} · {self.exam} · 第{self.number}次"

    def is_late(self, at=None) -> bool:
        return (at or timezone.now()) >= self.deadline

    def seconds_left(self, at=None) -> int:
        return max(0, int((self.deadline - (at or timezone.now())).total_seconds()))

    @staticmethod
    def deadline_for(exam: Exam, started_at: dt.datetime) -> dt.datetime:
        """Start + duration, capped by the exam window."""
        return min(started_at + dt.timedelta(minutes=exam.duration_minutes), exam.closes_at)


class AttemptAnswer(models.Model):
    """The latest saved answer to one question of an attempt (autosave upserts)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers", verbose_name=_("答卷"))
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("题目"))
    response = models.JSONField(_("作答"), default=list)
    saved_at = models.DateTimeField(_("保存时间"), default=timezone.now)
    # The answering page's sequence number of the save that wrote this row: a
    # save with a smaller or equal one (a replayed or overtaken request) never
    # overwrites it (services.attempt_save_answer).
    seq = models.PositiveBigIntegerField(_("保存序号"), default=0)
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)

    tenant_path = "attempt__exam__enterprise"
    owner_path = "attempt__employee__user"

    class Meta:
        verbose_name = _("作答")
        verbose_name_plural = _("作答")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="answer_unique_per_question")]
