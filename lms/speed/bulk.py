"""Writing many rows of one model quickly.

:func:`insert_ignoring_conflicts` — inserting, skipping the rows a unique
key already holds: what ``bulk_create(objs, ignore_conflicts=True)`` does, for
the daily scan's ~200,000 obligations and notices.

``bulk_create`` prepares every field of every object through the field's
``get_db_prep_save`` and, on SQLite, splits the rows into statements of at
most 999 parameters (~50 obligation rows each); at the scan's volume that
preparation was most of the time of its INSERTs. Here each column's values
are prepared once per distinct value (dates, hours and the scan's timestamp
repeat across rows; text, numbers and booleans go to the driver as they
are), SQLite gets one prepared statement run for every row
(``executemany``), PostgreSQL one statement per ``batch_size`` rows whose
only parameter is the batch as a JSON array (``INSERT … SELECT … FROM
jsonb_array_elements(%s)``).
Returns the number of rows inserted (the database's count: rows skipped by
a unique key are not counted). Objects get no primary key. Rows may be
given as dicts, which spares building ~200,000 model instances.
``ANXUN_SPEED["bulk_insert"] = False``: ``bulk_create(ignore_conflicts=True)``,
the rows counted before and after.

:func:`update_by_case` — saving some fields of many objects, one ``UPDATE …
SET col = CASE pk WHEN … END`` per batch: what ``QuerySet.bulk_update``
does, without building a ``When``/``Q`` object per cell (which costs seconds
for 10,000 rows, the employee import). ``ANXUN_SPEED["bulk_update"] = False``:
``bulk_update``."""

from __future__ import annotations

import json

from django.db import connection, models, transaction
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from lms import speed

# Fields whose Python values the database drivers take as they are.
_PLAIN = (models.CharField, models.TextField, models.BooleanField, models.IntegerField)
# …and, for PostgreSQL's JSON batch, the fields whose values go through JSON as text.
_AS_TEXT = {models.DateField: lambda v: v.isoformat(), models.DateTimeField: lambda v: v.isoformat(),
            models.DecimalField: str}


def _plain(field) -> bool:
    if field.is_relation:
        return isinstance(field.target_field, (models.AutoField, models.IntegerField))
    return isinstance(field, _PLAIN)


def _memoized(convert):
    """``convert`` remembered per distinct value (dates, hours and the
    scan's timestamp repeat across rows)."""
    memo = {}

    def prepare(value):
        key = (type(value), value)  # Decimal("8") == Decimal("8.0"), but not the same text
        try:
            return memo[key]
        except KeyError:
            memo[key] = prepared = convert(value)
            return prepared

    return prepare


def _preparer(field):
    """value → database value for one column (None: the value as it is)."""
    if _plain(field):
        return None
    if isinstance(field, models.JSONField):  # dicts: not hashable, prepared one by one
        return lambda value: field.get_db_prep_save(value, connection)
    return _memoized(lambda value: field.get_db_prep_save(value, connection))


def _json_preparer(field):
    """value → what stands for it in the JSON batch (PostgreSQL); False if
    the field's type is not handled."""
    if _plain(field) or isinstance(field, models.JSONField):
        return None
    for kind, convert in _AS_TEXT.items():
        if isinstance(field, kind):
            return _memoized(convert)
    return False


def _values(objs, fields):
    """Each object's attribute values: a dict row with the fields' defaults
    for the rest (a callable default, timezone.now, gives one value for all)."""
    defaults = None
    for obj in objs:
        if isinstance(obj, dict):
            if defaults is None:
                defaults = {f.attname: f.get_default() for f in fields}
            if unknown := set(obj) - set(defaults):
                raise ValueError(f"not columns of {fields[0].model.__name__}: {sorted(unknown)}")
            yield {**defaults, **obj}
        else:
            yield obj.__dict__


def _rows(objs, fields, preparers) -> list[list]:
    rows = []
    for values in _values(objs, fields):
        row = []
        for field, prepare in zip(fields, preparers):
            value = values[field.attname]
            row.append(value if prepare is None or value is None else prepare(value))
        rows.append(row)
    return rows


