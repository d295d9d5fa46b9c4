"""Platform certificate types (the national defaults of RULES.md and policy
defaults for internal certificates), and every existing certificate linked
to the type of its kind. Reversible: the backfill is undone by clearing the
link, the types are removed."""

from django.db import migrations

# (code, name, kind, validity months, review months, issuer, layout, clearance, auto)
TYPES = [
    # Internal: no national validity; policy defaults, editable per enterprise.
    ("SJ", "三级安全教育合格证", "induction_completion", 36, None, "", "a4", False, True),
    ("SG", "上岗合格证", "post", 36, None, "", "card", True, True),
    ("CS", "师带徒出师证", "apprenticeship_completion", 36, None, "", "a4", False, True),
    ("FX", "年度再培训合格证", "refresher_completion", 12, None, "", "a4", False, True),
    # External (RULES.md): 令30 §19–§25, 办法 §25, TSG Z6001.
    ("TZ", "特种作业操作证", "special_operation", 72, 36, "应急管理部门", "card", True, False),
    ("FZ", "主要负责人安全生产知识和管理能力考核合格证", "principal_competence", 36, None, "应急管理部门", "a4", True, False),
    ("AG", "安全生产管理人员安全生产知识和管理能力考核合格证", "safety_manager_competence", 36, None, "应急管理部门", "a4",
     True, False),
    ("TS", "特种设备作业人员证", "special_equipment", 48, None, "市场监督管理部门", "card", True, False),
    ("QT", "其他证书", "other", 36, None, "", "a4", False, False),
]


def seed(apps, schema_editor):
    CertificateType = apps.get_model("certificates", "CertificateType")
    Certificate = apps.get_model("certificates", "Certificate")
    by_kind = {}
    for code, name, kind, validity, review, issuer, layout, clearance, auto in TYPES:
        t, _ = CertificateType.objects.update_or_create(
            enterprise=None, code=code,
            defaults=dict(name=name, kind=kind, validity_months=validity, review_interval_months=review, issuer=issuer,
                          layout=layout, clearance_required=clearance, auto_issue=auto),
        )
        by_kind[kind] = t
    for kind, t in by_kind.items():
        Certificate.objects.filter(kind=kind, type__isnull=True).update(type=t)


def unseed(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    CertificateType = apps.get_model("certificates", "CertificateType")
    Certificate.objects.update(type=None)
    CertificateType.objects.filter(enterprise=None, code__in=[t[0] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("certificates", "0002_types_issuance_verification")]

    operations = [migrations.RunPython(seed, unseed)]
