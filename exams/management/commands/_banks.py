"""What the question commands share: finding the enterprise and the bank."""

from exams.models import QuestionBank
from lms.workforce.import_targets import find_enterprise as enterprise_by_key


def find_enterprise(key: str | None):
    """The enterprise with code or 统一社会信用代码 ``key``; None for no key."""
    return enterprise_by_key(key) if key else None


def find_bank(name: str, enterprise) -> QuestionBank | None:
    """The bank named ``name`` of ``enterprise`` (None = platform banks)."""
    return QuestionBank.objects.filter(enterprise=enterprise, name=name.strip()).first()


def bank_title(bank: QuestionBank) -> str:
    owner = bank.enterprise.name if bank.enterprise_id else "平台公共题库"
    return f"{owner} · {bank.name}"
