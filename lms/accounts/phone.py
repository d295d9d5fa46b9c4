"""Mainland-China mobile numbers: what users type, and the one stored form."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_cn_mobile(value: str) -> str:
    """Return ``+86`` followed by the 11 digits, or raise ValidationError.

    Accepts what people write: spaces, dashes, a leading ``+86``/``86``/``0086``.
    """
    digits = re.sub(r"[\s\-()（）]", "", str(value or ""))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _MOBILE.match(digits):
        raise ValidationError(_("手机号格式不正确（应为 11 位大陆手机号）"), code="invalid_phone")
    return "+86" + digits


def display_cn_mobile(value: str) -> str:
    return value[3:] if value and value.startswith("+86") else (value or "")


class CNMobileField(forms.CharField):
    """A form field for a mainland mobile number, cleaned to ``+86…``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("手机号"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "placeholder": _("手机号")})
        )
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        return normalize_cn_mobile(value)
