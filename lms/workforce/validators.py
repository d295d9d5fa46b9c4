"""Validators for Chinese identifiers, with reasons in Chinese.

The checksums themselves come from python-stdnum (cn.ric, cn.uscc)."""

import re

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


_ID_CANDIDATE = re.compile(r"\d{17}[\dX]")


def id_number_spans(text: str, *, known: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Where ``text`` carries a 身份证号: any of ``known`` (e.g. the holder's),
    and any 18 characters that form a valid 居民身份证号码 (checksum, date,
    region: python-stdnum cn.ric). Spans are (start, end), in order, disjoint."""
    upper = str(text or "").upper()
    marked = [False] * len(upper)
    for number in known:
        number = (number or "").upper()
        start = upper.find(number) if number else -1
        while start != -1:
            marked[start:start + len(number)] = [True] * len(number)
            start = upper.find(number, start + 1)
    for start in range(len(upper) - 17):
        candidate = upper[start:start + 18]
        if not marked[start] and _ID_CANDIDATE.fullmatch(candidate) and ric.is_valid(candidate):
            marked[start:start + 18] = [True] * 18
    spans, start = [], None
    for i, flag in enumerate([*marked, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            spans.append((start, i))
            start = None
    return spans


def mask_id_numbers_in(text: str, *, known: tuple[str, ...] = ()) -> tuple[str, bool]:
    """``text`` with every 身份证号 in it masked as :func:`mask_id_number` does,
    and whether anything was masked (个保法 §51: a certificate number must
    not carry the holder's ID number in full)."""
    text = str(text or "")
    spans = id_number_spans(text, known=known)
    if not spans:
        return text, False
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(mask_id_number(text[start:end].upper()))
        last = end
    parts.append(text[last:])
    return "".join(parts), True
