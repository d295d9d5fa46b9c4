"""Back-office building blocks every app's admin shares (no app of ours
imported): a service's refusal shown on the form or as a message,
and dates shown as absolute local text. The tenancy-aware bases (scoped
views, forms, inspect views and policies) are lms.accounts.admin_scoping."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names when the
    form shows that field, otherwise above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
            if target is None and field in form.fields:
                errors = [ValidationError(f"{form.fields[field].label}：{msg}") for e in errors for msg in e.messages]
            form.add_error(target, errors)
    else:
        form.add_error(None, error)


class ServiceFormMixin:
    """Create/edit views that save through a service: its refusal
    (a ValidationError) is shown on the form."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            apply_service_errors(form, error)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class ServiceDeleteMixin:
    """Delete views that delete through a service; a refusal is a message."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
            return redirect(self.get_success_url())


def local_text(value) -> str:
    """A date as 2026-03-01, a datetime in local time as 2026-03-01 08:30, else "—".

    Wagtail's DateColumn shows relative ages ("3 周之前") and its inspect view
    formats aware datetimes in UTC; an archive wants the calendar date."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def date_text_column(name: str, label, *, attr: str | None = None) -> Column:
    """A sortable column showing a date or datetime as absolute local text."""
    attr = attr or name
    return Column(name, label=label, accessor=lambda obj: local_text(getattr(obj, attr)), sort_key=attr)


class LocalTimeInspectMixin:
    """Inspect views that show dates and times as local, absolute text."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, dt.date):
            return local_text(value)
        return value
