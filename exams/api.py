"""The exam endpoints of the REST API (v1): scheduled exams, and one
person's exam results. Read-only, for back-office users and enterprise API
tokens. Thin views, as in lms.workforce.api.views: every queryset goes through
lms.accounts.scoping (another enterprise's exam or person is never listed,
another enterprise's 工号 is a 404); answer keys are never part of any
response here."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers

from exams import services as exam_services
from exams.models import Attempt, Exam, PaperQuestion, PaperRule
from lms.accounts.scoping import scope
from lms.api.schema import READ_ERRORS, error_responses
from lms.compliance.api.serializers import EmployeePathQuerySerializer
from lms.compliance.api.views import EmployeeFileView
from lms.workforce.api.serializers import EnterpriseQuerySerializer
from lms.workforce.api.views import EMPLOYEE_NO_PARAM, EMPLOYEE_READ_ERRORS, WorkforceAPIView

TAG = "考试"

EXAM_STATES = [
    ("upcoming", gettext_lazy("未开始")),
    ("open", gettext_lazy("进行中")),
    ("closed", gettext_lazy("已结束")),
]


# --- serializers ---------------------------------------------------------------------


class ExamQuerySerializer(EnterpriseQuerySerializer):
    state = serializers.ChoiceField(
        choices=EXAM_STATES,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("只看该状态：upcoming 未开始，open 进行中，closed 已结束（按当前时间）"),
    )


@extend_schema_field(OpenApiTypes.OBJECT)
class AudienceField(serializers.JSONField):
    """考试对象，如 {"roles": ["principal"], "posts": ["A-OP"], "units": ["A-W1"],
    "principals_and_safety_managers": true}。"""


class ExamOutSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True, help_text=gettext_lazy("企业编码"))
    paper = serializers.CharField(source="paper.name", read_only=True, help_text=gettext_lazy("试卷名称"))
    state = serializers.SerializerMethodField(help_text=gettext_lazy("upcoming 未开始 / open 进行中 / closed 已结束"))
    question_count = serializers.SerializerMethodField(help_text=gettext_lazy("每份试卷的题目数"))
    total_points = serializers.SerializerMethodField(help_text=gettext_lazy("试卷满分"))
    record_post_code = serializers.CharField(
        source="record_post.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("成绩计入档案时针对的岗位编码"),
    )
    audience = AudienceField(read_only=True, help_text=gettext_lazy("考试对象"))
    # A plain string: the same choices as the records' "level" (one enum name in the schema).
    record_level = serializers.CharField(
        read_only=True, help_text=gettext_lazy("成绩计入档案的教育层级：company / workshop / team，或空")
    )

    class Meta:
        model = Exam
        fields = [
            "id",
            "enterprise",
            "title",
            "paper",
            "opens_at",
            "closes_at",
            "duration_minutes",
            "pass_score",
            "attempts_allowed",
            "review_policy",
            "audience",
            "record_kind",
            "record_level",
            "record_post_code",
            "state",
            "question_count",
            "total_points",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_state(self, exam) -> str:
        now = self.context.get("now") or timezone.now()
        return "upcoming" if now < exam.opens_at else "open" if now < exam.closes_at else "closed"

    def get_question_count(self, exam) -> int:
        return exam_services.paper_question_count(exam.paper)

    @extend_schema_field(serializers.DecimalField(max_digits=7, decimal_places=1))
    def get_total_points(self, exam):
        return f"{exam_services.paper_total(exam.paper):.1f}"


class ExamResultOutSerializer(serializers.ModelSerializer):
    exam = serializers.IntegerField(source="exam_id", read_only=True, help_text=gettext_lazy("考试编号"))
    exam_title = serializers.CharField(source="exam.title", read_only=True, help_text=gettext_lazy("考试名称"))
    enterprise = serializers.CharField(
        source="exam.enterprise.code", read_only=True, help_text=gettext_lazy("企业编码")
    )
    percent = serializers.SerializerMethodField(help_text=gettext_lazy("折合百分制成绩（与及格分比较）"))
    pass_score = serializers.DecimalField(
        source="exam.pass_score",
        max_digits=5,
        decimal_places=1,
        read_only=True,
        help_text=gettext_lazy("及格分（百分制）"),
    )
    record = serializers.IntegerField(
        source="record_id", read_only=True, allow_null=True, help_text=gettext_lazy("写入培训档案的记录编号")
    )

    class Meta:
        model = Attempt
        fields = [
            "id",
            "exam",
            "exam_title",
            "enterprise",
            "number",
            "status",
            "started_at",
            "submitted_at",
            "auto_submitted",
            "offline",
            "score",
            "max_score",
            "percent",
            "pass_score",
            "passed",
            "graded_at",
            "record",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True))
    def get_percent(self, attempt):
        value = exam_services.percentage(attempt.score, attempt.max_score)
        return None if value is None else f"{value:.1f}"


class ExamResultQuerySerializer(EmployeePathQuerySerializer):
    exam = serializers.IntegerField(required=False, min_value=1, help_text=gettext_lazy("只看该场考试（考试编号）"))


# --- views --------------------------------------------------------------------------------

_EXAM_EXAMPLE = {
    "id": 31,
    "enterprise": "hxchem",
    "title": "2026 年度主要负责人安全生产知识考试",
    "paper": "年度安全考试卷",
    "opens_at": "2026-03-02T09:00:00+08:00",
    "closes_at": "2026-03-02T17:00:00+08:00",
    "duration_minutes": 60,
    "pass_score": "80.0",
    "attempts_allowed": 2,
    "review_policy": "after_close",
    "audience": {"principals_and_safety_managers": True},
    "record_kind": "principal",
    "record_level": "",
    "record_post_code": None,
    "state": "closed",
    "question_count": 50,
    "total_points": "100.0",
}
_RESULT_EXAMPLE = {
    "id": 4410,
    "exam": 31,
    "exam_title": "2026 年度主要负责人安全生产知识考试",
    "enterprise": "hxchem",
    "number": 1,
    "status": "graded",
    "started_at": "2026-03-02T09:03:11+08:00",
    "submitted_at": "2026-03-02T09:48:40+08:00",
    "auto_submitted": False,
    "offline": False,
    "score": "86.0",
    "max_score": "100.0",
    "percent": "86.0",
    "pass_score": "80.0",
    "passed": True,
    "graded_at": "2026-03-02T09:48:40+08:00",
    "record": 9102,
}


def _paper_prefetch():
    return [
        Prefetch("paper__rules", queryset=PaperRule.objects.order_by("position", "pk")),
        Prefetch("paper__fixed_questions", queryset=PaperQuestion.objects.order_by("position", "pk")),
    ]


class ExamListView(mixins.ListModelMixin, WorkforceAPIView):
    perm_app = "exams"
    perm_model = "exam"
    serializer_class = ExamOutSerializer
    query_serializer_class = ExamQuerySerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_queryset(self):
        params = self.query_params()
        qs = scope(
            Exam.objects.select_related("enterprise", "paper", "record_post").prefetch_related(*_paper_prefetch()),
            self.request.user,
        )
        if "enterprise" in params:
            qs = qs.filter(enterprise__code=params["enterprise"])
        now = timezone.now()
        state = params.get("state")
        if state == "upcoming":
            qs = qs.filter(opens_at__gt=now)
        elif state == "open":
            qs = qs.filter(opens_at__lte=now, closes_at__gt=now)
        elif state == "closed":
            qs = qs.filter(closes_at__lte=now)
        return qs.order_by("-opens_at", "pk")

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("考试列表"),
        description=gettext_lazy(
            "本企业（或账号有权查看的各企业）安排的考试：考试时间、时长、及格分（百分制）、允许次数、"
            "查看答卷方式、考试对象、成绩计入档案的培训类别，以及试卷题数和满分；可按企业和状态筛选，"
            "按开始时间从晚到早，分页。不含试题和答案。"
        ),
        parameters=[ExamQuerySerializer],
        responses={
            200: OpenApiResponse(
                ExamOutSerializer(many=True),
                description=gettext_lazy("考试（分页）"),
                examples=[OpenApiExample("已结束的年度考试", value=_EXAM_EXAMPLE)],
            ),
            **error_responses(*READ_ERRORS),
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class EmployeeExamResultListView(mixins.ListModelMixin, EmployeeFileView):
    perm_app = "exams"
    perm_model = "attempt"
    serializer_class = ExamResultOutSerializer
    query_serializer_class = ExamResultQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attempt.objects.none()
        employee = self.get_employee()
        params = self.query_params()
        qs = scope(
            Attempt.objects.filter(employee=employee)
            .exclude(status=Attempt.Status.IN_PROGRESS)
            .select_related("exam__enterprise"),
            self.request.user,
        )
        if "exam" in params:
            qs = qs.filter(exam_id=params["exam"])
        return qs.order_by("started_at", "pk")

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("员工考试成绩"),
        description=gettext_lazy(
            "该员工已交卷的考试（在线与线下纸质考试）：第几次、交卷时间、得分/满分、折合百分制成绩、"
            "是否合格、写入培训档案的记录编号；可按考试筛选，按开始时间从早到晚，分页。答题中的考试不列出。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, ExamResultQuerySerializer],
        responses={
            200: OpenApiResponse(
                ExamResultOutSerializer(many=True),
                description=gettext_lazy("考试成绩（分页）"),
                examples=[OpenApiExample("合格", value=_RESULT_EXAMPLE)],
            ),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
