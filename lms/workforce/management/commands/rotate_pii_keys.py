"""Re-encrypt every encrypted personal-data value under the first key of
ANXUN_PII_KEYS and recompute the search hashes under ANXUN_PII_HASH_KEY.

Key rotation: put the new key first in ANXUN_PII_KEYS (keep the old ones),
deploy, run this command, then remove the old keys. Safe to run again (rows
already under the newest key are skipped) and to interrupt (it works in
committed chunks; a rerun continues)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from lms import pii


def encrypted_fields():
    """(model, encrypted field, its blind index fields) for every model."""
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        for field in fields:
            if isinstance(field, pii.EncryptedTextField):
                indexes = [f for f in fields if isinstance(f, pii.BlindIndexField) and f.source == field.name]
                yield model, field, indexes


class Command(BaseCommand):
    help = "用最新密钥重新加密全部个人信息（身份证号），并按当前哈希密钥重算检索索引。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=500, help="每批处理的行数（默认 500）")

    def handle(self, *args, chunk_size: int, **options):
        for model, field, indexes in encrypted_fields():
            rotated, rehashed, total = self.rotate(model, field, indexes, max(1, chunk_size))
            self.stdout.write(
                f"{model._meta.label}.{field.name}：共 {total} 行，重新加密 {rotated} 行，重算索引 {rehashed} 行"
            )

    def rotate(self, model, field, indexes, chunk_size: int) -> tuple[int, int, int]:
        manager = model._base_manager
        rotated = rehashed = total = 0
        last_pk = None
        while True:
            rows = manager.order_by("pk").annotate(_sealed=Cast(field.name, TextField()))
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            chunk = list(rows.values_list("pk", "_sealed", *(f.attname for f in indexes))[:chunk_size])
            if not chunk:
                return rotated, rehashed, total
            with transaction.atomic():
                for pk, sealed, *hashes in chunk:
                    total += 1
                    if sealed is None:
                        continue
                    changes = {}
                    if not pii.is_current(sealed):
                        changes[field.name] = Value(pii.rotate(sealed), output_field=TextField())
                        rotated += 1
                    if indexes:
                        digest = pii.blind_index(pii.decrypt(sealed))
                        stale = {f.attname: digest for f, old in zip(indexes, hashes) if old != digest}
                        rehashed += bool(stale)
                        changes.update(stale)
                    if changes:
                        manager.filter(pk=pk).update(**changes)
            last_pk = chunk[-1][0]
