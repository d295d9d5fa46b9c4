"""师带徒 and 警示教育 endpoints of the REST API (v1), read-only: one
person's apprenticeships, and the enterprises' quarterly warning-education
campaigns with their coverage.

Thin views, as in lms.api.views: the person named in the URL is found
through lms.accounts.scoping (another enterprise's 工号 is a 404), rows are
narrowed with ``scope``, and each page is read in a fixed number of queries."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers

from courses.apprenticeship.models import Apprenticeship
from courses.warning import selectors
from courses.warning.models import WarningCampaign
from lms.accounts.scoping import scope

from .compliance_serializers import EmployeePathQuerySerializer
from .compliance_views import EmployeeFileView
from .schema import READ_ERRORS, error_responses
from .views import EMPLOYEE_NO_PARAM, EMPLOYEE_READ_ERRORS, WorkforceAPIView


# --- 师带徒 ------------------------------------------------------------------------------------------


class ApprenticeshipOutSerializer(serializers.ModelSerializer):
    mentor_employee_no = serializers.CharField(source="mentor.employee_no", read_only=True, help_text=gettext_lazy("师傅工号"))
    mentor_name = serializers.CharField(source="mentor.name", read_only=True, help_text=gettext_lazy("师傅姓名"))
    post = serializers.CharField(source="post.code", read_only=True, help_text=gettext_lazy("岗位编码"))
    post_name = serializers.CharField(source="post.name", read_only=True, help_text=gettext_lazy("岗位名称"))
    status_label = serializers.CharField(source="get_status_display", read_only=True, help_text=gettext_lazy("状态名称"))
    supervised = serializers.SerializerMethodField(help_text=gettext_lazy("是否正在师傅带领下跟岗作业（不得单独上岗）"))
    record = serializers.IntegerField(
        source="record_id", read_only=True, allow_null=True, help_text=gettext_lazy("出师后写入的培训记录编号")
    )
    previous = serializers.IntegerField(
        source="previous_id", read_only=True, allow_null=True, help_text=gettext_lazy("接续的上一段师带徒（更换师傅时）")
    )
    # Declared because the model's reasons have no blank choice: an apprenticeship
    # that has not ended answers "", which the generated schema would not allow.
    end_reason = serializers.ChoiceField(
        choices=Apprenticeship.EndReason.choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("提前终止的原因；未终止时为空"),
    )

    class Meta:
        model = Apprenticeship
        fields = [
            "id", "post", "post_name", "mentor_employee_no", "mentor_name", "status", "status_label", "supervised",
            "first_start", "start_date", "months", "planned_end", "ended_on", "end_reason", "end_note",
            "completed_on", "record", "previous",
        ]
        read_only_fields = fields

    def get_supervised(self, obj) -> bool:
        return obj.status == Apprenticeship.Status.RUNNING


class ApprenticeshipQuerySerializer(EmployeePathQuerySerializer):
    status = serializers.ChoiceField(
        choices=Apprenticeship.Status.choices, required=False, allow_blank=True, help_text=gettext_lazy("只看该状态")
    )


_APPRENTICESHIP_EXAMPLE = {
    "id": 3, "post": "FYF", "post_name": "反应釜操作工", "mentor_employee_no": "HX0010", "mentor_name": "周建国",
    "status": "running", "status_label": "带徒中", "supervised": True, "first_start": "2026-11-20",
    "start_date": "2026-11-20", "months": 2, "planned_end": "2027-01-20", "ended_on": None, "end_reason": "",
    "end_note": "", "completed_on": None, "record": None, "previous": None,
}


class EmployeeApprenticeshipListView(mixins.ListModelMixin, EmployeeFileView):
    serializer_class = ApprenticeshipOutSerializer
    query_serializer_class = ApprenticeshipQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Apprenticeship.objects.none()
        employee = self.get_employee()
        params = self.query_params()
        qs = scope(Apprenticeship.objects.filter(apprentice=employee).select_related("mentor", "post"), self.request.user)
        if "status" in params:
            qs = qs.filter(status=params["status"])
        return qs.order_by("first_start", "start_date", "pk")

    @extend_schema(
        tags=["师带徒"],
        summary=gettext_lazy("员工师带徒记录"),
        description=gettext_lazy(
            "该员工作为徒弟的师带徒：岗位、师傅、状态（带徒中 / 已出师 / 已终止）、是否跟岗作业中、期限与期满日期、"
            "提前终止的原因、出师日期和写入档案的记录编号；更换师傅时新一段记录指向上一段（previous）。"
            "可按状态筛选，按起始日期排序，分页。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, ApprenticeshipQuerySerializer],
        responses={
            200: OpenApiResponse(ApprenticeshipOutSerializer(many=True), description=gettext_lazy("师带徒（分页）"),
                                 examples=[OpenApiExample("带徒中", value=_APPRENTICESHIP_EXAMPLE)]),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


# --- 警示教育 ------------------------------------------------------------------------------------------


class WarningCampaignOutSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True, help_text=gettext_lazy("企业编码"))
    cycle = serializers.CharField(read_only=True, help_text=gettext_lazy("对应的培训义务周期，如 2026Q4"))
    extra_cases = serializers.SerializerMethodField(help_text=gettext_lazy("企业补充案例（事故案例页面编号）"))
    meetings = serializers.IntegerField(source="meeting_count", read_only=True, help_text=gettext_lazy("现场会议场次"))
    studies_completed = serializers.IntegerField(read_only=True, help_text=gettext_lazy("完成在线学习的人数"))
    owed = serializers.SerializerMethodField(help_text=gettext_lazy("本季度应参加警示教育的人数（企业全体）"))
    met = serializers.SerializerMethodField(help_text=gettext_lazy("本季度已完成警示教育的人数（在线或现场）"))
    coverage_percent = serializers.SerializerMethodField(help_text=gettext_lazy("覆盖率（%，向下取整）"))

    class Meta:
        model = WarningCampaign
        fields = [
            "id", "enterprise", "year", "quarter", "cycle", "title", "reflection_question", "study_hours",
            "auto_created", "extra_cases", "meetings", "studies_completed", "owed", "met", "coverage_percent",
            "created_at",
        ]
        read_only_fields = fields

    def _coverage(self, obj) -> tuple[int, int]:
        return self.context.get("coverage", {}).get(obj.pk, (0, 0))

    def get_extra_cases(self, obj) -> list[int]:
        return sorted(c.pk for c in obj.extra_cases.all())

    def get_owed(self, obj) -> int:
        return self._coverage(obj)[0]

    def get_met(self, obj) -> int:
        return self._coverage(obj)[1]

    def get_coverage_percent(self, obj) -> int:
        owed, met = self._coverage(obj)
        return 100 if not owed else met * 100 // owed


class WarningCampaignQuerySerializer(serializers.Serializer):
    enterprise = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                       help_text=gettext_lazy("只看该企业（企业编码）"))
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False, help_text=gettext_lazy("年度"))
    quarter = serializers.IntegerField(min_value=1, max_value=4, required=False, help_text=gettext_lazy("季度 1–4"))


_CAMPAIGN_EXAMPLE = {
    "id": 12, "enterprise": "hxchem", "year": 2026, "quarter": 4, "cycle": "2026Q4", "title": "2026 年第 4 季度警示教育",
    "reflection_question": "结合本岗位的危险因素，谈谈这些事故对你的警示，以及今后作业中你会注意什么？",
    "study_hours": "1.0", "auto_created": True, "extra_cases": [31], "meetings": 1, "studies_completed": 57,
    "owed": 120, "met": 83, "coverage_percent": 69, "created_at": "2026-10-01T02:00:03+08:00",
}


class WarningCampaignListView(mixins.ListModelMixin, WorkforceAPIView):
    perm_model = "enterprise"
    serializer_class = WarningCampaignOutSerializer
    query_serializer_class = WarningCampaignQuerySerializer

    def get_queryset(self):
        params = self.query_params()
        qs = scope(WarningCampaign.objects.select_related("enterprise"), self.request.user).annotate(
            meeting_count=Count("meetings", distinct=True),
            studies_completed=Count("studies", filter=Q(studies__completed_at__isnull=False), distinct=True),
        ).prefetch_related("extra_cases")
        for name in ("year", "quarter"):
            if name in params:
                qs = qs.filter(**{name: params[name]})
        if "enterprise" in params:
            qs = qs.filter(enterprise__code=params["enterprise"])
        return qs.order_by("-year", "-quarter", "enterprise__code", "pk")

    def list(self, request, *args, **kwargs):
        page = list(self.paginate_queryset(self.get_queryset()))
        coverage = selectors.coverage_totals(page)
        serializer = self.get_serializer(page, many=True, context={**self.get_serializer_context(), "coverage": coverage})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        tags=["警示教育"],
        summary=gettext_lazy("警示教育活动"),
        description=gettext_lazy(
            "调用者所属企业的季度警示教育活动（每日检查为每个企业每季度自动创建一项，企业可另行组织）："
            "思考题、在线学习计入学时、企业补充案例、现场会议场次、完成在线学习人数，"
            "以及本季度全企业应参加 / 已完成人数和覆盖率。可按年度、季度和企业筛选，按季度从新到旧，分页。"
        ),
        parameters=[WarningCampaignQuerySerializer],
        responses={
            200: OpenApiResponse(WarningCampaignOutSerializer(many=True), description=gettext_lazy("警示教育活动（分页）"),
                                 examples=[OpenApiExample("本季度活动", value=_CAMPAIGN_EXAMPLE)]),
            **error_responses(*READ_ERRORS),
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
