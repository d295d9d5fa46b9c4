"""Forms of the apprentice's and the mentor's pages. They only validate the
input; the views save through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Rating, week_start_of


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def week_choices(start: dt.date, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Every week from the start's week to this week, newest first."""
    today = today or timezone.localdate()
    out, monday = [], week_start_of(today)
    first = week_start_of(start)
    while monday >= first:
        end = monday + dt.timedelta(days=6)
        out.append((monday.isoformat(), f"{monday:%Y-%m-%d} 至 {end:%m-%d}"))
        monday -= dt.timedelta(days=7)
    return out


class WeekForm(forms.Form):
    week_start = forms.TypedChoiceField(label=_("哪一周"), coerce=dt.date.fromisoformat)
    content = forms.CharField(label=_("本周所学内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("师傅讲解的操作规程、危险点、应急处置等"))
    practice = forms.CharField(label=_("实际操作"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("在师傅监护下亲手做了哪些操作"))
    problems = forms.CharField(label=_("问题与体会"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    hours = forms.DecimalField(label=_("带教学时"), min_value=Decimal("0"), max_value=Decimal("84"), decimal_places=1,
                               initial=Decimal("8"), widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}))

    def __init__(self, *args, apprenticeship, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["week_start"].choices = week_choices(apprenticeship.start_date)


class ConfirmForm(forms.Form):
    comment = forms.CharField(label=_("师傅意见"), max_length=500, required=False)


def month_choices(start: dt.date, today: dt.date | None = None) -> list[tuple[str, str]]:
    today = today or timezone.localdate()
    out, month = [], today.replace(day=1)
    while month >= start.replace(day=1):
        out.append((month.isoformat(), f"{month:%Y-%m}"))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return out


class EvaluationForm(forms.Form):
    month = forms.TypedChoiceField(label=_("月份"), coerce=dt.date.fromisoformat)
    safety_awareness = forms.ChoiceField(label=_("安全意识"), choices=Rating.choices, widget=forms.RadioSelect)
    skill = forms.ChoiceField(label=_("操作技能"), choices=Rating.choices, widget=forms.RadioSelect)
    discipline = forms.ChoiceField(label=_("劳动纪律"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("评语"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, apprenticeship, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = month_choices(apprenticeship.start_date)


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("考核日期"), widget=DateInput(), initial=timezone.localdate)
    items = forms.CharField(label=_("考核项目"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("如：开停车操作、异常工况处置、个人防护用品使用"))
    score = forms.DecimalField(label=_("成绩"), min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=1,
                               widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}))
    assessors = forms.CharField(label=_("考评人"), max_length=200)


class SignForm(forms.Form):
    comment = forms.CharField(label=_("意见"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), initial=_("同意出师，可独立上岗"))
