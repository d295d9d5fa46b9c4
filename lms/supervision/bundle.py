"""The sample bundle (抽查样本打包): one archive PDF per sampled person, an
Excel summary (汇总表.xlsx) and ``archive.json`` (every sampled person's
records with their hashes, and the signed checkpoints covering them, for
``verify_archive --bundle``) in one zip. Every file put in the bundle is a
regulator read of that person's file and is logged as one."""

from __future__ import annotations

import io
import json
import logging
import tempfile
import zipfile

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.archive.exports import employee_queryset, person_file_load
from lms.archive.integrity import EXPORT_NAME
from lms.archive.pdf import render_person_file_pdf
from lms.archive.selectors import archive_export
from lms.spreadsheet import safe_frame

from .models import SampleBundle, Sample

logger = logging.getLogger(__name__)


@transaction.atomic
def bundle_request(*, actor, sample: Sample) -> SampleBundle:
    """Ask for the bundle of ``sample`` (the regulator's own); the one in
    progress if there is one, else a new one queued after commit."""
    from .tasks import bundle_build_task

    if sample.regulator_id != actor.pk:
        raise PermissionDenied(_("只能打包本人抽取的样本"))
    running = sample.bundles.filter(status__in=SampleBundle.UNFINISHED).first()
    if running is not None:
        return running
    bundle = SampleBundle.objects.create(
        sample=sample, requested_by=actor,
        total=sample.items.filter(employee__isnull=False).count(),
    )
    transaction.on_commit(lambda: bundle_build_task.delay(bundle.pk))
    return bundle


def _summary_row(position: int, pf) -> dict:
    employee = pf.employee
    ent = employee.enterprise
    posts = "、".join(a.post.name for a in pf.assignments)
    cleared = all(c.result.cleared for c in pf.clearances) if pf.clearances else None
    return {
        _("序号"): position,
        _("企业"): ent.name,
        _("行政区划代码"): ent.region_code,
        _("行业"): ent.get_industry_display(),
        _("工号"): employee.employee_no,
        _("姓名"): employee.name,
        _("所在单位"): pf.unit_path,
        _("当前岗位"): posts,
        _("培训记录数"): len(pf.records),
        _("累计学时"): float(pf.total_hours),
        _("未完成培训义务"): len(pf.open_obligations),
        _("逾期培训义务"): pf.overdue_count,
        _("证书数"): len(pf.certificates),
        _("上岗资格"): "" if cleared is None else (_("准予上岗") if cleared else _("不准上岗")),
    }


def bundle_summary_xlsx(rows: list[dict], sample: Sample) -> bytes:
    buffer = io.BytesIO()
    frame = pd.DataFrame(rows, columns=list(rows[0].keys()) if rows else None)
    rules = pd.DataFrame([
        {_("项目"): _("抽查人"), _("内容"): str(sample.regulator)},
        {_("项目"): _("地区"), _("内容"): sample.region_code},
        {_("项目"): _("抽取时间"), _("内容"): timezone.localtime(sample.created_at).strftime("%Y-%m-%d %H:%M")},
        {_("项目"): _("抽取企业数"), _("内容"): sample.n_enterprises},
        {_("项目"): _("每企业抽取人数"), _("内容"): sample.m_employees},
        {_("项目"): _("行业"), _("内容"): sample.get_industry_display() or _("不限")},
        {_("项目"): _("风险类别"), _("内容"): sample.get_risk_class_display() or _("不限")},
        {_("项目"): _("侧重高风险岗位"), _("内容"): _("是") if sample.weight_high_hazard else _("否")},
        {_("项目"): _("随机种子"), _("内容"): str(sample.seed)},
    ])
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(frame).to_excel(writer, sheet_name=_("抽查人员汇总"), index=False)
        safe_frame(rules).to_excel(writer, sheet_name=_("抽样规则"), index=False)
    return buffer.getvalue()


def bundle_build(*, bundle_id: int) -> None:
    """Render every sampled person's file into the bundle, with progress on
    the bundle row. Safe to run twice: only a pending bundle is claimed."""
    if SampleBundle.claim(bundle_id) is None:
        return
    bundle = SampleBundle.objects.select_related("sample__regulator").get(pk=bundle_id)
    sample = bundle.sample
    regulator = sample.regulator
    try:
        positions = dict(sample.items.filter(employee__isnull=False).values_list("employee_id", "position"))
        employees = sorted(employee_queryset().filter(pk__in=positions), key=lambda e: positions[e.pk])
        bundle.progress(0, len(employees))
        title = _("员工培训档案")
        rows = []
        with tempfile.TemporaryFile() as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                for n, employee in enumerate(employees, start=1):
                    pf = person_file_load(employee, user=regulator)
                    pdf = render_person_file_pdf(pf, title=title)
                    position = positions[employee.pk]
                    archive.writestr(
                        f"{position:03d}-{employee.enterprise.code}-{employee.employee_no}-{employee.name}.pdf", pdf)
                    log(employee, "anxun.regulator_read", user=regulator,
                        data={"what": "sample_bundle", "employee_id": employee.pk, "sample_id": sample.pk})
                    rows.append(_summary_row(position, pf))
                    bundle.progress(n)
                archive.writestr(_("汇总表") + ".xlsx", bundle_summary_xlsx(rows, sample))
                archive.writestr(EXPORT_NAME, json.dumps(archive_export(employees), ensure_ascii=False, indent=1))
            handle.seek(0)
            bundle.archive.save(f"sample-{sample.pk}-bundle-{bundle.pk}.zip", File(handle), save=False)
        bundle.finish(archive=bundle.archive.name)
    except Exception as error:  # recorded on the bundle for the regulator; the task log keeps the trace
        logger.exception("sample bundle %s failed", bundle_id)
        bundle.fail(error)
        raise
