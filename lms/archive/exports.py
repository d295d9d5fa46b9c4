"""One person, one file (一人一档): reading a person's whole file in a fixed
number of queries, and writing it out as Excel. The page, the PDF and the
Excel workbook all show what :func:`person_file_load` returns; the three-level
card (三级安全教育卡) shows what :func:`induction_card_load` returns."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lms.accounts.scoping import scope
from lms.spreadsheet import safe_cell
from lms.workforce.models import Employee, EmploymentEvent, PostAssignment

from .models import AssessmentResult, TrainingKind, TrainingLevel, TrainingRecord
from .registry import person_file_sections

ZERO = Decimal("0")
# Archive documents carry the time the way the enterprise reads it.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def scoped(queryset, user):
    """Every queryset shown to a user goes through scope(); loaders called by
    code without a user (management commands) read unscoped."""
    return queryset if user is None else scope(queryset, user)


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(SHANGHAI)


def employee_queryset():
    """Employees with what a file header shows, joined in one query."""
    return Employee.objects.select_related(
        "enterprise", "org_unit", "org_unit__parent", "org_unit__parent__parent"
    )


def _unit_path(employee: Employee) -> str:
    if employee.org_unit_id is None:
        return ""
    return " / ".join(unit.name for unit in employee.org_unit.ancestors())


def _is_assessed(record: TrainingRecord) -> bool:
    return record.score is not None or record.assessment_result != AssessmentResult.NOT_ASSESSED


def fmt_hours(hours: Decimal | None) -> str:
    if hours is None:
        return ""
    return f"{hours.normalize():f}" if hours == hours.to_integral() else f"{hours:.1f}"


# --- the person file ---------------------------------------------------------


@dataclass
class PersonFile:
    """One person's file. The registered sections' parts (obligations and
    clearances, certificates, exam results) read as attributes too."""

    employee: Employee
    today: dt.date
    assignments: list[PostAssignment] = field(default_factory=list)
    records: list[TrainingRecord] = field(default_factory=list)  # oldest first
    sections: dict = field(default_factory=dict)  # name → value, from person_file_sections

    def __getattr__(self, name):
        try:
            return self.__dict__["sections"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def enterprise(self):
        return self.employee.enterprise

    @property
    def unit_path(self) -> str:
        return _unit_path(self.employee)

    @property
    def total_hours(self) -> Decimal:
        """Hours on live records (a corrected record no longer counts)."""
        return sum((r.hours for r in self.records if not r.corrected_by_seqs), ZERO)


def _annotate_records(records: list[TrainingRecord]) -> None:
    """Give each record ``corrects_seq`` (the record it corrects) and
    ``corrected_by_seqs`` (records that correct it), from the loaded list."""
    seq_by_pk = {r.pk: r.seq for r in records}
    corrected_by: dict[int, list[int]] = {}
    for r in records:
        if r.corrects_id:
            corrected_by.setdefault(r.corrects_id, []).append(r.seq)
    for r in records:
        r.corrects_seq = seq_by_pk.get(r.corrects_id) if r.corrects_id else None
        r.corrected_by_seqs = corrected_by.get(r.pk, [])
        r.start_local = local_time(r.start_at)
        r.end_local = local_time(r.end_at)
        r.hours_display = fmt_hours(r.hours)


def person_file_load(employee: Employee, *, user=None, today: dt.date | None = None) -> PersonFile:
    """Everything one person's file shows, in a fixed number of queries
    whatever the number of records: current posts, training records (oldest
    first, corrections linked), and the registered sections: obligations
    (open first, overdue flagged), certificates, exam results, and clearance
    for each current post."""
    today = today or timezone.localdate()
    pf = PersonFile(employee=employee, today=today)
    pf.assignments = list(
        scoped(PostAssignment.objects.all(), user)
        .filter(employee=employee, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("post", "post__org_unit", "mentor")
        .order_by("start_date", "pk")
    )
    pf.records = list(
        scoped(TrainingRecord.objects.all(), user)
        .filter(employee=employee)
        .select_related("post")
        .order_by("start_at", "seq")
    )
    _annotate_records(pf.records)
    for section in person_file_sections:
        pf.sections.update(section.load(pf, user))
    return pf


# --- the three-level card (三级安全教育卡) -------------------------------------


@dataclass
class CardLevel:
    level: str
    short_label: str
    label: str
    teacher_hint: str
    records: list[TrainingRecord] = field(default_factory=list)

    @property
    def filled(self) -> bool:
        return bool(self.records)

    @property
    def content(self) -> str:
        seen = []
        for r in self.records:
            text = (r.content or "").strip()
            if text and text not in seen:
                seen.append(text)
        return "\n".join(seen)

    @property
    def dates(self) -> str:
        days = []
        for r in self.records:
            start, end = local_time(r.start_at).date(), local_time(r.end_at).date()
            text = start.isoformat() if start == end else f"{start.isoformat()} 至 {end.isoformat()}"
            if text not in days:
                days.append(text)
        return "；".join(days)

    @property
    def hours(self) -> str:
        if not self.records:
            return ""
        return fmt_hours(sum((r.hours for r in self.records), ZERO))

    @property
    def assessed(self) -> TrainingRecord | None:
        """The latest record with an assessment (score or result)."""
        assessed = [r for r in self.records if _is_assessed(r)]
        return assessed[-1] if assessed else None

    @property
    def score(self) -> str:
        r = self.assessed
        if r is None:
            return ""
        if r.score is not None:
            return f"{fmt_hours(r.score)} 分（{r.get_assessment_result_display()}）"
        return r.get_assessment_result_display()

    @property
    def trainers(self) -> str:
        names = []
        for r in self.records:
            if r.trainer and r.trainer not in names:
                names.append(r.trainer)
        return "、".join(names)


@dataclass
class InductionCard:
    employee: Employee
    post: object | None
    department: str
    company: CardLevel
    workshop: CardLevel
    team: CardLevel
    assigned_on: dt.date | None = None  # 分配日期 (workshop part)
    on_post_since: dt.date | None = None  # 上岗日期 (team part)
    mentor: Employee | None = None  # 师傅
    solo_assessment: str = ""  # 独立上岗前考核成绩

    @property
    def levels(self) -> list[CardLevel]:
        return [self.company, self.workshop, self.team]


def _department(employee: Employee, post) -> str:
    """部门: the workshop (and team) of the post, else of the person's unit."""
    unit = post.org_unit if post is not None else employee.org_unit
    if unit is None:
        return ""
    parts = [u.name for u in unit.ancestors() if u.kind != u.Kind.COMPANY]
    return " / ".join(parts) or unit.name


