"""The certificate endpoints of the REST API (v1): a person's certificates,
certificates filtered by 工号, and the public verification of a code.

Thin views, as in lms.api.compliance_views: reads go through
lms.accounts.scoping (another enterprise's person is a 404); verification
needs no login and is rate-limited per client."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.models import Certificate, CertificateKind
from certificates.pdf import verify_url
from certificates.verification import VerifyRateThrottle, find, verification_data
from lms.accounts.scoping import scope

from .compliance_serializers import EmployeePathQuerySerializer
from .compliance_views import EmployeeFileView
from .views import _ERRORS, _NOT_FOUND, EMPLOYEE_NO_PARAM, WorkforceAPIView

TAG = "证书"


class CertificateOutSerializer(serializers.ModelSerializer):
    employee_no = serializers.CharField(source="employee.employee_no")
    enterprise = serializers.CharField(source="employee.enterprise.code")
    type = serializers.SerializerMethodField(help_text=gettext_lazy("证书类型名称"))
    post_code = serializers.CharField(
        source="post.code", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("针对岗位编码")
    )
    state = serializers.SerializerMethodField(help_text=gettext_lazy("今天的状态：valid/expired/suspended/revoked/superseded"))
    verify_url = serializers.SerializerMethodField(help_text=gettext_lazy("内部证书的公开验证网址"))

    class Meta:
        model = Certificate
        fields = [
            "id", "enterprise", "employee_no", "kind", "type", "number", "authority", "category", "post_code", "level",
            "issued_on", "valid_until", "next_review_due", "status", "state", "issued_via", "verify_url",
        ]

    def get_type(self, obj) -> str:
        return obj.type.name if obj.type_id else obj.get_kind_display()

    def get_state(self, obj) -> str:
        return obj.state_on(timezone.localdate())

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


def _certificates(user):
    return scope(Certificate.objects.select_related("employee__enterprise", "type", "post"), user)


def _filter(qs, params):
    if "kind" in params:
        qs = qs.filter(kind=params["kind"])
    if "expiring_within_days" in params:
        today = timezone.localdate()
        qs = qs.filter(status=Certificate.Status.VALID, valid_until__gte=today,
                       valid_until__lte=today + dt.timedelta(days=params["expiring_within_days"]))
    return qs.order_by("employee_id", "kind", "-issued_on", "-pk")


class EmployeeCertificateListView(mixins.ListModelMixin, EmployeeFileView):
    serializer_class = CertificateOutSerializer
    query_serializer_class = CertificateQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Certificate.objects.none()
        employee = self.get_employee()
        return _filter(_certificates(self.request.user).filter(employee=employee), self.query_params())

    @extend_schema(
        tags=[TAG], summary="员工的证书",
        description="该员工持有的全部证书（内部签发和登记的外部证书），含已过期、暂停、吊销和已换发的，分页。",
        parameters=[EMPLOYEE_NO_PARAM, CertificateQuerySerializer],
        responses={200: CertificateOutSerializer(many=True), **_ERRORS, **_NOT_FOUND},
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
        qs = _certificates(self.request.user)
        if "employee_no" in params:
            qs = qs.filter(employee__employee_no=params["employee_no"])
        if "enterprise" in params:
            qs = qs.filter(employee__enterprise__code=params["enterprise"])
        return _filter(qs, params)

    @extend_schema(
        tags=[TAG], summary="证书列表",
        description="调用方可见企业的证书，可按工号、类别和即将到期筛选，分页。",
        parameters=[CertificateListQuerySerializer],
        responses={200: CertificateOutSerializer(many=True), **_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class VerificationSerializer(serializers.Serializer):
    holder_name = serializers.CharField(help_text=gettext_lazy("持证人姓名（部分隐藏）"))
    id_number = serializers.CharField(help_text=gettext_lazy("身份证号（部分隐藏）"))
    type = serializers.CharField()
    kind = serializers.CharField()
    number = serializers.CharField()
    category = serializers.CharField(allow_blank=True)
    level = serializers.CharField(allow_blank=True)
    post = serializers.CharField(allow_blank=True)
    issuer = serializers.CharField()
    enterprise = serializers.CharField()
    issued_on = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    next_review_due = serializers.DateField(allow_null=True)
    status = serializers.CharField(help_text="valid / expired / suspended / revoked / superseded")
    status_label = serializers.CharField()
    status_date = serializers.DateField(allow_null=True, help_text=gettext_lazy("失效、暂停、吊销或换发的日期"))
    checked_on = serializers.DateField()
    verify_url = serializers.CharField()


class VerifyView(APIView):
    """Anyone may check a certificate by the code on its QR (no login)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyRateThrottle]

    @extend_schema(
        tags=[TAG], summary="证书验证（公开）", auth=[],
        description="按证书上的验证码查询证书真伪与当前状态，无需登录；姓名和身份证号部分隐藏。按来源 IP 限流。",
        responses={200: VerificationSerializer, 404: OpenApiResponse(description="未找到该证书"),
                   429: OpenApiResponse(description="查询过于频繁")},
    )
    def get(self, request, code):
        certificate = find(code)
        if certificate is None:
            return Response({"detail": _("未找到该证书")}, status=404)
        response = Response(VerificationSerializer(verification_data(certificate)).data)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response
