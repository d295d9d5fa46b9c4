"""Serializer plumbing shared by every app's API."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not know instead of silently dropping them: a
    typo, or an attempt to change 工号 or history, is a 400 the client sees."""

    # Known-but-not-writable keys and why they are refused.
    locked_field_messages: dict = {}

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            for key in data:
                if key not in writable:
                    unknown[str(key)[:64]] = [str(self.locked_field_messages.get(key, _("未知字段，不能写入")))]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value
