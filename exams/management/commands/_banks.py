"""What the question commands share: finding the enterprise and the bank."""

from django.core.management.base import CommandError
from django.db.models import Q

from exams.models import QuestionBank
from lms.workforce.models import Enterprise


def find_enterprise(key: str | None):
    """The enterprise with code or 统一社会信用代码 ``key``; None for no key."""
    if not key:
        return None
    key = key.strip()
    found = Enterprise.objects.filter(Q(code=key) | Q(credit_code=key.upper())).first()
    if found is None:
        raise CommandError(f"找不到企业：{key}（请填写企业编码或统一社会信用代码）")
    return found


def find_bank(name: str, enterprise) -> QuestionBank | None:
    """The bank named ``name`` of ``enterprise`` (None = platform banks)."""
    return QuestionBank.objects.filter(enterprise=enterprise, name=name.strip()).first()


def bank_title(bank: QuestionBank) -> str:
    owner = bank.enterprise.name if bank.enterprise_id else "平台公共题库"
    return f"{owner} · {bank.name}"
