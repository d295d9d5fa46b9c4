"""The reports on offer: key, title, what each shows, how it may be grouped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.utils.translation import gettext_lazy as _

from . import frames


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    summary: str
    build: Callable[[frames.ReportScope], frames.Table]
    dimensions: tuple[str, ...]
    default_by: str


REPORTS = {
    r.key: r
    for r in (
        Report("coverage", _("培训覆盖与学时"), _("参训人数、已修学时与规则要求的应修学时，按企业、单位、岗位或季度"),
               frames.coverage, ("unit", "post", "quarter", "enterprise"), "unit"),
        Report("obligations", _("培训义务完成情况"), _("本年度到期的培训义务：已完成、未到期、30 天内到期、已逾期"),
               frames.obligations, ("kind", "unit", "post", "enterprise"), "kind"),
        Report("lapsed", _("在岗未达标"), _("仍在岗但已不具备上岗资格的人次及主要原因"),
               frames.lapsed, ("unit", "post", "enterprise"), "unit"),
        Report("exams", _("考试合格率"), _("参考人数、合格率与一次通过率，按考试、季度、企业或单位"),
               frames.exams, ("exam", "quarter", "unit", "enterprise"), "exam"),
        Report("certificates", _("证书到期预测"), _("未来 12 个月每月有效期届满和须复审的证书张数"),
               frames.certificates, ("month", "kind"), "month"),
        Report("warning", _("警示教育覆盖"), _("每季度警示教育的应参加、已完成人数与覆盖率"),
               frames.warning, ("quarter", "unit", "enterprise"), "quarter"),
        Report("apprenticeship", _("师带徒情况"), _("带徒中、期满未出师、本年出师与终止的师带徒"),
               frames.apprenticeship, ("unit", "post", "enterprise"), "unit"),
    )
}


def dimension_choices(report: Report, *, several_enterprises: bool) -> list[tuple[str, str]]:
    labels = dict(frames.DIMENSIONS)
    return [(d, labels[d]) for d in report.dimensions if d != "enterprise" or several_enterprises]
