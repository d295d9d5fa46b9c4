"""The front door of 师带徒. Views, the back office, the API and tasks call
these; nothing else writes this app's tables.

Who may do what is decided here, on the acting user:
- HR / enterprise admins (CHANGE on the enterprise) pair, end early and
  re-pair; they may also record the practical assessment;
- the apprentice (their own login) writes the weekly log;
- the mentor (the paired employee's login) confirms weekly entries, writes
  the monthly evaluation, records the practical assessment and signs;
- the workshop head (a current WorkshopHead of the post's workshop) records
  the practical assessment and signs.
The two signatures come from two different people; the second one writes
the training record (lms.archive.services.record_append, which meets the
obligation) and turns the supervised placement into a regular one through
the workforce gate, all in one transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user
from lms.archive.models import AssessmentResult, RecordSource, TrainingKind
from lms.compliance.periods import add_months, months_elapsed
from lms.workforce.models import Employee, Post, PostAssignment

from lms.archive.services import record_append
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance
from lms.workforce.services import assignment_create, assignment_end

from .models import (
    Apprenticeship,
    ApprenticeshipPolicy,
    MonthlyEvaluation,
    PracticalAssessment,
    SignOff,
    WeeklyLog,
    WorkshopHead,
    week_start_of,
    workshop_of,
)
from .selectors import (
    Readiness,
    is_apprentice,
    is_mentor,
    is_workshop_head,
    mentor_refusals,
    mentor_rules,
    open_apprenticeship_obligation,
    readiness,
    workshop_head_name,
)


class ApprenticeshipError(ValidationError):
    """A 师带徒 rule refused the change; the message is for the user."""


def _require_hr(actor, enterprise_id: int) -> None:
    if actor is not None and not can(actor, Capability.CHANGE, enterprise_id):
        raise PermissionDenied(_("您无权办理该企业的师带徒"))


# --- rules -------------------------------------------------------------------------


@transaction.atomic
def policy_save(*, policy: ApprenticeshipPolicy, actor) -> ApprenticeshipPolicy:
    if actor is not None and not can(actor, Capability.CONFIGURE_RULES, policy.enterprise_id):
        raise PermissionDenied(_("您无权配置该企业的师带徒规则"))
    created = policy.pk is None
    policy.full_clean()
    policy.save()
    log(policy, "wagtail.create" if created else "wagtail.edit", user=log_user(actor))
    return policy


# --- pairing -----------------------------------------------------------------------


@transaction.atomic
def apprenticeship_start(
    *,
    apprentice: Employee,
    mentor: Employee,
    post: Post,
    start_date: dt.date,
    actor,
    plan: str = "",
    previous: Apprenticeship | None = None,
) -> Apprenticeship:
    """Pair ``apprentice`` with ``mentor`` on ``post`` from ``start_date`` and
    place the apprentice on the post as a supervised apprentice through the
    gate (an existing supervised placement under the same mentor is taken
    over). ``previous`` continues an apprenticeship whose mentor left."""

    _require_hr(actor, apprentice.enterprise_id)
    apprentice = Employee.objects.select_for_update().select_related("enterprise").get(pk=apprentice.pk)
    errors: dict[str, list[str]] = {}
    if post.enterprise_id != apprentice.enterprise_id:
        errors["post"] = [_("岗位不属于该员工所在企业")]
    if mentor.pk == apprentice.pk or mentor.enterprise_id != apprentice.enterprise_id:
        errors["mentor"] = [_("师傅必须是同一企业的其他员工")]
    if apprentice.status != Employee.Status.ACTIVE:
        errors["apprentice"] = [_("徒弟处于离岗状态，须先记录复岗")]
    elif apprentice.user_id is None:
        errors["apprentice"] = [_("徒弟没有登录账号，无法填写周记；请先为其开通账号")]
    if start_date > timezone.localdate():
        errors["start_date"] = [_("开始日期不能晚于今天")]
    if errors:
        raise ApprenticeshipError(errors)
    if previous is not None:
        if previous.apprentice_id != apprentice.pk or previous.post_id != post.pk:
            raise ApprenticeshipError({"previous": [_("接续的师带徒必须是同一徒弟、同一岗位")]})
        if previous.status != Apprenticeship.Status.ENDED or previous.end_reason not in Apprenticeship.REPAIR_REASONS:
            raise ApprenticeshipError({"previous": [_("只有因师傅离岗或不再符合条件而终止的师带徒才能重新指定师傅")]})
        if hasattr(previous, "next"):
            raise ApprenticeshipError({"previous": [_("该师带徒已重新指定过师傅")]})
        if start_date < previous.ended_on:
            raise ApprenticeshipError({"start_date": [_("重新指定师傅的日期不能早于原师带徒终止日期")]})
    if Apprenticeship.objects.filter(apprentice=apprentice, post=post, status=Apprenticeship.Status.RUNNING).exists():
        raise ApprenticeshipError({"apprentice": [_("该徒弟在此岗位已有进行中的师带徒")]})
    obligation = open_apprenticeship_obligation(apprentice, post)
    if obligation is None:
        raise ApprenticeshipError({"post": [_("该员工在此岗位没有待完成的师带徒义务（岗位不要求师带徒，或已出师）")]})
    if start_date < obligation.start_date:
        raise ApprenticeshipError({"start_date": [_("开始日期不能早于入职或转岗日期 %(d)s") % {"d": obligation.start_date}]})
    refusals = mentor_refusals(mentor=mentor, post=post, on_date=start_date)
    if refusals:
        raise ApprenticeshipError({"mentor": refusals})

    open_apprentice = list(
        apprentice.assignments.filter(post=post, end_date__isnull=True, kind=PostAssignment.Kind.APPRENTICE)
    )
    if apprentice.assignments.filter(post=post, end_date__isnull=True, kind=PostAssignment.Kind.REGULAR).exists():
        raise ApprenticeshipError({"apprentice": [_("该员工已正式在此岗位上，无需师带徒")]})
    placement = next((a for a in open_apprentice if a.mentor_id == mentor.pk), None)
    if placement is None:
        for stale in open_apprentice:  # a placement under someone else (the mentor who left)
            assignment_end(assignment=stale, end_date=max(stale.start_date, start_date - dt.timedelta(days=1)), actor=actor)
        placement = assignment_create(
            employee=apprentice, post=post, start_date=start_date, kind=PostAssignment.Kind.APPRENTICE,
            mentor=mentor, actor=actor,
        )
    first_start = previous.first_start if previous is not None else start_date
    months = max(post.required_apprenticeship_months, months_elapsed(obligation.start_date, obligation.due_date), 1)
    apprenticeship = Apprenticeship(
        apprentice=apprentice,
        mentor=mentor,
        post=post,
        workshop=workshop_of(post.org_unit),
        obligation=obligation,
        assignment=placement,
        previous=previous,
        first_start=first_start,
        start_date=start_date,
        months=months,
        planned_end=add_months(first_start, months),
        plan=plan,
        created_by=log_user(actor),
    )
    apprenticeship.full_clean()
    try:
        with transaction.atomic():
            apprenticeship.save()
    except IntegrityError:
        raise ApprenticeshipError({"apprentice": [_("该徒弟在此岗位已有进行中的师带徒")]}) from None
    log(apprenticeship, "anxun.apprenticeship_start", user=log_user(actor),
        data={"mentor": mentor.employee_no, "post": post.code, "start": start_date.isoformat()})
    return apprenticeship


@transaction.atomic
def apprenticeship_end(*, apprenticeship: Apprenticeship, reason: str, ended_on: dt.date, actor, note: str = "") -> Apprenticeship:
    """End a running apprenticeship early (recorded, never deleted). The
    supervised placement ends the same day. After MENTOR_LEFT /
    MENTOR_UNFIT the apprenticeship goes on with a new mentor
    (``apprenticeship_start(previous=…)``)."""

    _require_hr(actor, apprenticeship.apprentice.enterprise_id)
    errors = {}
    if reason not in Apprenticeship.EndReason.values:
        errors["reason"] = [_("请选择终止原因")]
    elif reason == Apprenticeship.EndReason.OTHER and not note.strip():
        errors["note"] = [_("选择“其他原因”时须填写说明")]
    if ended_on < apprenticeship.start_date:
        errors["ended_on"] = [_("终止日期不能早于开始日期")]
    elif ended_on > timezone.localdate():
        errors["ended_on"] = [_("终止日期不能晚于今天")]
    if errors:
        raise ApprenticeshipError(errors)
    claimed = Apprenticeship.objects.filter(pk=apprenticeship.pk, status=Apprenticeship.Status.RUNNING).update(
        status=Apprenticeship.Status.ENDED, ended_on=ended_on, end_reason=reason, end_note=note.strip()[:300],
        ended_by=log_user(actor),
    )
    if claimed != 1:
        raise ApprenticeshipError(_("该师带徒已结束"))
    apprenticeship.refresh_from_db()
    placement = PostAssignment.objects.get(pk=apprenticeship.assignment_id)
    if placement.end_date is None:
        assignment_end(assignment=placement, end_date=max(placement.start_date, ended_on), actor=actor)
    log(apprenticeship, "anxun.apprenticeship_end", user=log_user(actor),
        data={"reason": reason, "ended_on": ended_on.isoformat(), "note": note})
    return apprenticeship


def _require_running(apprenticeship: Apprenticeship) -> None:
    if apprenticeship.status != Apprenticeship.Status.RUNNING:
        raise ApprenticeshipError(_("该师带徒已%(s)s，不能再修改") % {"s": apprenticeship.get_status_display()})


# --- weekly log --------------------------------------------------------------------


@transaction.atomic
def weekly_log_save(*, apprenticeship: Apprenticeship, week_start: dt.date, content: str, hours: Decimal, actor,
                    practice: str = "", problems: str = "") -> WeeklyLog:
    """The apprentice writes (or, until the mentor confirms it, rewrites) the
    entry for one week."""
    if not is_apprentice(apprenticeship, actor):
        raise PermissionDenied(_("只有徒弟本人可以填写周记"))
    _require_running(apprenticeship)
    today = timezone.localdate()
    errors = {}
    if week_start.weekday() != 0:
        errors["week_start"] = [_("周记按周填写，日期须为周一")]
    elif week_start < week_start_of(apprenticeship.start_date):
        errors["week_start"] = [_("该周在师带徒开始之前")]
    elif week_start > today:
        errors["week_start"] = [_("不能填写以后的周记")]
    if not content.strip():
        errors["content"] = [_("请填写本周所学内容")]
    if errors:
        raise ApprenticeshipError(errors)
    entry = WeeklyLog.objects.select_for_update().filter(apprenticeship=apprenticeship, week_start=week_start).first()
    if entry is not None and entry.is_confirmed:
        raise ApprenticeshipError(_("师傅已确认该周周记，不能再修改"))
    entry = entry or WeeklyLog(apprenticeship=apprenticeship, week_start=week_start)
    entry.content, entry.practice, entry.problems, entry.hours = content.strip(), practice.strip(), problems.strip(), hours
    entry.full_clean()
    entry.save()
    log(apprenticeship, "anxun.apprenticeship_week", user=log_user(actor), data={"week": week_start.isoformat()})
    return entry


@transaction.atomic
def weekly_log_confirm(*, entry: WeeklyLog, actor, comment: str = "") -> WeeklyLog:
    """The mentor confirms one weekly entry (once)."""
    apprenticeship = entry.apprenticeship
    if not is_mentor(apprenticeship, actor):
        raise PermissionDenied(_("只有该徒弟的师傅可以确认周记"))
    _require_running(apprenticeship)
    now = timezone.now()
    claimed = WeeklyLog.objects.filter(pk=entry.pk, confirmed_at__isnull=True).update(
        confirmed_at=now, confirmed_by=actor, mentor_comment=comment.strip()[:500]
    )
    if claimed != 1:
        raise ApprenticeshipError(_("该周周记已确认"))
    entry.refresh_from_db()
    log(apprenticeship, "anxun.apprenticeship_week_confirm", user=actor, data={"week": entry.week_start.isoformat()})
    return entry


# --- evaluations and assessment ---------------------------------------------------------


@transaction.atomic
def evaluation_save(*, apprenticeship: Apprenticeship, month: dt.date, safety_awareness: str, skill: str,
                    discipline: str, comment: str, actor) -> MonthlyEvaluation:
    """The mentor's evaluation of one month (one per month; a month that has begun)."""
    if not is_mentor(apprenticeship, actor):
        raise PermissionDenied(_("只有该徒弟的师傅可以填写月度评价"))
    _require_running(apprenticeship)
    month = month.replace(day=1)
    if month > timezone.localdate() or month < apprenticeship.start_date.replace(day=1):
        raise ApprenticeshipError({"month": [_("只能评价师带徒期间已经开始的月份")]})
    if MonthlyEvaluation.objects.filter(apprenticeship=apprenticeship, month=month).exists():
        raise ApprenticeshipError({"month": [_("该月已有月度评价")]})
    evaluation = MonthlyEvaluation(
        apprenticeship=apprenticeship, month=month, safety_awareness=safety_awareness, skill=skill,
        discipline=discipline, comment=comment.strip(), evaluated_by=actor,
    )
    evaluation.full_clean()
    try:
        with transaction.atomic():
            evaluation.save()
    except IntegrityError:
        raise ApprenticeshipError({"month": [_("该月已有月度评价")]}) from None
    log(apprenticeship, "anxun.apprenticeship_evaluation", user=actor, data={"month": f"{month:%Y-%m}"})
    return evaluation


