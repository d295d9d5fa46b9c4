from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

YEARS_BACK = 9


class ReportForm(forms.Form):
    """Which enterprise (or all the user may see), which year, grouped by what.
    Bad values are field errors (400), never a 500."""

    enterprise = forms.TypedChoiceField(label=_("企业"), coerce=int, required=False, empty_value=None)
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False, empty_value=None)
    by = forms.ChoiceField(label=_("统计口径"), required=False)

    def __init__(self, data, *, enterprises, dimensions, default_by):
        super().__init__(data)
        self.enterprises = list(enterprises)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, this_year - YEARS_BACK - 1, -1)]
        if len(self.enterprises) > 1:
            self.fields["enterprise"].choices = [("", _("全部企业")), *[(e.pk, e.name) for e in self.enterprises]]
        else:
            self.fields["enterprise"].choices = [(e.pk, e.name) for e in self.enterprises]
        self.fields["by"].choices = dimensions
        self.default_by = default_by

    def scope_values(self) -> tuple[list, int, dt.date, str]:
        """(enterprises, year, as-of day, by) from the cleaned data."""
        data = self.cleaned_data
        today = timezone.localdate()
        year = data.get("year") or today.year
        chosen = [e for e in self.enterprises if e.pk == data["enterprise"]] if data.get("enterprise") else self.enterprises
        by = data.get("by") or self.default_by
        if by == "enterprise" and len(chosen) == 1:
            by = self.default_by if self.default_by != "enterprise" else "unit"
        as_of = today if year == today.year else dt.date(year, 12, 31)
        return chosen, year, as_of, by
