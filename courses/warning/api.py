"""警示教育 endpoint of the REST API (v1), read-only: the enterprises'
quarterly warning-education campaigns with their coverage.

Thin views, as in lms.workforce.api.views: rows are narrowed with ``scope``,
and each page is read in a fixed number of queries."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers

from courses.warning import selectors
from courses.warning.models import WarningCampaign
from lms.accounts.scoping import scope
from lms.api.schema import READ_ERRORS, error_responses
from lms.kernel.rates import percent_int
from lms.workforce.api.views import WorkforceAPIView

# --- 警示教育 ------------------------------------------------------------------------------------------


class WarningCampaignOutSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True, help_text=gettext_lazy("企业编码"))
    cycle = serializers.CharField(read_only=True, help_text=gettext_lazy("对应的培训义务周期，如 2026Q4"))
    extra_cases = serializers.SerializerMethodField(help_text=gettext_lazy("企业补充案例（事故案例页面编号）"))
    meetings = serializers.IntegerField(source="meeting_count", read_only=True, help_text=gettext_lazy("现场会议场次"))
    studies_completed = serializers.IntegerField(read_only=True, help_text=gettext_lazy("完成在线学习的人数"))
    owed = serializers.SerializerMethodField(help_text=gettext_lazy("本季度应参加警示教育的人数（企业全体）"))
    met = serializers.SerializerMethodField(help_text=gettext_lazy("本季度已完成警示教育的人数（在线或现场）"))
    coverage_percent = serializers.SerializerMethodField(
        help_text=gettext_lazy("覆盖率（%，向下取整）；无应参加人员时为 null")
    )

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

    def get_coverage_percent(self, obj) -> int | None:
        owed, met = self._coverage(obj)
        return percent_int(met, owed)  # nothing owed: null, not 100


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