def induction_card_load(employee: Employee, *, user=None) -> InductionCard:
    """The three-level card for the person's current (or most recent) post:
    live induction records per level (workshop and team for that post, and
    transfer retraining at those levels), the date assigned, the date on the
    post, the mentor and the assessment before working alone. Levels without
    records come back empty, to be filled in by hand."""
    records = list(
        scoped(TrainingRecord.objects.all(), user)
        .filter(employee=employee)
        .filter(
            Q(kind=TrainingKind.INDUCTION)
            | Q(kind=TrainingKind.RETRAINING, level__in=[TrainingLevel.WORKSHOP, TrainingLevel.TEAM])
            | Q(kind=TrainingKind.APPRENTICESHIP)
        )
        .select_related("post", "post__org_unit", "post__org_unit__parent", "post__org_unit__parent__parent")
        .order_by("start_at", "seq")
    )
    corrected = {r.corrects_id for r in records if r.corrects_id}
    live = [r for r in records if r.pk not in corrected]
    assignments = list(
        scoped(PostAssignment.objects.all(), user)
        .filter(employee=employee)
        .select_related("post", "post__org_unit", "post__org_unit__parent", "post__org_unit__parent__parent", "mentor")
        .order_by("start_date", "pk")
    )
    events = list(
        scoped(EmploymentEvent.objects.all(), user)
        .filter(employee=employee, post__isnull=False)
        .filter(type__in=[EmploymentEvent.Type.HIRE, EmploymentEvent.Type.TRANSFER])
        .select_related("post", "post__org_unit", "post__org_unit__parent", "post__org_unit__parent__parent")
        .order_by("date", "pk")
    )

    # Which post the card is for (工种): the post of the latest workshop/team
    # induction, else the current post, else the post named at hire/transfer.
    post = None
    leveled = [r for r in live if r.level in (TrainingLevel.WORKSHOP, TrainingLevel.TEAM) and r.post_id]
    today = timezone.localdate()
    current = [a for a in assignments if a.is_current(today)]
    if leveled:
        post = leveled[-1].post
    elif current:
        post = current[-1].post
    elif assignments:
        post = assignments[-1].post
    elif events:
        post = events[-1].post

    def for_level(level):
        rows = [r for r in live if r.level == level and r.kind != TrainingKind.APPRENTICESHIP]
        if level == TrainingLevel.COMPANY:
            return [r for r in rows if r.kind == TrainingKind.INDUCTION]
        if post is not None:
            rows = [r for r in rows if r.post_id in (None, post.pk)]
        return rows

    card = InductionCard(
        employee=employee,
        post=post,
        department=_department(employee, post),
        # 令3 §14–§16: who teaches and signs each level.
        company=CardLevel(TrainingLevel.COMPANY, _("厂级"), _("厂级安全教育"), _("由安全管理部门教育并签名")),
        workshop=CardLevel(TrainingLevel.WORKSHOP, _("车间级"), _("车间级安全教育"), _("由车间负责人或车间安全员签名")),
        team=CardLevel(TrainingLevel.TEAM, _("班组级"), _("班组级安全教育"), _("由班组长或班组安全员签名")),
    )
    card.company.records = for_level(TrainingLevel.COMPANY)
    card.workshop.records = for_level(TrainingLevel.WORKSHOP)
    card.team.records = for_level(TrainingLevel.TEAM)
    if post is not None:
        named = [e for e in events if e.post_id == post.pk]
        card.assigned_on = named[-1].date if named else None
        on_post = [a for a in assignments if a.post_id == post.pk]
        card.on_post_since = on_post[0].start_date if on_post else None
        mentors = [a.mentor for a in on_post if a.kind == PostAssignment.Kind.APPRENTICE and a.mentor_id]
        card.mentor = mentors[-1] if mentors else None
        solo = [
            r for r in live
            if r.kind == TrainingKind.APPRENTICESHIP and r.post_id in (None, post.pk) and _is_assessed(r)
        ]
        if solo:
            r = solo[-1]
            card.solo_assessment = (
                f"{fmt_hours(r.score)} 分（{r.get_assessment_result_display()}）"
                if r.score is not None else r.get_assessment_result_display()
            )
    return card


