"""Online learning (在线学习): course pages in Wagtail, enrolments, lesson
progress and server-measured study sessions.

The tree: 首页 → 在线课程 (CourseIndexPage) → 课程 (CoursePage) → 课时
(LessonPage). A course belongs to the platform (``enterprise`` empty: shared
with every enterprise) or to one enterprise (private: only its people see it,
only its editors change it). Its category says which kind (and level) of
training record a completion writes, so the archive and the obligations
understand it (lms.archive.TrainingKind / TrainingLevel,
lms.compliance.ObligationKind via COUNTS_TOWARDS).

Study time is credited by :mod:`courses.timing` only; nothing else adds
seconds to a lesson."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PagePermissionTester
from wagtail.search import index

from lms.archive.models import TrainingKind, TrainingLevel
from lms.workforce.models import RiskClass, SpecialOperation

from .blocks import LessonBodyBlock
from .forms import CoursePageForm


class CourseCategory(models.TextChoices):
    INDUCTION_COMPANY = "induction_company", _("厂级（公司级）安全教育")
    INDUCTION_WORKSHOP = "induction_workshop", _("车间级安全教育")
    INDUCTION_TEAM = "induction_team", _("班组级安全教育")
    REFRESHER = "refresher", _("年度再培训")
    SPECIAL_OPERATION = "special_operation", _("特种作业培训")
    PRINCIPAL = "principal", _("主要负责人/安全管理人员培训")
    NEW_PROCESS = "new_process", _("四新（新工艺、新技术、新材料、新设备）培训")
    OFF_POST = "off_post", _("违规违章离岗再培训")
    WARNING = "warning", _("警示教育")


# What a completed course becomes in the archive: (kind, level).
CATEGORY_RECORD = {
    CourseCategory.INDUCTION_COMPANY: (TrainingKind.INDUCTION, TrainingLevel.COMPANY),
    CourseCategory.INDUCTION_WORKSHOP: (TrainingKind.INDUCTION, TrainingLevel.WORKSHOP),
    CourseCategory.INDUCTION_TEAM: (TrainingKind.INDUCTION, TrainingLevel.TEAM),
    CourseCategory.REFRESHER: (TrainingKind.REFRESHER, TrainingLevel.NONE),
    CourseCategory.SPECIAL_OPERATION: (TrainingKind.SPECIAL_OPERATION, TrainingLevel.NONE),
    CourseCategory.PRINCIPAL: (TrainingKind.PRINCIPAL, TrainingLevel.NONE),
    CourseCategory.NEW_PROCESS: (TrainingKind.NEW_PROCESS, TrainingLevel.NONE),
    CourseCategory.OFF_POST: (TrainingKind.OFF_POST, TrainingLevel.NONE),
    CourseCategory.WARNING: (TrainingKind.WARNING, TrainingLevel.NONE),
}


class AudienceRole(models.TextChoices):
    ANY = "", _("所有人员")
    PRINCIPAL = "principal", _("主要负责人/安全管理人员")
    SPECIAL_OPERATOR = "special_operator", _("特种作业人员")
    STAFF = "staff", _("一般从业人员")


def study_minute_seconds() -> int:
    """Real seconds that count as one minute of study (60; tests shorten it)."""
    return int(settings.ANXUN_STUDY_MINUTE_SECONDS)


def credit_hour_seconds() -> int:
    """Seconds of study that make one 学时 (45 minutes by default)."""
    return int(settings.ANXUN_MINUTES_PER_CREDIT_HOUR) * study_minute_seconds()


class CourseIndexPage(Page):
    """在线课程: the learner's catalogue. Courses under it need a login
    (a Wagtail login restriction is put on the index when it is created)."""

    intro = RichTextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["courses.CoursePage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("在线课程栏目")
        verbose_name_plural = _("在线课程栏目")

    def get_courses(self, user):
        """Live courses under this index that ``user`` may study."""
        return CoursePage.objects.live().child_of(self).filter(course_visibility_q(user)).order_by("category", "title")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = list(self.get_courses(request.user).select_related("enterprise"))
        return context


def course_enterprise_ids(user) -> set[int] | None:
    """Enterprises whose private courses ``user`` may see: where they are an
    employee or hold a role. ``None``: all (superusers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if getattr(user, "api_token", None) is not None:
        return {user.api_token.enterprise_id}
    if user.is_superuser:
        return None
    from lms.workforce.models import Employee

    ids = {ent for ent, _role in user.role_pairs()}
    ids |= set(Employee.objects.filter(user=user).values_list("enterprise_id", flat=True))
    return ids


def course_visibility_q(user, prefix: str = "") -> Q:
    ents = course_enterprise_ids(user)
    if ents is None:
        return Q()
    return Q(**{f"{prefix}enterprise__isnull": True}) | Q(**{f"{prefix}enterprise_id__in": ents})


class CoursePermissionTester(PagePermissionTester):
    """Wagtail's page permissions, narrowed: an editor keeps their page
    permissions on a private course (and its lessons) only if they manage its
    enterprise; shared courses are for platform editors."""

    def __init__(self, user, page, course):
        super().__init__(user, page)
        if user.is_active and not user.is_superuser and not course_editable_by(user, course):
            self.permissions = set()


def course_editable_by(user, course) -> bool:
    from lms.accounts.roles import Capability
    from lms.accounts.scoping import can

    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if course.enterprise_id is None:
        return False  # shared (platform) courses: platform editors only
    return can(user, Capability.CHANGE, course.enterprise_id) or can(user, Capability.MANAGE_EXAMS, course.enterprise_id)


class CoursePage(Page):
    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="courses",
        verbose_name=_("所属企业"), help_text=_("留空表示平台共享课程（所有企业可用）"),
    )
    category = models.CharField(_("课程类别"), max_length=32, choices=CourseCategory.choices)
    credit_hours = models.DecimalField(
        _("学时"), max_digits=4, decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("200"))],
        help_text=_("学完全部课时可获得的学时；实际计入的学时不超过服务器记录的学习时长"),
    )
    summary = models.CharField(_("课程简介"), max_length=300, blank=True)
    description = RichTextField(_("课程介绍"), blank=True)
    organiser = models.CharField(_("授课人/组织者"), max_length=100, blank=True, help_text=_("写入培训档案；留空时为课程所属企业或平台"))
    counts_as_assessment = models.BooleanField(
        _("随堂测验作为考核"), default=False,
        help_text=_("勾选后，全部随堂测验答对即在档案中记为“考核合格”（考核方式：在线随堂测验）"),
    )
    audience_risk_class = models.CharField(
        _("适用行业类别"), max_length=16, choices=RiskClass.choices, blank=True, help_text=_("留空表示所有行业")
    )
    audience_role = models.CharField(_("适用人员"), max_length=32, choices=AudienceRole.choices, blank=True)
    audience_special_operation = models.CharField(
        _("适用特种作业类别"), max_length=32, choices=SpecialOperation.choices, blank=True
    )
    audience_hazard = models.CharField(
        _("适用危险因素"), max_length=50, blank=True, help_text=_("如“高处坠落”：只推送给当前岗位含该危险因素的人员")
    )
    audience_units = ParentalManyToManyField(
        "workforce.OrgUnit", blank=True, related_name="+", verbose_name=_("适用单位"),
        help_text=_("仅企业课程可选；含下级单位"),
    )
    audience_posts = ParentalManyToManyField(
        "workforce.Post", blank=True, related_name="+", verbose_name=_("适用岗位"), help_text=_("仅企业课程可选")
    )

    tenant_path = "enterprise"
    shared_when_null = True

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("enterprise"), FieldRowPanel([FieldPanel("category"), FieldPanel("credit_hours")]),
             FieldPanel("organiser"), FieldPanel("counts_as_assessment")],
            heading=_("课程"),
        ),
        FieldPanel("summary"),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                HelpPanel(_("不填写即面向所有人员；填写多项时须同时满足。")),
                FieldRowPanel([FieldPanel("audience_risk_class"), FieldPanel("audience_role")]),
                FieldRowPanel([FieldPanel("audience_special_operation"), FieldPanel("audience_hazard")]),
                FieldPanel("audience_units"),
                FieldPanel("audience_posts"),
            ],
            heading=_("适用对象"),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.FilterField("enterprise_id")]

    base_form_class = CoursePageForm
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = _("课程")

    def __str__(self):
        return self.title

    @classmethod
    def visible_to(cls, user):
        return cls.objects.filter(course_visibility_q(user))

    def is_visible_to(self, user) -> bool:
        ents = course_enterprise_ids(user)
        return ents is None or self.enterprise_id is None or self.enterprise_id in ents

    @property
    def record_kind(self) -> str:
        return CATEGORY_RECORD[self.category][0]

    @property
    def record_level(self) -> str:
        return CATEGORY_RECORD[self.category][1]

    def get_lessons(self):
        return LessonPage.objects.live().child_of(self).order_by("path")

    def clean(self):
        super().clean()
        # A shared course cannot target one enterprise's units or posts.
        errors = {}
        units = list(self.audience_units.all())
        posts = list(self.audience_posts.all())
        if self.enterprise_id is None and (units or posts):
            errors["audience_units"] = _("平台共享课程不能指定企业的单位或岗位")
        if any(u.enterprise_id != self.enterprise_id for u in units) and self.enterprise_id:
            errors["audience_units"] = _("只能选择本企业的单位")
        if any(p.enterprise_id != self.enterprise_id for p in posts) and self.enterprise_id:
            errors["audience_posts"] = _("只能选择本企业的岗位")
        if errors:
            raise ValidationError(errors)

    def permissions_for_user(self, user):
        return CoursePermissionTester(user, self, self)

    def serve(self, request, *args, **kwargs):
        if not self.is_visible_to(request.user):
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.course_context(course=self, user=request.user))
        return context


