"""Certificate numbers never carry a 身份证号 (个保法 §51).

Registered certificates whose number contains the holder's ID number (or any
valid 18-digit 居民身份证号码) keep the number with the ID masked, flagged
``number_masked``, with the keyed hash of the old number (which keeps a
second registration of the same number refused).

Not reversible in substance: the full numbers are not restored (the holder's
ID number stays on file, encrypted); unapplying leaves the masked numbers."""

from django.db import migrations, models
from django.db.models import Q

import lms.pii
from lms.workforce.validators import mask_id_numbers_in

BATCH = 500


def mask_numbers(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    alias = schema_editor.connection.alias
    rows = (
        Certificate.objects.using(alias)
        .filter(number_masked=False)
        .select_related("employee")
        .only("pk", "number", "employee__id_number")
        .order_by("pk")
    )
    batch = []
    for certificate in rows.iterator(chunk_size=BATCH):
        masked, changed = mask_id_numbers_in(certificate.number, known=(certificate.employee.id_number,))
        if not changed:
            continue
        certificate.number_digest = lms.pii.blind_index(certificate.number)
        certificate.number = masked
        certificate.number_masked = True
        batch.append(certificate)
        if len(batch) == BATCH:
            Certificate.objects.using(alias).bulk_update(batch, ["number", "number_masked", "number_digest"])
            batch = []
    if batch:
        Certificate.objects.using(alias).bulk_update(batch, ["number", "number_masked", "number_digest"])


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_issuance_batches"),
        ("workforce", "0002_employee_id_number_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="number_masked",
            field=models.BooleanField(
                default=False, editable=False, help_text="登记时证书编号含身份证号，已按脱敏规则保存",
                verbose_name="编号中的身份证号已隐藏",
            ),
        ),
        migrations.AddField(
            model_name="certificate",
            name="number_digest",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RemoveConstraint(model_name="certificate", name="certificate_number_unique"),
        migrations.RunPython(mask_numbers, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                condition=Q(number_masked=False), fields=("kind", "number", "authority"),
                name="certificate_number_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                condition=Q(number_masked=True), fields=("kind", "number_digest", "authority"),
                name="certificate_masked_number_unique",
            ),
        ),
    ]
