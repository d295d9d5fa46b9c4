from django import forms
from django.utils.translation import gettext_lazy as _

from content.models import AccidentCasePage


class ReflectionForm(forms.Form):
    reflection = forms.CharField(
        label=_("学习心得"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请填写学习心得")},
    )


class ExtraCasesForm(forms.Form):
    extra_cases = forms.ModelMultipleChoiceField(
        label=_("企业补充案例"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=AccidentCasePage.objects.none(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["extra_cases"].queryset = AccidentCasePage.objects.live().order_by("-accident_date", "-pk")
        self.fields["extra_cases"].label_from_instance = lambda c: f"{c.title}（{c.get_accident_type_display()}）"


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("会议主题"), max_length=200)
    start_at = forms.DateTimeField(
        label=_("开始时间"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end_at = forms.DateTimeField(
        label=_("结束时间"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("地点"), max_length=200)
