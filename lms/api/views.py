"""The workforce REST API (v1). Thin views: scope the queryset, check the
input, call lms.workforce.services, answer with the output serializer."""

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, scope
from lms.workforce import services
from lms.workforce.models import Employee, EmploymentEvent, OrgUnit, Post, PostAssignment

from .pagination import ApiPagination
from .parsers import StrictJSONParser
from .permissions import WorkforceApiPermission
from .serializers import (
    EmployeeCreateSerializer,
    EmployeeOutSerializer,
    EmployeeQuerySerializer,
    EmployeeUpdateSerializer,
    EventCreateSerializer,
    EventOutSerializer,
    OrgUnitOutSerializer,
    OrgUnitQuerySerializer,
    PostOutSerializer,
    PostQuerySerializer,
)
from .tenancy import employee_or_404

TAG = "人员与岗位"

_ERRORS = {
    400: OpenApiResponse(description="输入有误：{字段: [错误信息]}"),
    401: OpenApiResponse(description="未登录或令牌无效"),
    403: OpenApiResponse(description="无权限（只读令牌写入、非人事角色等）"),
}
_NOT_FOUND = {404: OpenApiResponse(description="员工不存在或属于其他企业")}

EMPLOYEE_NO_PARAM = OpenApiParameter("employee_no", OpenApiTypes.STR, OpenApiParameter.PATH, description="工号")
ENTERPRISE_PARAM = OpenApiParameter(
    "enterprise",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="企业编码：账号在多个企业有权限且工号重复时用于指定企业",
)


class WorkforceAPIView(generics.GenericAPIView):
    """Shared set-up: the role/token permission, JSON bodies, pagination.

    ``perm_model`` names the Django permission a session user needs
    (``workforce.<view|add|change>_<perm_model>``); ``service_error_fields``
    maps the model field names in service errors to this endpoint's names.
    """

    permission_classes = [WorkforceApiPermission]
    parser_classes = [StrictJSONParser]
    pagination_class = ApiPagination
    perm_app = "workforce"
    perm_model = ""
    service_error_fields: dict[str, str] = {}
    query_serializer_class = None

    def query_params(self) -> dict:
        """The validated query parameters (400 on bad values)."""
        if self.query_serializer_class is None or getattr(self, "swagger_fake_view", False):
            return {}
        serializer = self.query_serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if v not in ("", None)}


