"""What the workforce API reads and writes.

Input serializers only check and resolve what the client sent (codes →
objects of the right enterprise); the views hand the result to
lms.workforce.services. Output serializers never show a full 身份证号 or
phone number.
"""


from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from lms.accounts.phone import normalize_cn_mobile
from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.api.serializers import StrictInputSerializer
from lms.workforce.models import (
    Employee,
    EmploymentEvent,
    EmploymentType,
    OrgUnit,
    Post,
    PostAssignment,
    code_validator,
)
from lms.workforce.validators import clean_id_number

from .tenancy import one_employee, writable_enterprise

# --- output --------------------------------------------------------------------


class AssignmentOutSerializer(serializers.ModelSerializer):
    post_code = serializers.CharField(source="post.code", read_only=True, help_text=gettext_lazy("岗位编码"))
    post_name = serializers.CharField(source="post.name", read_only=True, help_text=gettext_lazy("岗位名称"))
    mentor_employee_no = serializers.CharField(
        source="mentor.employee_no", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("师傅工号")
    )

    class Meta:
        model = PostAssignment
        fields = ["post_code", "post_name", "kind", "start_date", "end_date", "mentor_employee_no"]
        read_only_fields = fields


class EmployeeOutSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True, help_text=gettext_lazy("企业编码"))
    id_number_masked = serializers.CharField(read_only=True, help_text=gettext_lazy("身份证号（脱敏）"))
    phone_masked = serializers.CharField(read_only=True, help_text=gettext_lazy("手机号（脱敏）"))
    org_unit_code = serializers.CharField(
        source="org_unit.code", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("所在单位编码")
    )
    org_unit_name = serializers.CharField(
        source="org_unit.name", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("所在单位名称")
    )
    current_assignments = AssignmentOutSerializer(
        source="current_assignment_list", many=True, read_only=True, help_text=gettext_lazy("当前岗位")
    )

    class Meta:
        model = Employee
        fields = [
            "employee_no",
            "name",
            "enterprise",
            "id_number_masked",
            "phone_masked",
            "employment_type",
            "status",
            "org_unit_code",
            "org_unit_name",
            "is_principal",
            "is_safety_manager",
            "hire_date",
            "current_assignments",
            "updated_at",
        ]
        read_only_fields = fields


class OrgUnitOutSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True, help_text=gettext_lazy("企业编码"))
    parent_code = serializers.CharField(
        source="parent.code", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("上级单位编码")
    )

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "parent_code", "enterprise", "is_active"]
        read_only_fields = fields


class PostOutSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True, help_text=gettext_lazy("企业编码"))
    org_unit_code = serializers.CharField(
        source="org_unit.code", read_only=True, help_text=gettext_lazy("所属单位编码")
    )

    class Meta:
        model = Post
        fields = [
            "code",
            "name",
            "enterprise",
            "org_unit_code",
            "hazard_level",
            "special_operation",
            "apprenticeship_months",
            "hazards",
            "hazardous_process",
            "is_active",
        ]
        read_only_fields = fields


class EventOutSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(
        source="employee.enterprise.code", read_only=True, help_text=gettext_lazy("企业编码")
    )
    employee_no = serializers.CharField(source="employee.employee_no", read_only=True, help_text=gettext_lazy("工号"))
    post_code = serializers.CharField(
        source="post.code", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("岗位编码")
    )

    class Meta:
        model = EmploymentEvent
        fields = ["id", "enterprise", "employee_no", "type", "date", "post_code", "note", "source", "recorded_at"]
        read_only_fields = fields


# --- input ---------------------------------------------------------------------


def _code_field(help_text, **kwargs):
    return serializers.CharField(
        max_length=32, required=False, allow_blank=True, allow_null=True, help_text=help_text, **kwargs
    )


def _resolve_code(queryset, code, field, message, errors):
    """The object with ``code`` in a scoped queryset, or None (noting an error)."""
    if not code:
        return None
    obj = queryset.filter(code=code).first()
    if obj is None:
        errors[field] = [message]
    return obj


class _EmployeeFieldsMixin:
    """Checks shared by create and update: 身份证号 and phone normalised,
    no second employee in the enterprise with the same 身份证号."""

    def validate_id_number(self, value):
        return clean_id_number(value)

    def validate_phone(self, value):
        return normalize_cn_mobile(value) if value else ""

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError(_("姓名不能为空"))
        return value.strip()

    def _check_id_number_free(self, enterprise, id_number, errors, exclude_pk=None):
        if not id_number:
            return
        others = Employee.objects.filter(enterprise=enterprise).with_id_number(id_number)
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        if others.exists():
            errors["id_number"] = [_("该企业已有相同身份证号的员工")]


