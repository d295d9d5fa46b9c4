"""The workforce REST API (v1). Thin views: scope the queryset, check the
input, call lms.workforce.services, answer with the output serializer."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from lms.accounts.api_permissions import WorkforceApiPermission
from lms.accounts.roles import Capability
from lms.accounts.scoping import can, scope
from lms.api.pagination import ApiPagination
from lms.api.parsers import StrictJSONParser
from lms.api.schema import READ_ERRORS, WRITE_ERRORS, ApiAutoSchema, error_example, error_responses
from lms.workforce import services
from lms.workforce.models import EmploymentEvent, OrgUnit, Post
from lms.workforce.selectors import employees_visible_to

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

EMPLOYEE_NOT_FOUND = gettext_lazy("员工不存在，或属于其他企业")
#: The errors of an endpoint under /employees/{employee_no}/.
EMPLOYEE_READ_ERRORS = error_responses(*READ_ERRORS, 404, descriptions={404: EMPLOYEE_NOT_FOUND})

EMPLOYEE_NO_PARAM = OpenApiParameter(
    "employee_no",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("工号"),
    examples=[
        OpenApiExample("张伟", value="E10086", summary=gettext_lazy("在岗员工")),
        OpenApiExample("刘小军", value="E10087", summary=gettext_lazy("跟师傅学习中的徒弟")),
    ],
)
ENTERPRISE_PARAM = OpenApiParameter(
    "enterprise",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description=gettext_lazy("企业编码：账号在多个企业有权限且工号重复时用于指定企业"),
)
_LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=gettext_lazy("新员工详情的相对地址，如 /api/v1/employees/E10086/?enterprise=hxchem"),
    response=[201],
    required=True,
)

_ASSIGNMENT_EXAMPLE = {
    "post_code": "A-OP",
    "post_name": "操作工",
    "kind": "regular",
    "start_date": "2026-03-04",
    "end_date": None,
    "mentor_employee_no": None,
}
EMPLOYEE_EXAMPLE = {
    "employee_no": "E10086",
    "name": "张伟",
    "enterprise": "hxchem",
    "id_number_masked": "110101********803X",
    "phone_masked": "138****8000",
    "employment_type": "regular",
    "status": "active",
    "org_unit_code": "A-T1",
    "org_unit_name": "甲班",
    "is_principal": False,
    "is_safety_manager": False,
    "hire_date": "2026-03-01",
    "current_assignments": [_ASSIGNMENT_EXAMPLE],
    "updated_at": "2026-03-04T09:12:31+08:00",
}
_NEW_EMPLOYEE_EXAMPLE = {**EMPLOYEE_EXAMPLE, "current_assignments": [], "updated_at": "2026-03-01T10:02:17+08:00"}
_POST_EXAMPLE = {
    "code": "A-OP",
    "name": "操作工",
    "enterprise": "hxchem",
    "org_unit_code": "A-T1",
    "hazard_level": "orange",
    "special_operation": "",
    "apprenticeship_months": 0,
    "hazards": "机械伤害、物体打击",
    "hazardous_process": False,
    "is_active": True,
}
_ORG_UNIT_EXAMPLE = {
    "code": "A-T1",
    "name": "甲班",
    "kind": "team",
    "parent_code": "A-W1",
    "enterprise": "hxchem",
    "is_active": True,
}
_EVENT_EXAMPLE = {
    "id": 5120,
    "enterprise": "hxchem",
    "employee_no": "E10086",
    "type": "transfer",
    "date": "2026-05-01",
    "post_code": "A-WELD",
    "note": "调入焊接班组",
    "source": "api",
    "recorded_at": "2026-04-28T15:40:02+08:00",
}
_READ_ONLY_TOKEN = [
    error_example("只读令牌", "该令牌为只读令牌，不能修改数据", "permission_denied", 403),
    error_example("无权修改", "您无权修改任何企业的数据", "permission_denied", 403),
]


class WorkforceAPIView(generics.GenericAPIView):
    """Shared set-up: the role/token permission, JSON bodies, pagination.

    ``perm_model`` names the Django permission a session user needs
    (``workforce.<view|add|change>_<perm_model>``); ``service_error_fields``
    maps the model field names in service errors to this endpoint's names.
    """

    permission_classes = [WorkforceApiPermission]
    parser_classes = [StrictJSONParser]
    pagination_class = ApiPagination
    schema = ApiAutoSchema()
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


class EmployeeListCreateView(mixins.ListModelMixin, WorkforceAPIView):
    perm_model = "employee"
    serializer_class = EmployeeOutSerializer
    query_serializer_class = EmployeeQuerySerializer
    service_error_fields = {"post": "post_code", "org_unit": "org_unit_code", "date": "hire_date"}

    def get_queryset(self):
        params = self.query_params()
        qs = employees_visible_to(self.request.user)
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
        summary=gettext_lazy("员工列表"),
        description=gettext_lazy(
            "本企业（或账号有权查看的各企业）的员工，可按单位（含下级）、状态、用工形式筛选，按姓名或工号查找；"
            "默认按工号排序，分页。身份证号和手机号均脱敏，当前岗位随员工列出。"
        ),
        parameters=[EmployeeQuerySerializer],
        responses={
            200: OpenApiResponse(
                EmployeeOutSerializer(many=True),
                description=gettext_lazy("员工（分页）"),
                examples=[OpenApiExample("在岗员工", value=EMPLOYEE_EXAMPLE)],
            ),
            **error_responses(*READ_ERRORS),
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("新增员工"),
        description=gettext_lazy(
            "建立员工档案并记录入职事件（来源“接口”）。post_code 只记在入职事件上，"
            "上岗须经岗位准入校验，不由本接口完成。需要可写令牌或人事角色；工号或身份证号在本企业已有时返回 400。"
        ),
        parameters=[_LOCATION],
        request=EmployeeCreateSerializer,
        responses={
            201: OpenApiResponse(
                EmployeeOutSerializer,
                description=gettext_lazy("已建档；响应头 Location 为员工详情地址"),
                examples=[OpenApiExample("已建档", value=_NEW_EMPLOYEE_EXAMPLE, response_only=True)],
            ),
            **error_responses(*WRITE_ERRORS, examples={403: _READ_ONLY_TOKEN}),
        },
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
        employee = employees_visible_to(request.user).get(pk=employee.pk)
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
        return employees_visible_to(self.request.user)

    def get_object(self):
        employee = employee_or_404(
            self.get_queryset(), self.kwargs["employee_no"], self.request.query_params.get("enterprise")
        )
        self.check_object_permissions(self.request, employee)
        return employee

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("员工详情"),
        description=gettext_lazy("按工号查看一名员工，含当前岗位；身份证号和手机号均脱敏。其他企业的工号返回 404。"),
        parameters=[EMPLOYEE_NO_PARAM, ENTERPRISE_PARAM],
        responses={
            200: OpenApiResponse(
                EmployeeOutSerializer,
                description=gettext_lazy("员工"),
                examples=[OpenApiExample("在岗员工", value=EMPLOYEE_EXAMPLE)],
            ),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("修改员工信息"),
        description=gettext_lazy(
            "只改可编辑字段（姓名、身份证号、手机号、用工形式、所在单位、负责人标记、入职日期），未提交的字段不变。"
            "工号、状态和任职经历不可修改（提交时返回 400 并说明原因）：经历变化请记录任职事件。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, ENTERPRISE_PARAM],
        request=EmployeeUpdateSerializer,
        responses={
            200: OpenApiResponse(
                EmployeeOutSerializer,
                description=gettext_lazy("修改后的员工"),
                examples=[
                    OpenApiExample(
                        "已修改", value={**EMPLOYEE_EXAMPLE, "phone_masked": "139****9000"}, response_only=True
                    )
                ],
            ),
            **error_responses(
                *WRITE_ERRORS,
                404,
                descriptions={404: EMPLOYEE_NOT_FOUND},
                examples={
                    403: _READ_ONLY_TOKEN,
                    400: [
                        error_example(
                            "不可修改的字段", "请求数据有误：employee_no", "invalid", 400, {"employee_no": ["工号不可修改"]}
                        ),
                        error_example(
                            "单位不存在", "请求数据有误：org_unit_code", "invalid", 400,
                            {"org_unit_code": ["该企业没有此编码的单位"]},
                        ),
                    ],
                },
            ),
        },
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
        summary=gettext_lazy("岗位列表"),
        description=gettext_lazy(
            "岗位编码、名称、所属单位、风险等级、特种作业类别、师带徒期限和主要危险因素；"
            "可按企业、单位和是否启用筛选，按企业和编码排序，分页。"
        ),
        parameters=[PostQuerySerializer],
        responses={
            200: OpenApiResponse(
                PostOutSerializer(many=True),
                description=gettext_lazy("岗位（分页）"),
                examples=[OpenApiExample("操作工岗位", value=_POST_EXAMPLE)],
            ),
            **error_responses(*READ_ERRORS),
        },
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
        summary=gettext_lazy("组织单位列表"),
        description=gettext_lazy(
            "公司/厂级 → 车间/部门 → 班组三级单位，含上级单位编码；可按企业、层级和是否启用筛选，"
            "按企业和编码排序，分页。"
        ),
        parameters=[OrgUnitQuerySerializer],
        responses={
            200: OpenApiResponse(
                OrgUnitOutSerializer(many=True),
                description=gettext_lazy("组织单位（分页）"),
                examples=[OpenApiExample("班组", value=_ORG_UNIT_EXAMPLE)],
            ),
            **error_responses(*READ_ERRORS),
        },
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
        summary=gettext_lazy("记录任职事件"),
        description=gettext_lazy(
            "入职、转岗、离岗、复岗、四新、违规违章。离岗结束在岗岗位；转岗须填目标岗位（上岗另经准入校验）。"
            "事件产生相应的培训义务（如转岗的车间级、班组级教育）。事件一经记录不可修改。"
            "需要可写令牌或人事角色。"
        ),
        request=EventCreateSerializer,
        responses={
            201: OpenApiResponse(
                EventOutSerializer,
                description=gettext_lazy("已记录的事件"),
                examples=[OpenApiExample("已记录转岗", value=_EVENT_EXAMPLE, response_only=True)],
            ),
            **error_responses(
                *WRITE_ERRORS,
                examples={
                    403: _READ_ONLY_TOKEN,
                    400: [
                        error_example(
                            "工号不存在", "请求数据有误：employee_no", "invalid", 400,
                            {"employee_no": ["未找到该工号的员工"]},
                        ),
                        error_example(
                            "转岗未填岗位", "请求数据有误：post_code", "invalid", 400,
                            {"post_code": ["转岗必须填写目标岗位"]},
                        ),
                    ],
                },
            ),
        },
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