@transaction.atomic
def assessment_record(*, apprenticeship: Apprenticeship, assessed_on: dt.date, items: str, score: Decimal,
                      assessors: str, actor) -> PracticalAssessment:
    """Record the practical assessment before working alone (by the mentor,
    the workshop head or HR). Passed when the score reaches the pass mark."""
    allowed = (
        is_mentor(apprenticeship, actor)
        or is_workshop_head(apprenticeship, actor)
        or can(actor, Capability.CHANGE, apprenticeship.apprentice.enterprise_id)
    )
    if not allowed:
        raise PermissionDenied(_("只有师傅、车间负责人或人事可以录入出师考核"))
    _require_running(apprenticeship)
    if assessed_on > timezone.localdate() or assessed_on < apprenticeship.start_date:
        raise ApprenticeshipError({"assessed_on": [_("考核日期须在师带徒开始之后、今天及以前")]})
    pass_score = mentor_rules(apprenticeship.apprentice.enterprise).pass_score
    assessment = PracticalAssessment(
        apprenticeship=apprenticeship, assessed_on=assessed_on, items=items.strip(), score=score,
        pass_score=pass_score, passed=score >= pass_score, assessors=assessors.strip(), recorded_by=log_user(actor),
    )
    assessment.full_clean()
    assessment.save()
    log(apprenticeship, "anxun.apprenticeship_assessment", user=log_user(actor),
        data={"score": str(score), "passed": assessment.passed})
    return assessment