class EmployeeCreateSerializer(_EmployeeFieldsMixin, StrictInputSerializer):
    enterprise = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("企业编码；令牌调用可省略，账号在多个企业有权限时必填"),
    )
    employee_no = serializers.CharField(max_length=32, validators=[code_validator], help_text=gettext_lazy("工号"))
    name = serializers.CharField(max_length=50, help_text=gettext_lazy("姓名"))
    id_number = serializers.CharField(max_length=32, help_text=gettext_lazy("18 位居民身份证号码"))
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default="", help_text=gettext_lazy("大陆手机号")
    )
    employment_type = serializers.ChoiceField(
        choices=EmploymentType.choices, default=EmploymentType.REGULAR, help_text=gettext_lazy("用工形式")
    )
    org_unit_code = _code_field(gettext_lazy("所在单位编码；省略时取拟任岗位所属单位"))
    post_code = _code_field(gettext_lazy("拟任岗位编码：记录在入职事件上，不直接上岗"))
    hire_date = serializers.DateField(help_text=gettext_lazy("入职日期，YYYY-MM-DD"))
    is_principal = serializers.BooleanField(default=False, help_text=gettext_lazy("是否主要负责人"))
    is_safety_manager = serializers.BooleanField(default=False, help_text=gettext_lazy("是否安全管理人员"))

    def validate(self, attrs):
        user = self.context["request"].user
        enterprise = writable_enterprise(user, attrs.get("enterprise"))
        errors = {}
        if Employee.objects.filter(enterprise=enterprise, employee_no=attrs["employee_no"]).exists():
            errors["employee_no"] = [_("该企业已有此工号的员工")]
        self._check_id_number_free(enterprise, attrs["id_number"], errors)
        posts = scope(Post.objects.filter(enterprise=enterprise), user, Capability.CHANGE).select_related("org_unit")
        units = scope(OrgUnit.objects.filter(enterprise=enterprise), user, Capability.CHANGE)
        post = _resolve_code(posts, attrs.get("post_code"), "post_code", _("该企业没有此编码的岗位"), errors)
        if post is not None and not post.is_active:
            errors["post_code"] = [_("岗位已停用")]
        org_unit = _resolve_code(
            units, attrs.get("org_unit_code"), "org_unit_code", _("该企业没有此编码的单位"), errors
        )
        if errors:
            raise serializers.ValidationError(errors)
        attrs["enterprise"] = enterprise
        attrs["post"] = post
        attrs["org_unit"] = org_unit or (post.org_unit if post is not None else None)
        return attrs

    def build_employee(self) -> Employee:
        """An unsaved Employee for ``services.employee_create``."""
        data = self.validated_data
        return Employee(
            enterprise=data["enterprise"],
            employee_no=data["employee_no"],
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
            employment_type=data["employment_type"],
            org_unit=data["org_unit"],
            hire_date=data["hire_date"],
            is_principal=data["is_principal"],
            is_safety_manager=data["is_safety_manager"],
        )


_HISTORY = gettext_lazy("任职经历不能直接修改，请通过任职事件接口（/api/v1/events/）记录")


