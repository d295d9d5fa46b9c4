"""师带徒 endpoint of the REST API (v1), read-only: one person's apprenticeships.

Thin views, as in lms.workforce.api.views: the person named in the URL is found
through lms.accounts.scoping (another enterprise's 工号 is a 404), rows are
narrowed with ``scope``, and each page is read in a fixed number of queries."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers

from courses.apprenticeship.models import Apprenticeship
from courses.apprenticeship.selectors import apprenticeships_of_employee
from lms.compliance.api.serializers import EmployeePathQuerySerializer
from lms.compliance.api.views import EmployeeFileView
from lms.workforce.api.views import EMPLOYEE_NO_PARAM, EMPLOYEE_READ_ERRORS

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
        return apprenticeships_of_employee(employee, self.request.user, status=self.query_params().get("status"))

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