# --- Excel -------------------------------------------------------------------

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B4F8A")


def _put(ws, row: int, col: int, value):
    """Write one cell; text never becomes a formula (a title typed as
    "=HYPERLINK(…)" is written as the text "'=HYPERLINK(…)", lms.spreadsheet)."""
    if isinstance(value, dt.datetime):
        value = local_time(value).replace(tzinfo=None)
    cell = ws.cell(row=row, column=col, value=safe_cell(value))
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _sheet(wb, title: str, headers: list[tuple[str, int]], rows):
    ws = wb.create_sheet(title)
    for col, (label, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=safe_cell(label))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values, start=1):
            _put(ws, r, col, value)
    ws.freeze_panes = "A2"
    return ws


def person_file_xlsx(pf: PersonFile) -> bytes:
    """The file as a workbook: 基本信息, 培训记录, 培训义务, 证书 (the ID
    number masked, times in Asia/Shanghai)."""
    e = pf.employee
    wb = Workbook()
    info = wb.active
    info.title = _("基本信息")
    facts = [
        (_("企业"), e.enterprise.name),
        (_("姓名"), e.name),
        (_("工号"), e.employee_no),
        (_("身份证号"), e.id_number_masked),
        (_("所在单位"), pf.unit_path),
        (_("用工形式"), e.get_employment_type_display()),
        (_("入职日期"), e.hire_date),
        (_("状态"), e.get_status_display()),
        (_("当前岗位"), "、".join(a.post.name for a in pf.assignments)),
        *(fact for section in person_file_sections if section.facts for fact in section.facts(pf)),
        (_("导出时间"), timezone.now()),
    ]
    for row, (label, value) in enumerate(facts, start=1):
        info.cell(row=row, column=1, value=safe_cell(label)).font = Font(bold=True)
        _put(info, row, 2, value)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 60

    _sheet(
        wb, _("培训记录"),
        [(_("序号"), 6), (_("开始时间"), 17), (_("结束时间"), 17), (_("培训类别"), 18), (_("教育层级"), 14),
         (_("培训名称"), 28), (_("培训内容"), 40), (_("学时"), 7), (_("授课人/组织者"), 14), (_("地点"), 16),
         (_("考核方式"), 10), (_("考核结果"), 9), (_("成绩"), 7), (_("来源"), 12), (_("针对岗位"), 12),
         (_("更正说明"), 22), (_("录入人"), 12), (_("录入时间"), 17)],
        (
            [r.seq, r.start_at, r.end_at, r.get_kind_display(), r.get_level_display() if r.level else "",
             r.title, r.content, r.hours, r.trainer, r.place, r.assessment_method,
             r.get_assessment_result_display(), r.score, r.get_source_display(), r.post.name if r.post_id else "",
             "；".join(
                 ([_("更正了记录 #%(n)s") % {"n": r.corrects_seq}] if r.corrects_seq else [])
                 + [_("已被记录 #%(n)s 更正") % {"n": n} for n in r.corrected_by_seqs]
             ),
             r.recorded_by_name, r.recorded_at]
            for r in pf.records
        ),
    )
    for section in person_file_sections:
        if section.sheet:
            _sheet(wb, *section.sheet(pf))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
