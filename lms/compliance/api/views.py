"""The compliance endpoints of the REST API (v1): clearance for a post,
placing a person on a post through the clearance gate, and reading a
person's training records and obligations.

Thin views, as in lms.workforce.api.views: the employee named in the URL is found
through lms.accounts.scoping (another enterprise's person is a 404), the
answer comes from lms.compliance.services / lms.workforce.services."""

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.api.schema import WRITE_ERRORS, ErrorSerializer, error_example, error_responses
from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation
from lms.compliance.clearance import clearance
from lms.compliance.services import clearance_record
from lms.workforce import services
from lms.workforce.api.tenancy import employee_or_404
from lms.workforce.api.views import EMPLOYEE_NO_PARAM, EMPLOYEE_READ_ERRORS, WorkforceAPIView
from lms.workforce.models import Employee, PostAssignment

from .serializers import (
    AssignmentCreateSerializer,
    ClearanceOutSerializer,
    ClearanceQuerySerializer,
    ObligationOutSerializer,
    ObligationQuerySerializer,
    PostAssignmentOutSerializer,
    RecordQuerySerializer,
    TrainingRecordOutSerializer,
    clearance_data,
)

TAG = "上岗资格与培训档案"

_UNCLEARED_EXAMPLE = {
    "cleared": False,
    "enterprise": "hxchem",
    "employee_no": "E10086",
    "post_code": "A-OP",
    "post_name": "操作工",
    "date": "2026-03-04",
    "reasons": [
        {
            "code": "INDUCTION_LEVEL_MISSING",
            "message": "车间级安全教育未完成",
            "satisfy": "完成车间级三级安全教育不少于 24 学时并考核合格",
            "obligation_id": 812,
            "required_hours": "24",
            "completed_hours": "0",
            "due_date": "2026-04-01",
            "certificate_id": None,
        }
    ],
}


_ASSIGNMENT_EXAMPLE = {
    "id": 2301,
    "enterprise": "hxchem",
    "employee_no": "E10086",
    "employee_name": "张伟",
    "post_code": "A-OP",
    "post_name": "操作工",
    "kind": "regular",
    "start_date": "2026-03-04",
    "end_date": None,
    "mentor_employee_no": None,
    "created_at": "2026-03-03T16:20:45+08:00",
}
_RECORD_EXAMPLE = {
    "id": 9035,
    "seq": 1,
    "kind": "induction",
    "level": "company",
    "post_code": None,
    "title": "厂级安全教育",
    "content": "企业安全生产情况；安全生产规章制度和劳动纪律；从业人员的权利和义务；事故案例",
    "start_at": "2026-03-02T08:00:00+08:00",
    "end_at": "2026-03-04T17:00:00+08:00",
    "place": "公司三楼培训室",
    "hours": "24.0",
    "trainer": "安全部 王老师",
    "participants": "",
    "assessment_method": "笔试",
    "assessment_result": "passed",
    "score": "92.0",
    "source": "offline",
    "corrects": None,
    "recorded_by_name": "李娜",
    "recorded_at": "2026-03-04T17:30:12+08:00",
    "hash": "5f2c0e9a8b1d4c7e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d4e7f0a3b6c9d2e",
    "prev_hash": "0000000000000000000000000000000000000000000000000000000000000000",
}
_OBLIGATION_EXAMPLE = {
    "id": 812,
    "kind": "induction",
    "level": "workshop",
    "post_code": "A-OP",
    "min_hours": "24.0",
    "completed_hours": "0.0",
    "exam_required": True,
    "exam_passed": False,
    "blocks_post": True,
    "status": "open",
    "start_date": "2026-03-01",
    "end_date": None,
    "due_date": "2026-04-01",
    "met_at": None,
    "cycle": "",
    "rule": {"code": "induction", "version": 1, "jurisdiction": "national", "source": "令3 §13"},
    "event_type": "hire",
    "event_date": "2026-03-01",
}

_AssignmentConflict = PolymorphicProxySerializer(
    component_name="AssignmentConflict",
    serializers=[ClearanceOutSerializer, ErrorSerializer],
    resource_type_field_name=None,
    many=False,
)


class EmployeeFileView(WorkforceAPIView):
    """Endpoints under /employees/{employee_no}/: the person is looked up in
    the caller's scope first, so another enterprise's 工号 is a 404 before
    any parameter is looked at."""

    perm_model = "employee"

    def get_employee(self) -> Employee:
        """The employee the URL names, visible to the caller, or 404 / 400 请指定企业."""
        return employee_or_404(
            scope(Employee.objects.select_related("enterprise"), self.request.user),
            self.kwargs["employee_no"],
            self.request.query_params.get("enterprise"),
        )


