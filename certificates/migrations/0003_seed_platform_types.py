"""Platform default certificate types (enterprise empty), and the type of
each external certificate already on file.

Validity and review come from shared/RULES.md where a rule gives them
(令30 §19–§25: special operation 6 years, review every 3; 办法 §25:
competence 3 years; TSG Z6001: special equipment 4 years). No rule gives an
internal certificate a validity, so internal types are open-ended: an
enterprise may set one on its own type."""

from django.db import migrations

TYPES = [
    # code, name, kind, validity, review, layout, clearance_required, auto_issue
    ("SJ", "三级安全教育合格证", "induction_completion", None, None, "a4", False, True),
    ("SG", "上岗合格证", "post", None, None, "a4", True, True),
    ("CS", "师带徒出师证", "apprenticeship_completion", None, None, "a4", False, True),
    ("ZP", "年度再培训合格证", "refresher_completion", None, None, "card", False, False),
    ("TZ", "特种作业操作证", "special_operation", 72, 36, "card", False, False),
    ("FZ", "主要负责人安全生产知识和管理能力考核合格证", "principal_competence", 36, None, "card", False, False),
    ("AG", "安全生产管理人员安全生产知识和管理能力考核合格证", "safety_manager_competence", 36, None, "card", False, False),
    ("TS", "特种设备作业人员证", "special_equipment", 48, None, "card", False, False),
    ("QT", "其他证书", "other", None, None, "card", False, False),
]


def seed(apps, schema_editor):
    CertificateType = apps.get_model("certificates", "CertificateType")
    Certificate = apps.get_model("certificates", "Certificate")
    by_kind = {}
    for code, name, kind, validity, review, layout, required, auto in TYPES:
        t, _created = CertificateType.objects.get_or_create(
            enterprise=None, code=code,
            defaults={"name": name, "kind": kind, "validity_months": validity, "review_interval_months": review,
                      "layout": layout, "clearance_required": required, "auto_issue": auto},
        )
        by_kind[kind] = t
    for kind, t in by_kind.items():
        Certificate.objects.filter(kind=kind, type__isnull=True).update(type=t)


def unseed(apps, schema_editor):
    CertificateType = apps.get_model("certificates", "CertificateType")
    Certificate = apps.get_model("certificates", "Certificate")
    codes = [row[0] for row in TYPES]
    Certificate.objects.filter(type__enterprise__isnull=True, type__code__in=codes, verification_code__isnull=True) \
        .update(type=None)
    CertificateType.objects.filter(enterprise__isnull=True, code__in=codes, certificates__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("certificates", "0002_types_issuance_verification")]

    operations = [migrations.RunPython(seed, unseed)]