class LessonPage(Page):
    min_minutes = models.PositiveSmallIntegerField(
        _("最低学习时长（分钟）"), default=10, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("服务器记录的有效学习时间达到此时长，并答对全部随堂测验，才算学完"),
    )
    body = StreamField(LessonBodyBlock(), verbose_name=_("内容"))

    content_panels = Page.content_panels + [FieldPanel("min_minutes"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]

    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("课时")
        verbose_name_plural = _("课时")

    @property
    def required_seconds(self) -> int:
        return self.min_minutes * study_minute_seconds()

    def get_course(self) -> CoursePage:
        return CoursePage.objects.get(pk=self.get_parent().pk)

    def questions(self) -> list:
        """The check questions of the body, as (block id, value)."""
        return [(block.id, block.value) for block in self.body if block.block_type == "question"]

    def videos(self) -> list:
        return [block.value for block in self.body if block.block_type == "video"]

    def media_duration(self) -> float:
        """Seconds of video the learner must have watched (0 without video)."""
        total = 0.0
        for value in self.videos():
            total += float(getattr(value["video"], "duration", 0) or 0)
        return total

    def permissions_for_user(self, user):
        parent = self.get_parent()
        course = parent.specific if parent is not None else None
        if isinstance(course, CoursePage):
            return CoursePermissionTester(user, self, course)
        return super().permissions_for_user(user)

    def serve(self, request, *args, **kwargs):
        from . import views

        return views.lesson_player(request, self)


class Enrolment(models.Model):
    """A person is to study a course: because of an obligation, because HR
    assigned it to their unit or post, or because they chose it."""

    class Source(models.TextChoices):
        OBLIGATION = "obligation", _("培训义务")
        ASSIGNMENT = "assignment", _("单位/岗位指派")
        SELF = "self", _("自主选学")

    class Status(models.TextChoices):
        ACTIVE = "active", _("学习中")
        COMPLETED = "completed", _("已完成")
        WITHDRAWN = "withdrawn", _("已取消")

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("员工")
    )
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("课程"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    obligation = models.ForeignKey(
        "compliance.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments",
        verbose_name=_("培训义务"),
    )
    assignment = models.ForeignKey(
        "courses.CourseAssignment", on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments",
        verbose_name=_("指派"),
    )
    due_date = models.DateField(_("截止日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始学习"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    record = models.OneToOneField(
        "archive.TrainingRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="enrolment",
        verbose_name=_("培训记录"),
    )

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("选课")
        verbose_name_plural = _("选课")
        ordering = ["due_date", "id"]
        constraints = [
            # One open enrolment per person and course; one per obligation.
            models.UniqueConstraint(
                fields=["employee", "course"], condition=Q(status="active"), name="enrolment_one_active_per_course"
            ),
            models.UniqueConstraint(
                fields=["employee", "course", "obligation"], condition=Q(obligation__isnull=False),
                name="enrolment_once_per_obligation",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False), name="enrolment_completed_has_time"
            ),
        ]
        indexes = [models.Index(fields=["employee", "status"])]

    def __str__(self):
        return f"{self.employee} · {self.course}"


class LessonProgress(models.Model):
    """How far one enrolment has got with one lesson. ``seconds`` only grows
    through :func:`courses.services.study_heartbeat` (an ``F()`` update)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="progress", verbose_name=_("选课"))
    lesson = models.ForeignKey(LessonPage, on_delete=models.PROTECT, related_name="+", verbose_name=_("课时"))
    seconds = models.PositiveIntegerField(_("有效学习秒数"), default=0)
    max_position = models.FloatField(_("已观看到（秒）"), default=0)
    answers = models.JSONField(_("已答对的测验题"), default=dict, blank=True)
    revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("学习的页面版本"),
    )
    completed_at = models.DateTimeField(_("学完时间"), null=True, blank=True)

    tenant_path = "enrolment__employee__enterprise"
    owner_path = "enrolment__employee__user"

    class Meta:
        verbose_name = _("课时进度")
        verbose_name_plural = _("课时进度")
        constraints = [models.UniqueConstraint(fields=["enrolment", "lesson"], name="progress_once_per_lesson")]


class StudySession(models.Model):
    """One person studying one lesson in one browser tab. At most one is
    live per person; a new one supersedes the old (防多点登录). The timing
    state (sequence, last beat, presence check, day total) is read and
    written by :mod:`courses.timing` through the heartbeat service."""

    class Status(models.TextChoices):
        LIVE = "live", _("学习中")
        SUPERSEDED = "superseded", _("已在其他页面或设备学习")
        LOGGED_OUT = "logged_out", _("已在其他设备登录")
        ENDED = "ended", _("已结束")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_sessions")
    progress = models.ForeignKey(LessonProgress, on_delete=models.CASCADE, related_name="sessions")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    login_key = models.CharField(max_length=64, blank=True, help_text=_("开始学习时的登录会话"))
    revision = models.ForeignKey("wagtailcore.Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LIVE)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The lesson's requirements when the session started (the heartbeat does
    # not load the page).
    required_seconds = models.PositiveIntegerField(default=0)
    media_seconds = models.FloatField(default=0)
    question_count = models.PositiveSmallIntegerField(default=0)
    # Timing state (see courses.timing.SessionState).
    seq = models.PositiveIntegerField(default=0)
    last_beat_at = models.DateTimeField(null=True, blank=True)
    counting = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    max_position = models.FloatField(default=0)
    presence_due_at = models.DateTimeField(null=True, blank=True)
    presence_nonce = models.CharField(max_length=32, blank=True)
    presence_deadline = models.DateTimeField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)
    day_base = models.PositiveIntegerField(default=0, help_text=_("当天此前其他学习会话计入的秒数"))
    day_credit = models.PositiveIntegerField(default=0)
    credited = models.PositiveIntegerField(default=0)
    last_reason = models.CharField(max_length=32, blank=True)

    tenant_path = "progress__enrolment__employee__enterprise"
    owner_path = "user"

    class Meta:
        verbose_name = _("学习会话")
        verbose_name_plural = _("学习会话")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="live"), name="study_one_live_session_per_user"),
        ]
        indexes = [models.Index(fields=["user", "day"])]


class CourseAssignment(models.Model):
    """HR assigns a course to a unit (with its sub-units) or a post; the
    people there are enrolled, now and when the backfill runs."""

    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.CASCADE, related_name="course_assignments", verbose_name=_("企业")
    )
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("课程"))
    org_unit = models.ForeignKey(
        "workforce.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("单位")
    )
    post = models.ForeignKey(
        "workforce.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("岗位")
    )
    due_date = models.DateField(_("截止日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("指派人")
    )
    created_at = models.DateTimeField(_("指派时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("课程指派")
        verbose_name_plural = _("课程指派")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(org_unit__isnull=False, post__isnull=True) | Q(org_unit__isnull=True, post__isnull=False)),
                name="assignment_unit_xor_post",
            ),
        ]

    def __str__(self):
        return f"{self.course} → {self.org_unit or self.post}"