class ClearanceView(EmployeeFileView):
    serializer_class = ClearanceOutSerializer

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("查询上岗资格"),
        description=gettext_lazy(
            "该员工在指定日期能否从事指定岗位：准予上岗，或不准并列出原因（原因代码、说明、如何满足、"
            "要求与已完成学时、截止日期）。与人事上岗校验使用同一规则；每次查询都记入该员工的上岗资格检查记录。"
            "岗位不存在或已停用时返回 400。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, ClearanceQuerySerializer],
        responses={
            200: OpenApiResponse(
                ClearanceOutSerializer,
                description=gettext_lazy("上岗资格结论"),
                examples=[
                    OpenApiExample("未完成三级安全教育", value=_UNCLEARED_EXAMPLE),
                    OpenApiExample(
                        "准予上岗",
                        value={**_UNCLEARED_EXAMPLE, "cleared": True, "reasons": []},
                    ),
                ],
            ),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        employee = self.get_employee()
        params = ClearanceQuerySerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        post = params.resolve_post(employee, request.user)
        on_date = params.validated_data.get("date") or timezone.localdate()
        result = clearance(employee, post, on_date)
        clearance_record(result, purpose="api", actor=request.user)
        return Response(self.get_serializer(clearance_data(result, employee=employee, post=post)).data)


class AssignmentCreateView(WorkforceAPIView):
    perm_model = "postassignment"
    serializer_class = PostAssignmentOutSerializer
    service_error_fields = {"post": "post_code", "employee": "employee_no", "mentor": "mentor_no"}

    def get_queryset(self):
        return scope(
            PostAssignment.objects.select_related("employee__enterprise", "post", "mentor"),
            self.request.user,
            Capability.CHANGE,
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("安排上岗"),
        description=gettext_lazy(
            "经上岗资格校验后安排员工到岗位：未取得上岗资格时返回 409，正文与“查询上岗资格”相同"
            "（cleared 为 false，并列出原因），不建立岗位分配。师带徒上岗（kind=apprentice）只在除师带徒外的"
            "要求均已满足时允许，且须指定本人已取得该岗位上岗资格、在该岗位工作满 3 年的师傅。需要可写令牌或人事角色。"
        ),
        request=AssignmentCreateSerializer,
        responses={
            201: OpenApiResponse(
                PostAssignmentOutSerializer,
                description=gettext_lazy("已安排上岗"),
                examples=[OpenApiExample("已上岗", value=_ASSIGNMENT_EXAMPLE, response_only=True)],
            ),
            **error_responses(
                *WRITE_ERRORS,
                examples={
                    400: [
                        error_example(
                            "工号不存在", "请求数据有误：employee_no", "invalid", 400,
                            {"employee_no": ["未找到该工号的员工"]},
                        ),
                        error_example(
                            "师带徒未指定师傅", "请求数据有误：mentor_no", "invalid", 400,
                            {"mentor_no": ["师带徒上岗必须指定师傅"]},
                        ),
                    ],
                },
            ),
            409: OpenApiResponse(
                _AssignmentConflict,
                description=gettext_lazy(
                    "未取得上岗资格，未安排上岗：正文为上岗资格结论，reasons 说明还缺什么；"
                    "或他人同时修改了同一数据（正文为错误格式 detail、code、errors），刷新后可重试"
                ),
                examples=[
                    OpenApiExample("未完成三级安全教育", value=_UNCLEARED_EXAMPLE, status_codes=["409"]),
                    error_example("同时修改", "数据冲突（可能已被他人同时修改），请刷新后重试", "conflict", 409),
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "正式上岗",
                request_only=True,
                value={"employee_no": "E10086", "post_code": "A-OP", "start_date": "2026-03-04"},
            ),
            OpenApiExample(
                "师带徒上岗",
                request_only=True,
                value={
                    "employee_no": "E10087",
                    "post_code": "A-REACT",
                    "start_date": "2026-03-04",
                    "kind": "apprentice",
                    "mentor_no": "E00012",
                },
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        serializer = AssignmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            assignment = services.assignment_create(
                employee=data["employee"],
                post=data["post"],
                start_date=data["start_date"],
                kind=data["kind"],
                mentor=data["mentor"],
                actor=request.user,
            )
        except services.ClearanceRefused as refused:
            body = clearance_data(refused.clearance, employee=data["employee"], post=data["post"])
            return Response(ClearanceOutSerializer(body).data, status=status.HTTP_409_CONFLICT)
        assignment = self.get_queryset().get(pk=assignment.pk)
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)


class TrainingRecordListView(mixins.ListModelMixin, EmployeeFileView):
    serializer_class = TrainingRecordOutSerializer
    query_serializer_class = RecordQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TrainingRecord.objects.none()
        employee = self.get_employee()
        params = self.query_params()
        qs = scope(TrainingRecord.objects.filter(employee=employee).select_related("post"), self.request.user)
        if "kind" in params:
            qs = qs.filter(kind=params["kind"])
        return qs.order_by("seq")

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("员工培训档案"),
        description=gettext_lazy(
            "该员工的培训记录（一人一档），可按培训类别筛选，按档案序号从早到晚，分页。记录只追加不修改："
            "更正是一条新记录，corrects 指向被更正的记录；hash/prev_hash 构成该员工的哈希链。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, RecordQuerySerializer],
        responses={
            200: OpenApiResponse(
                TrainingRecordOutSerializer(many=True),
                description=gettext_lazy("培训记录（分页）"),
                examples=[OpenApiExample("厂级安全教育", value=_RECORD_EXAMPLE)],
            ),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class ObligationListView(mixins.ListModelMixin, EmployeeFileView):
    serializer_class = ObligationOutSerializer
    query_serializer_class = ObligationQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Obligation.objects.none()
        employee = self.get_employee()
        params = self.query_params()
        qs = scope(
            Obligation.objects.filter(employee=employee).select_related("post", "rule", "event"), self.request.user
        )
        if "status" in params:
            qs = qs.filter(status=params["status"])
        return qs.order_by("due_date", "pk")

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("员工培训义务"),
        description=gettext_lazy(
            "该员工应完成的培训（三级安全教育、转岗/复岗再培训、年度再培训、师带徒等）：要求与已完成学时、"
            "是否须考核、状态、起算与截止日期、所依据的规则版本和触发事件；可按状态筛选，按截止日期排序，分页。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, ObligationQuerySerializer],
        responses={
            200: OpenApiResponse(
                ObligationOutSerializer(many=True),
                description=gettext_lazy("培训义务（分页）"),
                examples=[OpenApiExample("待完成的车间级教育", value=_OBLIGATION_EXAMPLE)],
            ),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
