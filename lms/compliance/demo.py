"""Demo training history for ``seed_demo``: before a demo person starts on a
post, the training records that meet their open obligations (three-level
induction, retraining, principal training, the apprenticeship), as the
enterprise's paper archive would show them, appended through the archive's
service. Registered as a step of the workforce demo's placements."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.utils import timezone

from lms.archive.models import AssessmentResult, RecordSource
from lms.archive.services import record_append
from lms.workforce.demo import PLACEMENT_TRAINING, Placement

from .models import Obligation

# Which kind of record meets which kind of obligation.
_RECORD_KIND = {
    "principal_initial": "principal",
    "principal_annual": "principal",
    "special_op_refresher": "special_operation",
}
_LEVEL_TEXT = {
    "company": (
        "厂级安全教育",
        "本单位安全生产情况及安全生产基本知识；安全生产规章制度和劳动纪律；从业人员安全生产权利和义务；事故案例",
    ),
    "workshop": (
        "车间级安全教育",
        (
            "工作环境及危险因素；所从事工种可能遭受的职业伤害和伤亡事故；岗位安全职责、操作技能及强制性标准；"
            "自救互救、急救方法、疏散和现场紧急情况的处理；安全设备设施、个人防护用品的使用和维护；事故案例"
        ),
    ),
    "team": ("班组级安全教育", "岗位安全操作规程；岗位之间工作衔接配合的安全与职业卫生事项；事故案例"),
}


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@PLACEMENT_TRAINING.register("compliance")
def complete_obligations(placement: Placement) -> None:
    """Append records meeting the person's open obligations (the
    apprenticeship too unless they start as an apprentice), one after the
    other from ``placement.start``; moves ``placement.start`` to the day
    after the last one."""
    employee, post, rng, today = placement.employee, placement.post, placement.rng, placement.today
    order = {"company": 0, "workshop": 1, "team": 2}
    open_obligations = sorted(
        Obligation.objects.filter(employee=employee, status=Obligation.Status.OPEN).select_related("post__org_unit"),
        key=lambda o: (o.kind == "apprenticeship", order.get(o.level, 3), o.pk),
    )
    cursor = placement.start
    pending = []
    for ob in open_obligations:
        if ob.kind == "apprenticeship" and placement.apprentice:
            continue  # the apprentice is still learning under the mentor
        kind = _RECORD_KIND.get(ob.kind, ob.kind)
        # An apprenticeship is counted in months, not hours.
        hours = ob.min_hours if ob.min_hours > 0 or ob.kind == "apprenticeship" else Decimal(4)
        begin = max(cursor, ob.start_date)
        if ob.kind == "apprenticeship":
            end = max(ob.due_date, begin)
            title = f"师带徒（{ob.post.name if ob.post else post.name}）"
            content = "在师傅带领下跟岗作业，掌握岗位操作规程和应急处置，期满经考核由师傅签字出师"
            method, place, trainer = "实操考核", ob.post.org_unit.name if ob.post else post.org_unit.name, "师傅"
        else:
            end = begin + dt.timedelta(days=max(1, math.ceil(hours / 8)) - 1)
            unit = (ob.post or post).org_unit
            if ob.level in _LEVEL_TEXT:
                title, content = _LEVEL_TEXT[ob.level]
                if ob.kind == "retraining":
                    title = "转岗" + title
            elif kind == "principal":
                title = "主要负责人和安全生产管理人员安全培训"
                content = "安全生产法律法规和标准；安全生产管理、安全生产技术和职业卫生知识；重大危险源管理和应急管理；事故案例"
            else:
                title, content = ob.get_kind_display(), ob.get_kind_display()
            method = "闭卷笔试"
            place = {
                "company": "公司培训室",
                "workshop": f"{unit.parent.name if unit.parent else unit.name}会议室",
            }.get(ob.level, unit.name)
            trainer = {"company": "安全环保部", "workshop": "车间安全员", "team": "班组长"}.get(
                ob.level, "安全培训机构"
            )
        pending.append(
            {
                "kind": kind,
                "level": ob.level,
                "post": ob.post,
                "title": title,
                "content": content,
                "start_at": _aware(begin, 8, 30),
                "end_at": _aware(end, 17, 30),
                "place": place,
                "hours": hours,
                "trainer": trainer,
                "assessment_method": method,
                "assessment_result": AssessmentResult.PASSED,
                "score": Decimal(rng.randrange(80, 99)),
                "source": RecordSource.HISTORICAL if end < today - dt.timedelta(days=90) else RecordSource.OFFLINE,
            }
        )
        cursor = end + dt.timedelta(days=1)
    for n, fields in enumerate(pending, start=1):
        # Evaluate the obligations once, after the last record.
        record_append(employee=employee, actor=None, evaluate=n == len(pending), **fields)
    placement.start = cursor
