"""The certificate endpoints of the REST API (v1): a person's certificates,
certificates filtered by 工号, and the public verification of a code.

Thin views, as in lms.compliance.api.views: reads go through
lms.accounts.scoping (another enterprise's person is a 404); verification
needs no login and is rate-limited per client."""


from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.models import Certificate, CertificateKind
from certificates.pdf import verify_url
from certificates.selectors import certificate_by_code, certificates_filtered, certificates_visible_to
from certificates.verification import VerifyRateThrottle, verification_data
from lms import jsonbody
from lms.api.schema import READ_ERRORS, ApiAutoSchema, error_example, error_responses
from lms.compliance.api.serializers import EmployeePathQuerySerializer
from lms.compliance.api.views import EmployeeFileView
from lms.workforce.api.views import EMPLOYEE_NO_PARAM, EMPLOYEE_READ_ERRORS, WorkforceAPIView

TAG = "证书"

#: What a certificate is on a given day (Certificate.state_on).
STATES = [(state, label) for state, label in Certificate.STATE_LABELS.items()]


class CertificateOutSerializer(serializers.ModelSerializer):
    employee_no = serializers.CharField(source="employee.employee_no", read_only=True, help_text=gettext_lazy("工号"))
    enterprise = serializers.CharField(
        source="employee.enterprise.code", read_only=True, help_text=gettext_lazy("企业编码")
    )
    type = serializers.SerializerMethodField(help_text=gettext_lazy("证书类型名称"))
    post_code = serializers.CharField(
        source="post.code", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("针对岗位编码")
    )
    state = serializers.SerializerMethodField(
        help_text=gettext_lazy("今天的状态：有效、已过期、暂停、已吊销/注销、已换发新证或尚未生效")
    )
    verify_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("内部证书的公开验证网址；登记的外部证书为 null")
    )

    class Meta:
        model = Certificate
        fields = [
            "id", "enterprise", "employee_no", "kind", "type", "number", "number_masked", "authority", "category",
            "post_code", "level",
            "issued_on", "valid_until", "next_review_due", "status", "state", "issued_via", "verify_url",
        ]
        read_only_fields = fields

    def get_type(self, obj) -> str:
        return obj.type.name if obj.type_id else obj.get_kind_display()

    @extend_schema_field(serializers.ChoiceField(choices=STATES))
    def get_state(self, obj) -> str:
        return obj.state_on(timezone.localdate())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_verify_url(self, obj) -> str | None:
        return verify_url(obj.verification_code) if obj.verification_code else None


class CertificateQuerySerializer(EmployeePathQuerySerializer):
    kind = serializers.ChoiceField(choices=CertificateKind.choices, required=False, allow_blank=True,
                                   help_text=gettext_lazy("只看该类证书"))
    expiring_within_days = serializers.IntegerField(
        required=False, min_value=0, max_value=3650, help_text=gettext_lazy("只看在今后 N 天内到期的有效证书"))


class CertificateListQuerySerializer(CertificateQuerySerializer):
    employee_no = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                        help_text=gettext_lazy("工号"))


def _filter(qs, params):
    return certificates_filtered(qs, kind=params.get("kind"), expiring_within_days=params.get("expiring_within_days"))


_CERTIFICATE_EXAMPLE = {
    "id": 377,
    "enterprise": "hxchem",
    "employee_no": "E10086",
    "kind": "post",
    "type": "上岗合格证",
    "number": "hxchem-SG-2026-00042",
    "number_masked": False,
    "authority": "华兴化工有限公司",
    "category": "",
    "post_code": "A-OP",
    "level": "",
    "issued_on": "2026-03-04",
    "valid_until": None,
    "next_review_due": None,
    "status": "valid",
    "state": "valid",
    "issued_via": "automatic",
    "verify_url": "https://anxun.example.com/verify/pZ3kQ8vN2xY7wR4tL9mB6cF1hJ5dS0aE/",
}

