"""法 §97 (《安全生产法》2021 第九十七条): what the law does to an enterprise
whose staff work untrained, whose records are untrue, whose principals are
unassessed or whose special operators work without the certificate — named in
the 在岗未达标 report and in a regulator's findings (RULES.md "Penalties").

Which item of §97 a clearance reason falls under is decided here, once."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

ARTICLE = _("《安全生产法》第九十七条")
CONSEQUENCE = _(
    "责令限期改正，处十万元以下的罚款；逾期未改正的，责令停产停业整顿，并处十万元以上二十万元以下的罚款，"
    "对其直接负责的主管人员和其他直接责任人员处二万元以上五万元以下的罚款"
)


@dataclass(frozen=True)
class Penalty:
    key: str
    item: str  # the item's number in §97, as the statute writes it
    conduct: str

    @property
    def citation(self) -> str:
        return f"{ARTICLE}{self.item}"

    @property
    def consequence(self) -> str:
        return str(CONSEQUENCE)


PRINCIPALS = Penalty("principals", "（二）", _("主要负责人和安全生产管理人员未按照规定经考核合格"))
TRAINING = Penalty("training", "（三）", _("未按照规定对从业人员、被派遣劳动者、实习学生进行安全生产教育和培训"))
RECORDS = Penalty("records", "（四）", _("未如实记录安全生产教育和培训情况"))
SPECIAL_OPERATORS = Penalty("special_operators", "（七）", _("特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业"))
ORDER = (PRINCIPALS, TRAINING, RECORDS, SPECIAL_OPERATORS)

# Clearance reason codes (lms.compliance.services.Code and the reason
# sources') that name the principals' own duties; certificate reasons fall
# under item (七) on a special-operation post and item (二) for a principal
# or safety manager (their competence certificate); anything else is training.
_PRINCIPAL_CODES = frozenset({"PRINCIPAL_TRAINING_MISSING", "FATAL_ACCIDENT_RETRAINING_OVERDUE"})
_CERTIFICATE_PREFIXES = ("CERT_", "SPECIAL_OP_")


def penalty_for(code: str, *, special_operation_post: bool = False, principal: bool = False) -> Penalty:
    """The item of §97 that a clearance reason ``code`` falls under, for a
    person (a principal or safety manager?) on a post (special operation?)."""
    if code in _PRINCIPAL_CODES:
        return PRINCIPALS
    if code.startswith(_CERTIFICATE_PREFIXES):
        if special_operation_post:
            return SPECIAL_OPERATORS
        if principal:
            return PRINCIPALS
    return TRAINING


def penalties_for(codes, *, special_operation_post: bool = False, principal: bool = False) -> list[Penalty]:
    """The items of §97 the reasons ``codes`` fall under, in the statute's order."""
    found = {penalty_for(c, special_operation_post=special_operation_post, principal=principal).key for c in codes}
    return [p for p in ORDER if p.key in found]


# A regulator's finding (lms.supervision Finding.Kind) by the item it falls under.
FINDING_KINDS = {"missing_hours": TRAINING, "unqualified": TRAINING, "record_gaps": RECORDS}


def penalty_for_finding(kind: str) -> Penalty | None:
    return FINDING_KINDS.get(kind)
