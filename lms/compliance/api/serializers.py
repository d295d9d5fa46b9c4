"""What the compliance endpoints of the API read and write: clearance
answers, post assignments through the gate, a person's training records
and obligations.

As in lms.workforce.api.serializers, input serializers only check and resolve codes
into objects of the right enterprise (always through scoping); the views
hand the result to the services."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.api.serializers import StrictInputSerializer
from lms.archive.models import TrainingKind, TrainingRecord
from lms.compliance.models import Obligation, TrainingRule
from lms.workforce.api.serializers import AssignmentOutSerializer, _code_field
from lms.workforce.api.tenancy import one_employee, writable_enterprise
from lms.workforce.models import Employee, Post, PostAssignment

# --- clearance -----------------------------------------------------------------


class ReasonOutSerializer(serializers.Serializer):
    """不准上岗的一条原因。各字段总会出现，不适用时为 null。"""

    code = serializers.CharField(help_text=gettext_lazy("原因代码（稳定，供程序判断），如 INDUCTION_LEVEL_MISSING"))
    message = serializers.CharField(help_text=gettext_lazy("原因说明"))
    satisfy = serializers.CharField(help_text=gettext_lazy("如何满足要求"))
    obligation_id = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("对应的培训义务编号"))
    required_hours = serializers.CharField(allow_null=True, help_text=gettext_lazy("要求学时"))
    completed_hours = serializers.CharField(allow_null=True, help_text=gettext_lazy("已完成学时"))
    due_date = serializers.DateField(allow_null=True, help_text=gettext_lazy("截止日期"))
    certificate_id = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("相关证书编号"))


class ClearanceOutSerializer(serializers.Serializer):
    """上岗资格结论：该员工在该日期能否从事该岗位。"""

    cleared = serializers.BooleanField(help_text=gettext_lazy("是否准予上岗"))
    enterprise = serializers.CharField(help_text=gettext_lazy("企业编码"))
    employee_no = serializers.CharField(help_text=gettext_lazy("工号"))
    post_code = serializers.CharField(help_text=gettext_lazy("岗位编码"))
    post_name = serializers.CharField(help_text=gettext_lazy("岗位名称"))
    date = serializers.DateField(help_text=gettext_lazy("校验日期（拟上岗日期）"))
    reasons = ReasonOutSerializer(many=True, help_text=gettext_lazy("不准上岗的原因；准予上岗时为空"))


def clearance_data(result, *, employee: Employee, post: Post) -> dict:
    """The ClearanceOut body for a ``lms.compliance.services.Clearance``."""
    return {
        "cleared": result.cleared,
        "enterprise": employee.enterprise.code,
        "employee_no": employee.employee_no,
        "post_code": post.code,
        "post_name": post.name,
        "date": result.on_date,
        "reasons": [
            {
                "code": r.code,
                "message": r.message,
                "satisfy": r.satisfy or "",
                "obligation_id": r.obligation_id,
                "required_hours": r.required_hours,
                "completed_hours": r.completed_hours,
                "due_date": r.due_date,
                "certificate_id": r.certificate_id,
            }
            for r in result.reasons
        ],
    }


class EmployeePathQuerySerializer(serializers.Serializer):
    """Query parameters of URLs under /employees/{employee_no}/."""

    enterprise = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("企业编码：账号在多个企业有权限且工号重复时用于指定企业"),
    )


class ClearanceQuerySerializer(EmployeePathQuerySerializer):
    post = serializers.CharField(max_length=32, help_text=gettext_lazy("岗位编码"))
    date = serializers.DateField(required=False, help_text=gettext_lazy("上岗日期，YYYY-MM-DD；默认今天（北京时间）"))

    def resolve_post(self, employee: Employee, user) -> Post:
        """The active post of ``employee``'s enterprise named by ``post``, or a 400 on "post"."""
        posts = scope(Post.objects.filter(enterprise_id=employee.enterprise_id), user)
        post = posts.filter(code=self.validated_data["post"]).first()
        if post is None:
            raise serializers.ValidationError({"post": [_("该企业没有此编码的岗位")]})
        if not post.is_active:
            raise serializers.ValidationError({"post": [_("岗位已停用")]})
        return post


# --- post assignments ----------------------------------------------------------


class PostAssignmentOutSerializer(AssignmentOutSerializer):
    enterprise = serializers.CharField(
        source="employee.enterprise.code", read_only=True, help_text=gettext_lazy("企业编码")
    )
    employee_no = serializers.CharField(source="employee.employee_no", read_only=True, help_text=gettext_lazy("工号"))
    employee_name = serializers.CharField(source="employee.name", read_only=True, help_text=gettext_lazy("姓名"))

    class Meta(AssignmentOutSerializer.Meta):
        fields = [
            "id",
            "enterprise",
            "employee_no",
            "employee_name",
            *AssignmentOutSerializer.Meta.fields,
            "created_at",
        ]
        read_only_fields = fields