class EmployeeUpdateSerializer(_EmployeeFieldsMixin, StrictInputSerializer):
    """A partial update of the fields ``services.employee_update`` accepts."""

    locked_field_messages = {
        "employee_no": gettext_lazy("工号不可修改"),
        "enterprise": gettext_lazy("所属企业不可修改"),
        "status": _HISTORY,
        "post_code": _HISTORY,
        "current_assignments": _HISTORY,
        "events": _HISTORY,
        "id_number_masked": gettext_lazy("请通过 id_number 字段修改身份证号"),
        "phone_masked": gettext_lazy("请通过 phone 字段修改手机号"),
    }

    name = serializers.CharField(max_length=50, required=False, help_text=gettext_lazy("姓名"))
    id_number = serializers.CharField(max_length=32, required=False, help_text=gettext_lazy("18 位居民身份证号码"))
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, help_text=gettext_lazy("大陆手机号"))
    employment_type = serializers.ChoiceField(
        choices=EmploymentType.choices, required=False, help_text=gettext_lazy("用工形式")
    )
    org_unit_code = _code_field(gettext_lazy("所在单位编码；null 或空串表示不属于任何单位"))
    hire_date = serializers.DateField(required=False, help_text=gettext_lazy("入职日期（更正录入错误）"))
    is_principal = serializers.BooleanField(required=False, help_text=gettext_lazy("是否主要负责人"))
    is_safety_manager = serializers.BooleanField(required=False, help_text=gettext_lazy("是否安全管理人员"))

    def validate(self, attrs):
        employee = self.instance
        user = self.context["request"].user
        errors = {}
        self._check_id_number_free(employee.enterprise, attrs.get("id_number"), errors, exclude_pk=employee.pk)
        if "org_unit_code" in attrs:
            units = scope(OrgUnit.objects.filter(enterprise_id=employee.enterprise_id), user, Capability.CHANGE)
            code = attrs.pop("org_unit_code")
            attrs["org_unit"] = _resolve_code(units, code, "org_unit_code", _("该企业没有此编码的单位"), errors)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def service_data(self) -> dict:
        """The changes, keyed by model field, for ``services.employee_update``."""
        return dict(self.validated_data)


class EventCreateSerializer(StrictInputSerializer):
    enterprise = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=gettext_lazy("企业编码；工号在多个企业重复时必填")
    )
    employee_no = serializers.CharField(max_length=32, help_text=gettext_lazy("工号"))
    type = serializers.ChoiceField(choices=EmploymentEvent.Type.choices, help_text=gettext_lazy("事件类型"))
    date = serializers.DateField(help_text=gettext_lazy("事件日期，YYYY-MM-DD"))
    post_code = _code_field(gettext_lazy("岗位编码；转岗时必填"))
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text=gettext_lazy("说明")
    )

    def validate(self, attrs):
        user = self.context["request"].user
        employees = scope(Employee.objects.select_related("enterprise"), user, Capability.CHANGE)
        enterprise_code = attrs.get("enterprise")
        if enterprise_code:
            employees = employees.filter(enterprise=writable_enterprise(user, enterprise_code))
        employee = one_employee(employees, attrs["employee_no"])
        if employee is None:
            # The same answer whether the 工号 exists elsewhere or not at all.
            raise serializers.ValidationError({"employee_no": [_("未找到该工号的员工")]})
        errors = {}
        posts = scope(Post.objects.filter(enterprise_id=employee.enterprise_id), user, Capability.CHANGE)
        post = _resolve_code(posts, attrs.get("post_code"), "post_code", _("该企业没有此编码的岗位"), errors)
        if post is not None and not post.is_active:
            errors["post_code"] = [_("岗位已停用")]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["employee"] = employee
        attrs["post"] = post
        return attrs


# --- query parameters ----------------------------------------------------------


class EnterpriseQuerySerializer(serializers.Serializer):
    enterprise = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=gettext_lazy("只看该企业（企业编码）")
    )


class EmployeeQuerySerializer(EnterpriseQuerySerializer):
    ORDERINGS = [
        ("employee_no", gettext_lazy("工号升序")),
        ("-employee_no", gettext_lazy("工号降序")),
        ("name", gettext_lazy("姓名升序")),
        ("-name", gettext_lazy("姓名降序")),
        ("hire_date", gettext_lazy("入职日期升序")),
        ("-hire_date", gettext_lazy("入职日期降序")),
    ]

    org_unit = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=gettext_lazy("单位编码，含其下级车间、班组")
    )
    status = serializers.ChoiceField(
        choices=Employee.Status.choices, required=False, allow_blank=True, help_text=gettext_lazy("状态")
    )
    employment_type = serializers.ChoiceField(
        choices=EmploymentType.choices, required=False, allow_blank=True, help_text=gettext_lazy("用工形式")
    )
    search = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=gettext_lazy("按姓名或工号模糊查找")
    )
    ordering = serializers.ChoiceField(
        choices=ORDERINGS,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("排序，默认按工号"),
    )


class PostQuerySerializer(EnterpriseQuerySerializer):
    org_unit = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=gettext_lazy("所属单位编码")
    )
    is_active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("是否启用")
    )


class OrgUnitQuerySerializer(EnterpriseQuerySerializer):
    kind = serializers.ChoiceField(
        choices=OrgUnit.Kind.choices, required=False, allow_blank=True, help_text=gettext_lazy("层级")
    )
    is_active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("是否启用")
    )
