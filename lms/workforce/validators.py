"""Validators for Chinese identifiers, with reasons in Chinese.

The checksums themselves come from python-stdnum (cn.ric, cn.uscc)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric, uscc


def clean_id_number(value: str) -> str:
    """Return the normalised 18-character 居民身份证号码 or raise ValidationError."""
    number = ric.compact(str(value or "")).upper()
    try:
        ric.validate(number)
    except stdnum_exc.InvalidLength:
        raise ValidationError(_("身份证号应为 18 位"), code="id_length") from None
    except stdnum_exc.InvalidChecksum:
        raise ValidationError(_("身份证号校验位错误"), code="id_checksum") from None
    except stdnum_exc.InvalidComponent:
        raise ValidationError(_("身份证号中的出生日期或地区码无效"), code="id_component") from None
    except stdnum_exc.ValidationError:
        raise ValidationError(_("身份证号格式不正确"), code="id_format") from None
    return number


def validate_id_number(value: str) -> None:
    clean_id_number(value)


def clean_credit_code(value: str) -> str:
    """Return the normalised 18-character 统一社会信用代码 or raise ValidationError."""
    code = uscc.compact(str(value or "")).upper()
    try:
        uscc.validate(code)
    except stdnum_exc.InvalidLength:
        raise ValidationError(_("统一社会信用代码应为 18 位"), code="uscc_length") from None
    except stdnum_exc.InvalidChecksum:
        raise ValidationError(_("统一社会信用代码校验位错误"), code="uscc_checksum") from None
    except stdnum_exc.ValidationError:
        raise ValidationError(_("统一社会信用代码格式不正确"), code="uscc_format") from None
    return code


def validate_credit_code(value: str) -> None:
    clean_credit_code(value)


def mask_id_number(number: str) -> str:
    """Show region and last four only: 320505********123X."""
    if not number or len(number) < 10:
        return "*" * len(number or "")
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
