"""Seed the national defaults of shared/RULES.md (and the platform's policy
defaults) as rule rows, version 1."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

# A frozen copy of lms/compliance/defaults.py as of this migration: a data
# migration must not change when the module does.
RULES = [
    ("induction", "national", "general", {"min_hours": Decimal("24"), "exam_required": True}, "令3 §13", "一般行业新员工岗前不少于24学时"),
    ("induction", "national", "high_risk", {"min_hours": Decimal("72"), "exam_required": True}, "令3 §13", "高危行业新员工岗前不少于72学时"),
    ("induction", "national", "construction", {"min_hours": Decimal("32"), "exam_required": True}, "安委〔2012〕10号", "建筑施工新员工岗前不少于32学时"),
    ("annual_refresher", "national", "general", {"min_hours": Decimal("8")}, "令3 §13", "每年再培训不少于8学时"),
    ("annual_refresher", "national", "high_risk", {"min_hours": Decimal("20")}, "令3 §13", "高危行业每年再培训不少于20学时"),
    ("annual_refresher", "national", "construction", {"min_hours": Decimal("20")}, "安委〔2012〕10号", "建筑施工每年再培训不少于20学时"),
    ("principal_initial", "national", "general", {"min_hours": Decimal("32"), "exam_required": True}, "令3 §9", "初次培训不少于32学时"),
    ("principal_initial", "national", "construction", {"min_hours": Decimal("32"), "exam_required": True}, "令3 §9", "初次培训不少于32学时"),
    ("principal_initial", "national", "high_risk", {"min_hours": Decimal("48"), "exam_required": True}, "令3 §9", "高危行业初次培训不少于48学时"),
    ("principal_annual", "national", "general", {"min_hours": Decimal("12")}, "令3 §9", "每年再培训不少于12学时"),
    ("principal_annual", "national", "construction", {"min_hours": Decimal("12")}, "令3 §9", "每年再培训不少于12学时"),
    ("principal_annual", "national", "high_risk", {"min_hours": Decimal("16")}, "令3 §9", "高危行业每年再培训不少于16学时"),
    ("principal_cert", "national", "high_risk", {"months": 6}, "办法 §25；令3 §24", "高危行业须在任职后6个月内取得考核合格证"),
    ("transfer_retraining", "national", "", {"exam_required": True}, "令3 §17", "转岗须重新接受车间级和班组级安全教育"),
    ("return_retraining", "national", "", {"months": 12, "exam_required": True}, "令3 §17", "离岗一年以上复岗须重新接受车间级和班组级安全教育"),
    ("return_retraining", "policy", "", {"months": 6, "exam_required": True}, "地方规定/标准化评分", "默认离岗6个月以上即须再培训，可配置"),
    ("new_process", "national", "", {"exam_required": False}, "令3 §17；法 §29", "采用新工艺、新技术、新材料或使用新设备前须专门培训"),
    ("new_process", "policy", "", {"min_hours": Decimal("4")}, "政策默认值", "四新专项培训默认4学时"),
    ("violation_off_post", "policy", "", {"count": 2, "months": 12, "min_hours": Decimal("8"), "exam_required": True},
     "地方行动方案（政策默认值）", "12个月内第2次违规违章须离岗再培训8学时并考核合格"),
    ("warning_education", "policy", "", {"count": 1}, "地方行动方案（政策默认值）", "每人每季度至少参加一次警示教育"),
    ("special_op_review", "national", "", {"months": 36, "days": 60, "min_hours": Decimal("8")}, "令30 §19–§25",
     "操作证每3年复审，复审前培训不少于8学时，到期前60日内申请"),
    ("apprenticeship", "policy", "", {"months": 0}, "令3 §19；办法 §23", "按岗位设置的师带徒期限执行（危险工艺、井下不少于2个月）"),
]


def seed(apps, schema_editor):
    TrainingRule = apps.get_model("compliance", "TrainingRule")
    for code, jurisdiction, risk_class, params, source, note in RULES:
        TrainingRule.objects.update_or_create(
            code=code, jurisdiction=jurisdiction, region_code="", enterprise=None, risk_class=risk_class, version=1,
            defaults={"effective_from": dt.date(2021, 9, 1), "source": source, "note": note, **params},
        )


def unseed(apps, schema_editor):
    apps.get_model("compliance", "TrainingRule").objects.filter(jurisdiction__in=["national", "policy"], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
