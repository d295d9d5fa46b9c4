"""Inserting many rows of one model quickly, skipping those a unique key
already holds: what ``bulk_create(objs, ignore_conflicts=True)`` does, for
the daily scan's ~200,000 obligations and notices.

``bulk_create`` prepares every field of every object through the field's
``get_db_prep_save`` and, on SQLite, splits the rows into statements of at
most 999 parameters (~50 obligation rows each); at the scan's volume that
preparation was most of the time of its INSERTs. Here each column's values
are prepared once per distinct value (dates, hours and the scan's timestamp
repeat across rows; text, numbers and booleans go to the driver as they
are), SQLite gets one prepared statement run for every row
(``executemany``), PostgreSQL multi-row statements of ``batch_size`` rows.
Returns the number of rows inserted (the database's count: rows skipped by
a unique key are not counted). Objects get no primary key."""

from __future__ import annotations

from django.db import connection, models, transaction
from django.db.models.constants import OnConflict

# Fields whose Python values the database drivers take as they are.
_PLAIN = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.ForeignKey)


def _preparer(field):
    """value → database value for one column."""
    if isinstance(field, _PLAIN) and not isinstance(field, models.ForeignKey):
        return None
    if isinstance(field, models.ForeignKey) and isinstance(field.target_field, (models.AutoField, models.IntegerField)):
        return None
    if isinstance(field, models.JSONField):  # dicts: not hashable, prepared one by one
        return lambda value: field.get_db_prep_save(value, connection)
    memo = {}

    def prepare(value):
        key = (type(value), value)  # Decimal("8") == Decimal("8.0"), but not the same text
        try:
            return memo[key]
        except KeyError:
            memo[key] = prepared = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable
            return field.get_db_prep_save(value, connection)

    return prepare


def insert_ignoring_conflicts(model, objs, *, batch_size: int = 1000) -> int:
    objs = list(objs)
    if not objs:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{f.name}: auto_now fields are not supported here")
    attnames = [f.attname for f in fields]
    preparers = [_preparer(f) for f in fields]
    rows = []
    for obj in objs:
        values = obj.__dict__
        rows.append(tuple(
            values[name] if prepare is None or values[name] is None else prepare(values[name])
            for name, prepare in zip(attnames, preparers)
        ))
    ops = connection.ops
    qn = ops.quote_name
    head = (f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {qn(model._meta.db_table)} "
            f"({', '.join(qn(f.column) for f in fields)}) VALUES ")
    tail = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    inserted = 0
    # One transaction (as bulk_create): in autocommit mode SQLite would commit,
    # and sync its journal, after every row of the executemany.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(f"{head}{row_sql} {tail}", rows)
            inserted = cursor.rowcount
        else:
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                cursor.execute(f"{head}{', '.join([row_sql] * len(batch))} {tail}",
                               [value for row in batch for value in row])
                inserted += cursor.rowcount
    return inserted