# --- sign-off ----------------------------------------------------------------------


def _signer_role(apprenticeship: Apprenticeship, actor) -> str:
    if is_mentor(apprenticeship, actor):
        return SignOff.Role.MENTOR
    if is_workshop_head(apprenticeship, actor):
        return SignOff.Role.WORKSHOP_HEAD
    raise PermissionDenied(_("只有该徒弟的师傅或所在车间的负责人可以签字出师"))


@transaction.atomic
def apprenticeship_sign(*, apprenticeship: Apprenticeship, actor, comment: str = "") -> SignOff:
    """Sign the apprenticeship off as its mentor or as the workshop head.
    The second signature (by the other person) completes it."""
    # Lock the apprenticeship row only: PostgreSQL refuses FOR UPDATE on the
    # nullable side of the outer joins select_related makes (workshop).
    apprenticeship = Apprenticeship.objects.select_for_update(of=("self",)).select_related(
        "apprentice__enterprise", "mentor", "post__org_unit", "workshop"
    ).get(pk=apprenticeship.pk)
    role = _signer_role(apprenticeship, actor)
    ready = readiness(apprenticeship)
    if not ready.ready:
        raise ApprenticeshipError(_("还不能签字出师：") + "；".join(ready.missing))
    existing = {s.role: s for s in apprenticeship.signoffs.all()}
    if role in existing:
        raise ApprenticeshipError(_("您已以%(r)s身份签字") % {"r": existing[role].get_role_display()})
    if any(s.signed_by_id == actor.pk for s in existing.values()):
        raise ApprenticeshipError(_("师傅和车间负责人须由两个不同的人签字"))
    signoff = SignOff(
        apprenticeship=apprenticeship, role=role, signed_by=actor,
        signer_name=(apprenticeship.mentor.name if role == SignOff.Role.MENTOR else workshop_head_name(apprenticeship, actor)),
        comment=comment.strip()[:500],
    )
    signoff.full_clean()
    try:
        with transaction.atomic():
            signoff.save()
    except IntegrityError:
        raise ApprenticeshipError(_("该身份已有人签字")) from None
    log(apprenticeship, "anxun.apprenticeship_sign", user=actor, data={"role": role})
    if len(existing) + 1 == len(SignOff.Role.values):
        _complete(apprenticeship, ready, [*existing.values(), signoff])
    return signoff