class EmployeeCertificateListView(mixins.ListModelMixin, EmployeeFileView):
    serializer_class = CertificateOutSerializer
    query_serializer_class = CertificateQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Certificate.objects.none()
        employee = self.get_employee()
        return _filter(certificates_visible_to(self.request.user).filter(employee=employee), self.query_params())

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("员工的证书"),
        description=gettext_lazy(
            "该员工持有的全部证书（内部签发和登记的外部证书），含已过期、暂停、吊销和已换发的；"
            "可按种类和即将到期筛选，分页。"
        ),
        parameters=[EMPLOYEE_NO_PARAM, CertificateQuerySerializer],
        responses={
            200: OpenApiResponse(
                CertificateOutSerializer(many=True),
                description=gettext_lazy("证书（分页）"),
                examples=[OpenApiExample("上岗合格证", value=_CERTIFICATE_EXAMPLE)],
            ),
            **EMPLOYEE_READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class CertificateListView(mixins.ListModelMixin, WorkforceAPIView):
    serializer_class = CertificateOutSerializer
    query_serializer_class = CertificateListQuerySerializer
    perm_model = "employee"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Certificate.objects.none()
        params = self.query_params()
        qs = certificates_visible_to(self.request.user)
        if "employee_no" in params:
            qs = qs.filter(employee__employee_no=params["employee_no"])
        if "enterprise" in params:
            qs = qs.filter(employee__enterprise__code=params["enterprise"])
        return _filter(qs, params)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("证书列表"),
        description=gettext_lazy("调用方可见企业的证书，可按工号、企业、种类和即将到期筛选，按员工和种类排序，分页。"),
        parameters=[CertificateListQuerySerializer],
        responses={
            200: OpenApiResponse(
                CertificateOutSerializer(many=True),
                description=gettext_lazy("证书（分页）"),
                examples=[OpenApiExample("上岗合格证", value=_CERTIFICATE_EXAMPLE)],
            ),
            **error_responses(*READ_ERRORS),
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class VerificationSerializer(serializers.Serializer):
    """证书验证结果：证书上印的各项，持证人姓名和身份证号部分隐藏，以及今天的状态。"""

    holder_name = serializers.CharField(help_text=gettext_lazy("持证人姓名（部分隐藏）"))
    id_number = serializers.CharField(help_text=gettext_lazy("身份证号（部分隐藏）"))
    type = serializers.CharField(help_text=gettext_lazy("证书类型名称"))
    kind = serializers.ChoiceField(choices=CertificateKind.choices, help_text=gettext_lazy("证书种类"))
    number = serializers.CharField(help_text=gettext_lazy("证书编号"))
    category = serializers.CharField(allow_blank=True, help_text=gettext_lazy("作业类别名称；无则为空"))
    level = serializers.CharField(allow_blank=True, help_text=gettext_lazy("等级/项目；无则为空"))
    post = serializers.CharField(allow_blank=True, help_text=gettext_lazy("针对岗位名称；无则为空"))
    issuer = serializers.CharField(help_text=gettext_lazy("发证机关"))
    enterprise = serializers.CharField(help_text=gettext_lazy("持证人所在企业名称"))
    issued_on = serializers.DateField(help_text=gettext_lazy("发证日期"))
    valid_until = serializers.DateField(allow_null=True, help_text=gettext_lazy("有效期至；null 表示长期有效"))
    next_review_due = serializers.DateField(allow_null=True, help_text=gettext_lazy("下次复审日期"))
    status = serializers.ChoiceField(choices=STATES, help_text=gettext_lazy("今天的状态"))
    status_label = serializers.CharField(help_text=gettext_lazy("状态名称"))
    status_date = serializers.DateField(allow_null=True, help_text=gettext_lazy("失效、暂停、吊销或换发的日期"))
    checked_on = serializers.DateField(help_text=gettext_lazy("查询日期"))
    verify_url = serializers.CharField(help_text=gettext_lazy("本验证页的网址"))


_VERIFICATION_EXAMPLE = {
    "holder_name": "张*",
    "id_number": "110101********803X",
    "type": "上岗合格证",
    "kind": "post",
    "number": "hxchem-SG-2026-00042",
    "category": "",
    "level": "",
    "post": "操作工",
    "issuer": "华兴化工有限公司",
    "enterprise": "华兴化工有限公司",
    "issued_on": "2026-03-04",
    "valid_until": None,
    "next_review_due": None,
    "status": "valid",
    "status_label": "有效",
    "status_date": None,
    "checked_on": "2026-06-18",
    "verify_url": "https://anxun.example.com/verify/pZ3kQ8vN2xY7wR4tL9mB6cF1hJ5dS0aE/",
}
_CODE_PARAM = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("证书二维码上的验证码（32 位字母、数字、- 和 _）"),
    examples=[OpenApiExample("验证码", value="pZ3kQ8vN2xY7wR4tL9mB6cF1hJ5dS0aE")],
)


class VerifyView(APIView):
    """Anyone may check a certificate by the code on its QR (no login)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyRateThrottle]
    schema = ApiAutoSchema()

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("证书验证（公开）"),
        auth=[],
        description=gettext_lazy(
            "按证书上的验证码查询证书真伪与当前状态，无需登录；姓名和身份证号部分隐藏。按来源 IP 限流"
            "（与验证网页共用额度，默认每分钟 30 次）。"
        ),
        parameters=[_CODE_PARAM],
        responses={
            200: OpenApiResponse(
                VerificationSerializer,
                description=gettext_lazy("证书及其今天的状态"),
                examples=[OpenApiExample("有效的上岗合格证", value=_VERIFICATION_EXAMPLE)],
            ),
            **error_responses(
                404,
                429,
                descriptions={
                    404: gettext_lazy("没有此验证码的证书"),
                    429: gettext_lazy("同一来源 IP 查询过于频繁：请在 Retry-After 秒后重试"),
                },
                examples={404: [error_example("未找到", "未找到该证书", "not_found", 404)]},
            ),
        },
    )
    def get(self, request, code):
        certificate = certificate_by_code(code)
        if certificate is None:
            return Response(jsonbody.error_body(_("未找到该证书"), "not_found"), status=404)
        response = Response(VerificationSerializer(verification_data(certificate)).data)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response