def _current_assignments():
    today = timezone.localdate()
    return Prefetch(
        "assignments",
        queryset=PostAssignment.objects.filter(start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("post", "mentor")
        .order_by("start_date", "pk"),
        to_attr="current_assignment_list",
    )


def _employees(user, capability=Capability.VIEW):
    return scope(
        Employee.objects.select_related("enterprise", "org_unit").prefetch_related(_current_assignments()),
        user,
        capability,
    )


class EmployeeListCreateView(mixins.ListModelMixin, WorkforceAPIView):
    perm_model = "employee"
    serializer_class = EmployeeOutSerializer
    query_serializer_class = EmployeeQuerySerializer
    service_error_fields = {"post": "post_code", "org_unit": "org_unit_code", "date": "hire_date"}

    def get_queryset(self):
        params = self.query_params()
        qs = _employees(self.request.user)
        if "enterprise" in params:
            qs = qs.filter(enterprise__code=params["enterprise"])
        if "org_unit" in params:
            code = params["org_unit"]
            # A workshop's code finds its teams' people too (company → workshop → team).
            qs = qs.filter(
                Q(org_unit__code=code) | Q(org_unit__parent__code=code) | Q(org_unit__parent__parent__code=code)
            )
        if "status" in params:
            qs = qs.filter(status=params["status"])
        if "employment_type" in params:
            qs = qs.filter(employment_type=params["employment_type"])
        if "search" in params:
            term = params["search"].strip()
            qs = qs.filter(Q(name__icontains=term) | Q(employee_no__icontains=term))
        return qs.order_by(params.get("ordering", "employee_no"), "enterprise__code", "pk")

    @extend_schema(
        tags=[TAG],
        summary="员工列表",
        description="本企业（或账号有权查看的各企业）的员工，分页；身份证号和手机号均脱敏。",
        parameters=[EmployeeQuerySerializer],
        responses={200: EmployeeOutSerializer(many=True), **_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        summary="新增员工",
        description="建立员工档案并记录入职事件（来源“接口”）。post_code 只记在入职事件上，"
        "上岗须经岗位准入校验，不由本接口完成。",
        request=EmployeeCreateSerializer,
        responses={201: EmployeeOutSerializer, **_ERRORS},
        examples=[
            OpenApiExample(
                "新员工入职",
                request_only=True,
                value={
                    "employee_no": "E10086",
                    "name": "张伟",
                    "id_number": "11010119900307803X",
                    "phone": "13800138000",
                    "employment_type": "regular",
                    "org_unit_code": "A-T1",
                    "post_code": "A-OP",
                    "hire_date": "2026-03-01",
                    "is_principal": False,
                    "is_safety_manager": False,
                },
            )
        ],
    )
    def post(self, request, *args, **kwargs):
        serializer = EmployeeCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        employee = services.employee_create(
            employee=serializer.build_employee(),
            actor=request.user,
            source=EmploymentEvent.Source.API,
            post=serializer.validated_data["post"],
        )
        employee = _employees(request.user).get(pk=employee.pk)
        location = reverse("api-v1-employee-detail", kwargs={"employee_no": employee.employee_no})
        return Response(
            EmployeeOutSerializer(employee).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{location}?enterprise={employee.enterprise.code}"},
        )


class EmployeeDetailView(WorkforceAPIView):
    perm_model = "employee"
    serializer_class = EmployeeOutSerializer
    lookup_field = "employee_no"
    http_method_names = ["get", "patch", "head", "options"]
    service_error_fields = {"org_unit": "org_unit_code"}

    def get_queryset(self):
        return _employees(self.request.user)

    def get_object(self):
        employee = employee_or_404(
            self.get_queryset(), self.kwargs["employee_no"], self.request.query_params.get("enterprise")
        )
        self.check_object_permissions(self.request, employee)
        return employee

    @extend_schema(
        tags=[TAG],
        summary="员工详情",
        description="含当前岗位；身份证号和手机号均脱敏。",
        parameters=[EMPLOYEE_NO_PARAM, ENTERPRISE_PARAM],
        responses={200: EmployeeOutSerializer, **_ERRORS, **_NOT_FOUND},
    )
    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        tags=[TAG],
        summary="修改员工信息",
        description="只改可编辑字段（姓名、身份证号、手机号、用工形式、所在单位、负责人标记、入职日期）。"
        "工号、状态和任职经历不可修改：经历变化请记录任职事件。",
        parameters=[EMPLOYEE_NO_PARAM, ENTERPRISE_PARAM],
        request=EmployeeUpdateSerializer,
        responses={200: EmployeeOutSerializer, **_ERRORS, **_NOT_FOUND},
        examples=[
            OpenApiExample("更换手机号", request_only=True, value={"phone": "13900139000"}),
            OpenApiExample("调整所在班组", request_only=True, value={"org_unit_code": "A-T2"}),
        ],
    )
    def patch(self, request, *args, **kwargs):
        employee = self.get_object()
        if not can(request.user, Capability.CHANGE, employee.enterprise_id):
            raise PermissionDenied(_("您无权修改该企业的数据"))
        serializer = EmployeeUpdateSerializer(
            employee, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.employee_update(employee=employee, data=serializer.service_data(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=employee.pk)).data)


class PostListView(mixins.ListModelMixin, WorkforceAPIView):
    perm_model = "post"
    serializer_class = PostOutSerializer
    query_serializer_class = PostQuerySerializer

    def get_queryset(self):
        params = self.query_params()
        qs = scope(Post.objects.select_related("enterprise", "org_unit"), self.request.user)
        if "enterprise" in params:
            qs = qs.filter(enterprise__code=params["enterprise"])
        if "org_unit" in params:
            qs = qs.filter(org_unit__code=params["org_unit"])
        if "is_active" in params:
            qs = qs.filter(is_active=params["is_active"])
        return qs.order_by("enterprise__code", "code")

    @extend_schema(
        tags=[TAG],
        summary="岗位列表",
        description="岗位编码、名称、所属单位、风险等级、特种作业类别、师带徒期限。",
        parameters=[PostQuerySerializer],
        responses={200: PostOutSerializer(many=True), **_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class OrgUnitListView(mixins.ListModelMixin, WorkforceAPIView):
    perm_model = "orgunit"
    serializer_class = OrgUnitOutSerializer
    query_serializer_class = OrgUnitQuerySerializer

    def get_queryset(self):
        params = self.query_params()
        qs = scope(OrgUnit.objects.select_related("enterprise", "parent"), self.request.user)
        if "enterprise" in params:
            qs = qs.filter(enterprise__code=params["enterprise"])
        if "kind" in params:
            qs = qs.filter(kind=params["kind"])
        if "is_active" in params:
            qs = qs.filter(is_active=params["is_active"])
        return qs.order_by("enterprise__code", "code")

    @extend_schema(
        tags=[TAG],
        summary="组织单位列表",
        description="公司/厂级 → 车间/部门 → 班组三级单位，含上级单位编码。",
        parameters=[OrgUnitQuerySerializer],
        responses={200: OrgUnitOutSerializer(many=True), **_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class EventCreateView(WorkforceAPIView):
    perm_model = "employmentevent"
    serializer_class = EventOutSerializer
    service_error_fields = {"post": "post_code", "employee": "employee_no"}

    def get_queryset(self):
        return scope(EmploymentEvent.objects.select_related("employee__enterprise", "post"), self.request.user)

    @extend_schema(
        tags=[TAG],
        summary="记录任职事件",
        description="入职、转岗、离岗、复岗、四新、违规违章。离岗结束在岗岗位；转岗须填目标岗位（上岗另经准入校验）。"
        "事件一经记录不可修改。",
        request=EventCreateSerializer,
        responses={201: EventOutSerializer, **_ERRORS},
        examples=[
            OpenApiExample(
                "转岗",
                request_only=True,
                value={
                    "employee_no": "E10086",
                    "type": "transfer",
                    "date": "2026-05-01",
                    "post_code": "A-WELD",
                    "note": "调入焊接班组",
                },
            ),
            OpenApiExample(
                "离岗", request_only=True, value={"employee_no": "E10086", "type": "leave", "date": "2026-06-01"}
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        serializer = EventCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = services.event_record(
            employee=data["employee"],
            type=data["type"],
            date=data["date"],
            post=data["post"],
            note=data["note"],
            actor=request.user,
            source=EmploymentEvent.Source.API,
        )
        event = self.get_queryset().get(pk=event.pk)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)
