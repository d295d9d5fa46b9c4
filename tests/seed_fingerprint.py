"""What ``seed_demo`` left in a database, as JSON: the row count of every
model, a digest of every model's rows and the key rows by natural key, so two
seeds (before and after a refactoring, or two runs) can be compared.

    DATABASE_URL=... python -m tests.seed_fingerprint dump OUT.json
    python -m tests.seed_fingerprint compare BEFORE.json AFTER.json

Every field is in the digests, primary and foreign keys included, except
those that differ between two runs of the same code on the same day: the
clock (``CLOCK_FIELDS``), values random by design (``RANDOM_FIELDS``), the
block ids inside stream fields (the rendered text is kept) and the primary
keys of Wagtail's reference index (its rows come in set order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys


# When a row was written (datetime fields only).
CLOCK_FIELDS = {
    "created_at", "recorded_at", "checked_at", "met_at", "enrolled_at", "timestamp", "date_joined", "last_login",
    "first_published_at", "last_published_at", "latest_revision_created_at",
}
# Random by design: salted hashes, uuid4, secrets, tokens, and the archive's
# hash chain and signatures (they cover the clock fields).
RANDOM_FIELDS = {
    "password", "translation_key", "verification_code", "prev_hash", "hash", "mac", "payload", "signature",
    "archive.ArchiveCheckpoint.sha256",
    "mfa.Authenticator.data", "wagtailcore.ModelLogEntry.data", "wagtailcore.Revision.content",
}
UNORDERED_MODELS = {"wagtailcore.ReferenceIndex"}


def _fields(model) -> list:
    from django.db import models

    label = model._meta.label
    fields = []
    for f in model._meta.concrete_fields:
        if f.name in RANDOM_FIELDS or f"{label}.{f.name}" in RANDOM_FIELDS:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        if isinstance(f, models.DateTimeField) and f.name in CLOCK_FIELDS:
            continue
        if f.primary_key and label in UNORDERED_MODELS:
            continue
        fields.append(f)
    return fields


def _row(obj, fields) -> str:
    from wagtail.fields import StreamField

    values = []
    for f in fields:
        try:
            value = getattr(obj, f.attname)
            if isinstance(f, StreamField):
                value = str(value)  # the rendered blocks, without their uuid4 ids
        except Exception as exc:  # an undecryptable or otherwise unreadable value
            value = f"<{type(exc).__name__}>"
        values.append(f"{f.name}={value!r}")
    return "|".join(values)


def _keys() -> dict[str, list]:
    """The rows the demo is about, by natural key (no primary keys)."""
    from wagtail.models import Page

    from certificates.models import Certificate
    from lms.archive.models import TrainingRecord
    from lms.compliance.models import Obligation
    from lms.workforce.models import Employee, EmploymentEvent, PostAssignment

    def emp(e):
        return f"{e.enterprise.code}/{e.employee_no}"

    return {
        "employees": sorted(
            [emp(e), e.name, e.id_number, e.phone, e.employment_type, e.org_unit.code, str(e.hire_date), e.status,
             e.user.email if e.user else ""]
            for e in Employee.objects.select_related("enterprise", "org_unit", "user")
        ),
        "assignments": sorted(
            [emp(a.employee), a.post.code, str(a.start_date), str(a.end_date), a.kind,
             emp(a.mentor) if a.mentor_id else ""]
            for a in PostAssignment.objects.select_related("employee__enterprise", "post", "mentor__enterprise")
        ),
        "events": sorted(
            [emp(e.employee), e.type, str(e.date), e.post.code if e.post_id else ""]
            for e in EmploymentEvent.objects.select_related("employee__enterprise", "post")
        ),
        "obligations": sorted(
            [emp(o.employee), o.kind, o.level, o.post.code if o.post_id else "", str(o.start_date), str(o.due_date),
             o.status, str(o.min_hours)]
            for o in Obligation.objects.select_related("employee__enterprise", "post")
        ),
        "records": sorted(
            [emp(r.employee), r.kind, r.level, r.title, r.start_at.isoformat(), r.end_at.isoformat(), str(r.hours),
             str(r.score), r.source]
            for r in TrainingRecord.objects.select_related("employee__enterprise")
        ),
        "certificates": sorted(
            [emp(c.employee), c.kind, c.category, c.number, str(c.issued_on), str(c.valid_until),
             str(c.next_review_due), c.replaces.number if c.replaces_id else ""]
            for c in Certificate.objects.select_related("employee__enterprise", "replaces")
        ),
        "pages": sorted([p.url_path, p.title, p.content_type.model, p.live] for p in Page.objects.select_related("content_type")),
    }


def dump() -> dict:
    from django.apps import apps

    models = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        fields = _fields(model)
        rows = sorted(_row(obj, fields) for obj in model._base_manager.all().iterator())
        digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        models[model._meta.label] = {"count": len(rows), "digest": digest, "rows": rows}
    return {"models": models, "keys": _keys()}


def compare(before: dict, after: dict) -> int:
    """Print the differences; returns how many models or key-row sets differ."""
    differences = 0
    labels = sorted(set(before["models"]) | set(after["models"]))
    for label in labels:
        b, a = before["models"].get(label), after["models"].get(label)
        if b is None or a is None:
            print(f"model {label}: only in {'after' if b is None else 'before'}")
            differences += 1
        elif b["count"] != a["count"]:
            print(f"model {label}: {b['count']} rows before, {a['count']} after")
            differences += 1
        elif b["digest"] != a["digest"]:
            changed = sorted(set(b["rows"]) ^ set(a["rows"]))
            print(f"model {label}: {len(changed)} rows differ, e.g. {changed[:2]}")
            differences += 1
    for name in sorted(set(before["keys"]) | set(after["keys"])):
        if before["keys"].get(name) != after["keys"].get(name):
            print(f"key rows {name}: differ")
            differences += 1
    nonempty = sum(1 for m in before["models"].values() if m["count"])
    print(f"{len(labels)} models ({nonempty} with rows), {len(before['keys'])} key-row sets: {differences} differences")
    return differences


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dump").add_argument("out")
    cmp = sub.add_parser("compare")
    cmp.add_argument("before")
    cmp.add_argument("after")
    args = parser.parse_args(argv)
    if args.command == "compare":
        with open(args.before) as b, open(args.after) as a:
            return 1 if compare(json.load(b), json.load(a)) else 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")
    import django

    django.setup()
    with open(args.out, "w") as fh:
        json.dump(dump(), fh, ensure_ascii=False, indent=0, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
