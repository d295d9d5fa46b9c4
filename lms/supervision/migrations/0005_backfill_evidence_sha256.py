"""Backfill the SHA-256 of evidence files attached before the hash was
taken at write time. A file missing from storage is reported (printed, and
left without a hash: verify_archive then reports it missing), never hashed."""

import hashlib
import sys

from django.core.files.storage import default_storage
from django.db import migrations


def backfill(apps, schema_editor):
    model = apps.get_model("supervision", "FindingEntry")
    missing = []
    for pk, name in model.objects.filter(evidence_sha256="").exclude(evidence="").values_list("pk", "evidence").iterator():
        hasher = hashlib.sha256()
        try:
            with default_storage.open(name, "rb") as handle:
                for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                    hasher.update(chunk)
        except OSError:
            missing.append((pk, name))
            continue
        model.objects.filter(pk=pk).update(evidence_sha256=hasher.hexdigest())
    for pk, name in missing:
        sys.stdout.write(f"\n  FindingEntry #{pk}: evidence file missing, not hashed: {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("supervision", "0004_evidence_sha256"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