def _aware(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def _complete(apprenticeship: Apprenticeship, ready: Readiness, signoffs: list[SignOff]) -> None:
    """Both signatures are there: write the one record, end the supervised
    placement and place the apprentice regularly through the gate."""

    today = timezone.localdate()
    apprentice, post = apprenticeship.apprentice, apprenticeship.post
    others = [r for r in clearance(apprentice, post, today).reasons if r.code != Code.APPRENTICESHIP_INCOMPLETE]
    if others:
        raise ApprenticeshipError(_("徒弟还有其他未满足的上岗条件，请先处理后再签字出师：") + "；".join(r.message for r in others))
    assessment = ready.assessment
    signers = "；".join(f"{s.get_role_display()}：{s.signer_name}（{timezone.localtime(s.signed_at):%Y-%m-%d %H:%M}）" for s in signoffs)
    weeks = WeeklyLog.objects.filter(apprenticeship_id__in=apprenticeship.chain_ids(), confirmed_at__isnull=False).count()
    content = "\n".join([
        _("师带徒岗位：%(p)s；师傅：%(m)s（%(no)s）") % {"p": post.name, "m": apprenticeship.mentor.name, "no": apprenticeship.mentor.employee_no},
        _("期限：%(a)s 至 %(b)s（%(n)s 个月）") % {"a": apprenticeship.first_start, "b": today, "n": apprenticeship.months},
        _("经师傅确认的周记 %(w)s 篇；缺记录 %(x)s 周") % {"w": weeks, "x": len(ready.missing_weeks)},
        _("出师考核：%(d)s，%(items)s，%(s)s 分（合格分 %(p)s），考评人：%(who)s") % {
            "d": assessment.assessed_on, "items": assessment.items, "s": assessment.score, "p": assessment.pass_score,
            "who": assessment.assessors,
        },
        _("出师签字：") + signers,
    ])
    workshop = apprenticeship.workshop.name if apprenticeship.workshop else post.org_unit.name
    # The signatures checked above are the authority: the archive, the
    # placement and the gate act for the system, and the log names the signers.
    record = record_append(
        employee=apprentice,
        actor=None,
        kind=TrainingKind.APPRENTICESHIP,
        post=post,
        title=_("师带徒出师：%(p)s") % {"p": post.name},
        content=content,
        start_at=_aware(apprenticeship.first_start, 8),
        end_at=timezone.now(),
        place=workshop,
        hours=ready.confirmed_hours,
        trainer=apprenticeship.mentor.name,
        participants=apprentice.name,
        assessment_method=_("实际操作考核"),
        assessment_result=AssessmentResult.PASSED,
        score=assessment.score,
        source=RecordSource.APPRENTICESHIP,
        source_ref=f"apprenticeship:{apprenticeship.pk}",
    )
    placement = PostAssignment.objects.get(pk=apprenticeship.assignment_id)
    if placement.end_date is None:
        assignment_end(assignment=placement, end_date=max(placement.start_date, today - dt.timedelta(days=1)), actor=None)
    regular = assignment_create(employee=apprentice, post=post, start_date=today, kind=PostAssignment.Kind.REGULAR, actor=None)
    Apprenticeship.objects.filter(pk=apprenticeship.pk).update(
        status=Apprenticeship.Status.COMPLETED, completed_on=today, record=record, regular_assignment=regular
    )
    log(apprenticeship, "anxun.apprenticeship_complete", user=log_user(signoffs[-1].signed_by),
        data={"record": record.pk, "seq": record.seq})


# --- workshop heads ------------------------------------------------------------------


@transaction.atomic
def workshop_head_save(*, head: WorkshopHead, actor) -> WorkshopHead:
    """Name (or step down) a workshop head; HR of the enterprise."""
    _require_hr(actor, head.org_unit.enterprise_id)
    created = head.pk is None
    head.full_clean()
    head.save()
    log(head, "wagtail.create" if created else "wagtail.edit", user=log_user(actor))
    return head