class AssignmentCreateSerializer(StrictInputSerializer):
    enterprise = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=gettext_lazy("企业编码；工号在多个企业重复时必填")
    )
    employee_no = serializers.CharField(max_length=32, help_text=gettext_lazy("工号"))
    post_code = serializers.CharField(max_length=32, help_text=gettext_lazy("岗位编码"))
    start_date = serializers.DateField(help_text=gettext_lazy("上岗日期，YYYY-MM-DD"))
    kind = serializers.ChoiceField(
        choices=PostAssignment.Kind.choices,
        default=PostAssignment.Kind.REGULAR,
        help_text=gettext_lazy("上岗方式：regular 正式上岗，apprentice 师带徒（须指定师傅）"),
    )
    mentor_no = _code_field(gettext_lazy("师傅工号；师带徒上岗时必填"))

    def validate(self, attrs):
        user = self.context["request"].user
        employees = scope(Employee.objects.select_related("enterprise"), user, Capability.CHANGE)
        enterprise_code = attrs.get("enterprise")
        if enterprise_code:
            employees = employees.filter(enterprise=writable_enterprise(user, enterprise_code))
        employee = one_employee(employees, attrs["employee_no"])
        if employee is None:
            # The same answer whether the 工号 exists in another enterprise or nowhere.
            raise serializers.ValidationError({"employee_no": [_("未找到该工号的员工")]})
        errors = {}
        posts = scope(Post.objects.filter(enterprise_id=employee.enterprise_id), user, Capability.CHANGE)
        post = posts.filter(code=attrs["post_code"]).first()
        if post is None:
            errors["post_code"] = [_("该企业没有此编码的岗位")]
        mentor = None
        mentor_no = attrs.get("mentor_no")
        if mentor_no:
            mentors = employees.filter(enterprise_id=employee.enterprise_id)
            mentor = mentors.filter(employee_no=mentor_no).first()
            if mentor is None:
                errors["mentor_no"] = [_("未找到该工号的师傅")]
        elif attrs["kind"] == PostAssignment.Kind.APPRENTICE:
            errors["mentor_no"] = [_("师带徒上岗必须指定师傅")]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["employee"], attrs["post"], attrs["mentor"] = employee, post, mentor
        return attrs


# --- the person's file ------------------------------------------------------------


class TrainingRecordOutSerializer(serializers.ModelSerializer):
    post_code = serializers.CharField(
        source="post.code", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("针对岗位编码")
    )
    corrects = serializers.IntegerField(
        source="corrects_id", read_only=True, allow_null=True, help_text=gettext_lazy("本记录更正的记录编号")
    )

    class Meta:
        model = TrainingRecord
        fields = [
            "id",
            "seq",
            "kind",
            "level",
            "post_code",
            "title",
            "content",
            "start_at",
            "end_at",
            "place",
            "hours",
            "trainer",
            "participants",
            "assessment_method",
            "assessment_result",
            "score",
            "source",
            "corrects",
            "recorded_by_name",
            "recorded_at",
            "hash",
            "prev_hash",
        ]
        read_only_fields = fields


class RuleOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingRule
        fields = ["code", "version", "jurisdiction", "source"]
        read_only_fields = fields


class ObligationOutSerializer(serializers.ModelSerializer):
    post_code = serializers.CharField(
        source="post.code", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("岗位编码")
    )
    rule = RuleOutSerializer(read_only=True, help_text=gettext_lazy("所依据的规则版本"))
    event_type = serializers.CharField(
        source="event.type", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("触发事件类型")
    )
    event_date = serializers.DateField(
        source="event.date", read_only=True, allow_null=True, default=None, help_text=gettext_lazy("触发事件日期")
    )

    class Meta:
        model = Obligation
        fields = [
            "id",
            "kind",
            "level",
            "post_code",
            "min_hours",
            "completed_hours",
            "exam_required",
            "exam_passed",
            "blocks_post",
            "status",
            "start_date",
            "end_date",
            "due_date",
            "met_at",
            "cycle",
            "rule",
            "event_type",
            "event_date",
        ]
        read_only_fields = fields


class RecordQuerySerializer(EmployeePathQuerySerializer):
    kind = serializers.ChoiceField(
        choices=TrainingKind.choices, required=False, allow_blank=True, help_text=gettext_lazy("只看该类培训")
    )


class ObligationQuerySerializer(EmployeePathQuerySerializer):
    status = serializers.ChoiceField(
        choices=Obligation.Status.choices, required=False, allow_blank=True, help_text=gettext_lazy("只看该状态")
    )
