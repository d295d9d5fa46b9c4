"""One person, one file (一人一档): reading a person's whole file in a fixed
number of queries, and writing it out as Excel. The page, the PDF and the
Excel workbook all show what :func:`person_file_load` returns; the three-level
card (三级安全教育卡) shows what :func:`induction_card_load` returns."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from certificates.models import Certificate
from exams.models import Attempt
from lms.accounts.scoping import scope
from lms.compliance.models import Obligation
from lms.compliance.services import Clearance, clearance
from lms.spreadsheet import safe_cell
from lms.workforce.models import Employee, EmploymentEvent, PostAssignment

from .models import AssessmentResult, TrainingKind, TrainingLevel, TrainingRecord
from .pdf import SHANGHAI

ZERO = Decimal("0")


def _scoped(queryset, user):
    """Every queryset shown to a user goes through scope(); loaders called by
    code without a user (management commands) read unscoped."""
    return queryset if user is None else scope(queryset, user)


def _local(value: dt.datetime | None) -> dt.datetime | None:
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


def _fmt_hours(hours: Decimal | None) -> str:
    if hours is None:
        return ""
    return f"{hours.normalize():f}" if hours == hours.to_integral() else f"{hours:.1f}"


# --- the person file ---------------------------------------------------------


@dataclass
class PostClearance:
    assignment: PostAssignment
    result: Clearance

    @property
    def post(self):
        return self.assignment.post


@dataclass
class PersonFile:
    employee: Employee
    today: dt.date
    assignments: list[PostAssignment] = field(default_factory=list)
    records: list[TrainingRecord] = field(default_factory=list)  # oldest first
    obligations: list[Obligation] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    clearances: list[PostClearance] = field(default_factory=list)
    exam_results: list = field(default_factory=list)  # graded attempts, newest first

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

    @property
    def open_obligations(self) -> list[Obligation]:
        return [o for o in self.obligations if o.status == Obligation.Status.OPEN]

    @property
    def overdue_count(self) -> int:
        return sum(1 for o in self.obligations if o.is_overdue)


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
        r.start_local = _local(r.start_at)
        r.end_local = _local(r.end_at)
        r.hours_display = _fmt_hours(r.hours)


def person_file_load(employee: Employee, *, user=None, today: dt.date | None = None) -> PersonFile:
    """Everything one person's file shows, in a fixed number of queries
    whatever the number of records: current posts, training records (oldest
    first, corrections linked), obligations (open first, overdue flagged),
    certificates, and clearance for each current post."""
    today = today or timezone.localdate()
    pf = PersonFile(employee=employee, today=today)
    pf.assignments = list(
        _scoped(PostAssignment.objects.all(), user)
        .filter(employee=employee, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("post", "post__org_unit", "mentor")
        .order_by("start_date", "pk")
    )
    pf.records = list(
        _scoped(TrainingRecord.objects.all(), user)
        .filter(employee=employee)
        .select_related("post")
        .order_by("start_at", "seq")
    )
    _annotate_records(pf.records)
    obligations = list(
        _scoped(Obligation.objects.all(), user).filter(employee=employee).select_related("post")
    )
    order = {Obligation.Status.OPEN: 0, Obligation.Status.MET: 1, Obligation.Status.VOID: 2}
    obligations.sort(key=lambda o: (order.get(o.status, 3), o.due_date, o.pk))
    for o in obligations:
        o.is_overdue = o.status == Obligation.Status.OPEN and o.due_date < today
        o.min_hours_display = _fmt_hours(o.min_hours)
        o.completed_hours_display = _fmt_hours(o.completed_hours)
    pf.obligations = obligations
    pf.certificates = list(_scoped(Certificate.objects.all(), user).filter(employee=employee))
    for c in pf.certificates:
        c.valid_today = c.is_valid_on(today)
        c.review_overdue = c.review_overdue_on(today)
    pf.exam_results = list(
        _scoped(Attempt.objects.all(), user).filter(employee=employee, status=Attempt.Status.GRADED)
        .select_related("exam").order_by("-submitted_at", "-pk")
    )
    for a in pf.exam_results:
        a.submitted_local = _local(a.submitted_at)
    # The clearance gate itself answers, once per current post (people hold
    # one or two posts; the cost does not grow with the archive).
    seen = set()
    for a in pf.assignments:
        if a.post_id in seen:
            continue
        seen.add(a.post_id)
        pf.clearances.append(PostClearance(a, clearance(employee, a.post, today)))
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
            start, end = _local(r.start_at).date(), _local(r.end_at).date()
            text = start.isoformat() if start == end else f"{start.isoformat()} 至 {end.isoformat()}"
            if text not in days:
                days.append(text)
        return "；".join(days)

    @property
    def hours(self) -> str:
        if not self.records:
            return ""
        return _fmt_hours(sum((r.hours for r in self.records), ZERO))

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
            return f"{_fmt_hours(r.score)} 分（{r.get_assessment_result_display()}）"
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
        _scoped(TrainingRecord.objects.all(), user)
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
        _scoped(PostAssignment.objects.all(), user)
        .filter(employee=employee)
        .select_related("post", "post__org_unit", "post__org_unit__parent", "post__org_unit__parent__parent", "mentor")
        .order_by("start_date", "pk")
    )
    events = list(
        _scoped(EmploymentEvent.objects.all(), user)
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
                f"{_fmt_hours(r.score)} 分（{r.get_assessment_result_display()}）"
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
        value = _local(value).replace(tzinfo=None)
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


def _clearance_text(result: Clearance) -> str:
    if result.cleared:
        return _("准予上岗")
    return _("不准上岗") + "（" + "；".join(r.message for r in result.reasons) + "）"


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


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
        (_("上岗资格"), "；".join(f"{c.post.name}：{_clearance_text(c.result)}" for c in pf.clearances)),
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
    _sheet(
        wb, _("培训义务"),
        [(_("培训义务"), 26), (_("岗位"), 12), (_("状态"), 9), (_("是否逾期"), 9), (_("已完成学时"), 11),
         (_("要求学时"), 10), (_("须考核合格"), 10), (_("已考核合格"), 10), (_("起算日期"), 12), (_("截止日期"), 12),
         (_("周期"), 9), (_("完成时间"), 17)],
        (
            [o.label, o.post.name if o.post_id else "", o.get_status_display(), _("已逾期") if o.is_overdue else "",
             o.completed_hours, o.min_hours, _yes_no(o.exam_required), _yes_no(o.exam_passed),
             o.start_date, o.due_date, o.cycle, o.met_at]
            for o in pf.obligations
        ),
    )
    _sheet(
        wb, _("证书"),
        [(_("证书类别"), 30), (_("作业类别"), 18), (_("证书编号"), 20), (_("发证机关"), 22), (_("发证日期"), 12),
         (_("有效期至"), 12), (_("下次复审日期"), 13), (_("状态"), 10), (_("今日是否有效"), 12)],
        (
            [c.get_kind_display(), c.get_category_display() if c.category else "", c.number, c.authority, c.issued_on,
             c.valid_until, c.next_review_due, c.get_status_display(), _("有效") if c.valid_today else _("无效")]
            for c in pf.certificates
        ),
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
