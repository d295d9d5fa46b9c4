"""Encrypt every stored 身份证号 (个保法 §51) and keep the per-enterprise
uniqueness on its keyed hash.

The plain column is copied into a new one as a Fernet token, then dropped,
and the new column takes its name. Reversible: going back decrypts into a
plain column again (with the keys that encrypted it)."""

from django.db import migrations, models

import lms.pii
import lms.workforce.validators

BATCH = 500


def encrypt_numbers(apps, schema_editor):
    Employee = apps.get_model("workforce", "Employee")
    rows = Employee.objects.using(schema_editor.connection.alias).order_by("pk").only("pk", "id_number")
    batch = []
    for employee in rows.iterator(chunk_size=BATCH):
        employee.id_number_sealed = lms.pii.encrypt(employee.id_number)
        employee.id_number_hash = lms.pii.blind_index(employee.id_number)
        batch.append(employee)
        if len(batch) == BATCH:
            Employee.objects.bulk_update(batch, ["id_number_sealed", "id_number_hash"])
            batch = []
    if batch:
        Employee.objects.bulk_update(batch, ["id_number_sealed", "id_number_hash"])


def decrypt_numbers(apps, schema_editor):
    Employee = apps.get_model("workforce", "Employee")
    rows = Employee.objects.using(schema_editor.connection.alias).order_by("pk").only("pk", "id_number_sealed")
    batch = []
    for employee in rows.iterator(chunk_size=BATCH):
        employee.id_number = lms.pii.decrypt(employee.id_number_sealed)
        batch.append(employee)
        if len(batch) == BATCH:
            Employee.objects.bulk_update(batch, ["id_number"])
            batch = []
    if batch:
        Employee.objects.bulk_update(batch, ["id_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("workforce", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="employee", name="employee_id_number_unique_per_enterprise"),
        migrations.AlterField(
            model_name="employee", name="id_number", field=models.CharField(max_length=18, null=True, verbose_name="身份证号")
        ),
        migrations.AddField(model_name="employee", name="id_number_sealed", field=models.TextField(null=True)),
        migrations.AddField(
            model_name="employee",
            name="id_number_hash",
            field=lms.pii.BlindIndexField(null=True, source="id_number", verbose_name="身份证号索引"),
        ),
        migrations.RunPython(encrypt_numbers, decrypt_numbers),
        migrations.RemoveField(model_name="employee", name="id_number"),
        migrations.RenameField(model_name="employee", old_name="id_number_sealed", new_name="id_number"),
        migrations.AlterField(
            model_name="employee",
            name="id_number",
            field=lms.pii.EncryptedTextField(
                validators=[lms.workforce.validators.validate_id_number], verbose_name="身份证号"
            ),
        ),
        migrations.AlterField(
            model_name="employee",
            name="id_number_hash",
            field=lms.pii.BlindIndexField(source="id_number", verbose_name="身份证号索引"),
        ),
        migrations.AddConstraint(
            model_name="employee",
            constraint=models.UniqueConstraint(
                fields=("enterprise", "id_number_hash"),
                name="employee_id_number_unique_per_enterprise",
                violation_error_message="该企业已有相同身份证号的员工",
            ),
        ),
    ]