def insert_ignoring_conflicts(model, objs, *, batch_size: int = 2000) -> int:
    """Insert ``objs`` — model instances, or dicts of column values by
    attribute name (``employee_id``) with the fields' defaults for the rest —
    skipping rows a unique key already holds; returns how many were inserted."""
    objs = list(objs)
    if not objs:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{f.name}: auto_now fields are not supported here")
    if not speed.on("bulk_insert"):
        return _insert_with_bulk_create(model, objs, fields, batch_size)
    ops = connection.ops
    qn = ops.quote_name
    into = (f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {qn(model._meta.db_table)} "
            f"({', '.join(qn(f.column) for f in fields)})")
    tail = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    json_preparers = [_json_preparer(f) for f in fields] if connection.vendor == "postgresql" else [False]
    inserted = 0
    # One transaction (as bulk_create): in autocommit mode SQLite would commit,
    # and sync its journal, after every row of the executemany.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if False not in json_preparers:
            # PostgreSQL: each batch is one JSON array of rows, one parameter,
            # taken apart by the server. Parameters per value (VALUES) or text
            # arrays per column (UNNEST) cost the client more than the insert:
            # psycopg adapts each one in Python, and escapes every quote of
            # the notices' JSON facts one regex match at a time. jsonb, not
            # json: json re-parses a row's text for each column taken from it
            # (75 of 108 ms for 2,000 notices; 6 ms with jsonb).
            columns = ", ".join(
                f"NULLIF((r->{i})::jsonb, 'null')" if isinstance(f, models.JSONField) else f"(r->>{i})::{f.db_type(connection)}"
                for i, f in enumerate(fields)
            )
            sql = f"{into} SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS r {tail}"
            rows = _rows(objs, fields, json_preparers)
            for start in range(0, len(rows), batch_size):
                cursor.execute(sql, [json.dumps(rows[start:start + batch_size], ensure_ascii=False)])
                inserted += cursor.rowcount
            return inserted
        rows = _rows(objs, fields, [_preparer(f) for f in fields])
        row_sql = f"({', '.join(['%s'] * len(fields))})"
        if connection.vendor == "sqlite":
            cursor.executemany(f"{into} VALUES {row_sql} {tail}", rows)
            return cursor.rowcount
        batch_size = min(batch_size, max(1, 60000 // len(fields)))
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            cursor.execute(f"{into} VALUES {', '.join([row_sql] * len(batch))} {tail}",
                           [value for row in batch for value in row])
            inserted += cursor.rowcount
    return inserted


def _insert_with_bulk_create(model, objs, fields, batch_size: int) -> int:
    """Django's way: model instances through ``bulk_create``; the count is the
    table's before and after, in one transaction."""
    instances = [model(**values) if isinstance(obj, dict) else obj
                 for obj, values in zip(objs, _values(objs, fields), strict=True)]
    manager = model._base_manager
    with transaction.atomic(savepoint=False):
        before = manager.count()
        manager.bulk_create(instances, batch_size=batch_size, ignore_conflicts=True)
        return manager.count() - before


def update_by_case(model, objs, fieldnames: list[str], *, value_of=None, batch_size: int = 2000) -> None:
    """Save ``fieldnames`` of ``objs`` (saved instances of ``model``), one
    UPDATE per batch. ``value_of(obj, field)`` gives a field's value (default:
    the attribute, as ``bulk_update`` reads it)."""
    objs = list(objs)
    if not objs:
        return
    value_of = value_of or (lambda obj, field: getattr(obj, field.attname))
    fields = [model._meta.get_field(name) for name in fieldnames]
    if not speed.on("bulk_update"):
        for obj in objs:
            for field in fields:
                setattr(obj, field.attname, value_of(obj, field))
        model._base_manager.bulk_update(objs, fieldnames, batch_size=batch_size)
        return
    max_params = connection.features.max_query_params or 65535
    size = max(1, min(batch_size, (max_params - 1) // (2 * len(fields) + 1)))
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    for start in range(0, len(objs), size):
        batch = objs[start:start + size]
        whens = " ".join(["WHEN %s THEN %s"] * len(batch))
        updates = {}
        for field in fields:
            params = []
            for obj in batch:
                params.append(obj.pk)
                params.append(field.get_db_prep_save(value_of(obj, field), connection))
            expression = RawSQL(f"CASE {pk_column} {whens} END", params, output_field=field)
            if connection.features.requires_casted_case_in_updates:
                expression = Cast(expression, output_field=field)
            updates[field.name] = expression
        model._base_manager.filter(pk__in=[obj.pk for obj in batch]).update(**updates)
