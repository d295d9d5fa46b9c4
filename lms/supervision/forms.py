from django import forms
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import region_code_validator
from lms.workforce.models import Industry, RiskClass

from .models import MAX_EMPLOYEES, MAX_ENTERPRISES, Finding
from .services import SEED_LIMIT


class SampleForm(forms.Form):
    region_code = forms.CharField(
        label=_("抽查地区（行政区划代码）"), max_length=6, validators=[region_code_validator],
        help_text=_("您的监管地区或其下级地区，如 320505"),
        error_messages={"required": _("请填写抽查地区的行政区划代码")},
    )
    n = forms.IntegerField(
        label=_("抽取企业数"), min_value=1, max_value=MAX_ENTERPRISES, initial=5,
        error_messages={"required": _("请填写抽取企业数"), "invalid": _("请输入整数"),
                        "min_value": _("至少抽取 1 家企业"),
                        "max_value": _("一次最多抽取 %(limit_value)s 家企业")},
    )
    m = forms.IntegerField(
        label=_("每家企业抽取人数"), min_value=1, max_value=MAX_EMPLOYEES, initial=5,
        error_messages={"required": _("请填写每家企业抽取人数"), "invalid": _("请输入整数"),
                        "min_value": _("每家企业至少抽取 1 人"),
                        "max_value": _("每家企业最多抽取 %(limit_value)s 人")},
    )
    industry = forms.ChoiceField(label=_("行业（可选）"), required=False,
                                 choices=[("", _("不限"))] + list(Industry.choices))
    risk_class = forms.ChoiceField(label=_("风险类别（可选）"), required=False,
                                   choices=[("", _("不限"))] + list(RiskClass.choices))
    weight_high_hazard = forms.BooleanField(
        label=_("侧重高风险岗位人员"), required=False,
        help_text=_("重大/较大风险岗位和特种作业岗位人员被抽中的机会为其他人员的 3 倍"),
    )
    seed = forms.IntegerField(
        label=_("随机种子（可选）"), required=False, min_value=0, max_value=SEED_LIMIT - 1,
        help_text=_("留空则随机生成；填写以往样本的种子可复现抽样"),
        error_messages={"invalid": _("随机种子应为整数"), "min_value": _("随机种子不能为负数"),
                        "max_value": _("随机种子过大")},
    )

    def __init__(self, *args, default_region: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].initial = default_region


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("问题类型"), choices=Finding.Kind.choices,
                             error_messages={"required": _("请选择问题类型")})
    employee = forms.TypedChoiceField(label=_("涉及人员（可选）"), required=False, coerce=int, empty_value=None)
    description = forms.CharField(label=_("问题描述"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
                                  error_messages={"required": _("请描述发现的问题")})
    deadline = forms.DateField(label=_("整改期限"), widget=forms.DateInput(attrs={"type": "date"}),
                               error_messages={"required": _("请填写整改期限"), "invalid": _("请输入有效日期，如 2026-12-31")})

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].choices = [("", _("不针对个人（企业整体）"))] + [(p.pk, str(p)) for p in people]


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("整改情况说明"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": _("请填写整改情况说明")})
    evidence = forms.FileField(label=_("佐证材料（可选）"), required=False,
                               help_text=_("PDF、图片、Word、Excel 或 ZIP，不超过 10 MB"))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("处理"), choices=[("close", _("销号")), ("reopen", _("退回重改"))],
                                 widget=forms.RadioSelect, error_messages={"required": _("请选择销号或退回")})
    text = forms.CharField(label=_("意见"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("退回时必须说明原因"))
