"""The online-learning endpoints of the REST API (v1): the course catalogue
and one person's enrolments with their progress. Read-only.

Thin views, as in lms.workforce.api.views. Which courses a caller sees is decided by
courses.models.course_visibility_q (platform courses, and private courses
of the caller's own enterprises only); the person named in the URL is found
through lms.accounts.scoping (another enterprise's 工号 is a 404). Lesson
counts and progress come from courses.selectors in a fixed number of
queries per page."""

from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers

from courses import selectors
from courses.models import CourseCategory, CoursePage, Enrolment, LessonProgress, course_visibility_q
from lms.accounts.api_permissions import WorkforceApiPermission
from lms.accounts.scoping import scope
from lms.api.schema import READ_ERRORS, error_responses
from lms.compliance.api.serializers import EmployeePathQuerySerializer
from lms.compliance.api.views import EmployeeFileView
from lms.workforce.api.views import EMPLOYEE_NO_PARAM, EMPLOYEE_READ_ERRORS, WorkforceAPIView

TAG = "在线学习"


class CourseCatalogPermission(WorkforceApiPermission):
    """The catalogue is what every learner already sees in 在线课程: any
    signed-in person and any token may read it (rows are still narrowed to
    the caller's enterprises). Regulators stay refused, as everywhere in v1."""

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if getattr(user, "api_token", None) is None and user.region_prefixes() and not user.is_superuser:
            self.message = _("监管人员请使用监管端查询，本接口暂不向监管人员开放")
            return False
        return True


# --- serializers ---------------------------------------------------------------------


class CourseQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=CourseCategory.choices, required=False, allow_blank=True, help_text=gettext_lazy("只看该类别的课程")
    )


class CourseOutSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(
        source="get_category_display", read_only=True, help_text=gettext_lazy("课程类别名称")
    )
    enterprise = serializers.CharField(
        source="enterprise.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("所属企业编码；null 表示平台共享课程"),
    )
    # Plain strings: the same values as the records' "kind" / "level".
    record_kind = serializers.CharField(read_only=True, help_text=gettext_lazy("学完后写入档案的培训类别"))
    record_level = serializers.CharField(
        read_only=True, help_text=gettext_lazy("写入档案的教育层级：company / workshop / team，或空")
    )
    lesson_count = serializers.SerializerMethodField(help_text=gettext_lazy("已发布的课时数"))
    total_min_minutes = serializers.SerializerMethodField(help_text=gettext_lazy("各课时最低学习时长之和（分钟）"))
    url = serializers.SerializerMethodField(help_text=gettext_lazy("学员学习页面地址"))

    class Meta:
        model = CoursePage
        fields = [
            "id",
            "title",
            "category",
            "category_label",
            "credit_hours",
            "record_kind",
            "record_level",
            "enterprise",
            "summary",
            "lesson_count",
            "total_min_minutes",
            "url",
        ]
        read_only_fields = fields

    def _lessons(self, course):
        return self.context.get("lessons", {}).get(course.pk, [])

    def get_lesson_count(self, course) -> int:
        return len(self._lessons(course))

    def get_total_min_minutes(self, course) -> int:
        return sum(lesson.min_minutes for lesson in self._lessons(course))

    @extend_schema_field(serializers.URLField())
    def get_url(self, course) -> str:
        return course.get_full_url(request=self.context.get("request"))


class EnrolmentOutSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="course_id", read_only=True, help_text=gettext_lazy("课程编号"))
    course_title = serializers.CharField(source="course.title", read_only=True, help_text=gettext_lazy("课程名称"))
    obligation = serializers.IntegerField(
        source="obligation_id", read_only=True, allow_null=True, help_text=gettext_lazy("据以报名的培训义务编号")
    )
    lessons_done = serializers.IntegerField(read_only=True, help_text=gettext_lazy("已学完的课时数"))
    lessons_total = serializers.IntegerField(read_only=True, help_text=gettext_lazy("课程已发布的课时数"))
    seconds = serializers.IntegerField(read_only=True, help_text=gettext_lazy("服务器记录的有效学习秒数"))
    record = serializers.IntegerField(
        source="record_id", read_only=True, allow_null=True, help_text=gettext_lazy("学完后写入的培训记录编号")
    )

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "course",
            "course_title",
            "source",
            "status",
            "obligation",
            "due_date",
            "enrolled_at",
            "started_at",
            "lessons_done",
            "lessons_total",
            "seconds",
            "completed_at",
            "record",
        ]
        read_only_fields = fields


class EnrolmentQuerySerializer(EmployeePathQuerySerializer):
    status = serializers.ChoiceField(
        choices=Enrolment.Status.choices, required=False, allow_blank=True, help_text=gettext_lazy("只看该状态")
    )


# --- views --------------------------------------------------------------------------------

_COURSE_EXAMPLE = {
    "id": 42,
    "title": "车间级安全教育（通用）",
    "category": "induction_workshop",
    "category_label": "车间级安全教育",
    "credit_hours": "3.0",
    "record_kind": "induction",
    "record_level": "workshop",
    "enterprise": None,
    "summary": "车间作业环境与危险因素、岗位安全职责、个体防护与应急处置。",
    "lesson_count": 3,
    "total_min_minutes": 135,
    "url": "https://anxun.example.com/courses/workshop-induction-general/",
}

_ENROLMENT_EXAMPLE = {
    "id": 7,
    "course": 42,
    "course_title": "车间级安全教育（通用）",
    "source": "obligation",
    "status": "active",
    "obligation": 812,
    "due_date": "2026-12-01",
    "enrolled_at": "2026-11-02T08:00:00+08:00",
    "started_at": "2026-11-03T19:12:40+08:00",
    "lessons_done": 1,
    "lessons_total": 3,
    "seconds": 2730,
    "completed_at": None,
    "record": None,
}


class CourseListView(mixins.ListModelMixin, WorkforceAPIView):
    permission_classes = [CourseCatalogPermission]
    serializer_class = CourseOutSerializer
    query_serializer_class = CourseQuerySerializer

    def get_queryset(self):
        params = self.query_params()
        qs = CoursePage.objects.live().filter(course_visibility_q(self.request.user)).select_related("enterprise")
        if "category" in params:
            qs = qs.filter(category=params["category"])
        # The categories in their declared order: company, workshop, team level, refresher …
        rank = Case(
            *[When(category=code, then=Value(i)) for i, code in enumerate(CourseCategory.values)],
            output_field=IntegerField(),
        )
        return qs.order_by(rank, "title", "pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        lessons = selectors.lessons_by_course(course.pk for course in page)
        serializer = self.get_serializer(page, many=True, context={**self.get_serializer_context(), "lessons": lessons})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("课程列表"),
        description=gettext_lazy(
            "调用者可学习的已发布在线课程：平台共享课程，以及本企业（或账号所属各企业）的企业课程；"
            "其他企业的企业课程不列出。含课程类别、学时、学完后写入档案的培训类别与层级、课时数和最低学习时长合计；"
            "按类别、名称排序，分页。任何已登录的人员和令牌都可查询；监管人员除外。"
        ),
        parameters=[CourseQuerySerializer],
        responses={
            200: OpenApiResponse(
                CourseOutSerializer(many=True),
                description=gettext_lazy("课程（分页）"),
                examples=[
                    OpenApiExample(
                        "平台共享的车间级课程",
                        value=_COURSE_EXAMPLE,
                    )
                ],
            ),
            **error_responses(*READ_ERRORS),
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class EmployeeEnrolmentListView(mixins.ListModelMixin, EmployeeFileView):
    serializer_class = EnrolmentOutSerializer
    query_serializer_class = EnrolmentQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Enrolment.objects.none()
        employee = self.get_employee()
        params = self.query_params()
        qs = scope(
            Enrolment.objects.filter(employee=employee)
            .select_related("course")
            .prefetch_related(Prefetch("progress", queryset=LessonProgress.objects.only(
                "pk", "enrolment_id", "lesson_id", "seconds", "completed_at"))),
            self.request.user,
        )
        if "status" in params:
            qs = qs.filter(status=params["status"])
        return qs.order_by("enrolled_at", "pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(selectors.with_progress(list(page)), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("员工选课与学习进度"),
        description=gettext_lazy(
            "该员工的在线课程报名（来自培训义务、单位/岗位指派或自主选学）：状态、截止日期、"
            "已学完/全部课时数、服务器记录的有效学习秒数、完成时间和写入档案的记录编号；可按状态筛选，"
            "按报名时间排序，分页。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, EnrolmentQuerySerializer],
        responses={
            200: OpenApiResponse(
                EnrolmentOutSerializer(many=True),
                description=gettext_lazy("选课（分页）"),
                examples=[
                    OpenApiExample(
                        "学习中的车间级课程",
                        value=_ENROLMENT_EXAMPLE,
                    )
                ],
            ),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
