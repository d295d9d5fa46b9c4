"""Renamed app labels. An app's label names its tables, its rows in
``django_migrations`` and its content types, so a database migrated under an
old label looks unmigrated to the renamed app: ``migrate`` would create empty
tables next to the old ones. :func:`relabel_apps` moves such a database to
the new label — tables (many-to-many ones too), migration rows, content
types — once, in one transaction, before ``migrate`` computes its plan
(``lms/accounts/management/commands/migrate.py``). Permissions, admin and
Wagtail log entries, revisions and every other generic relation point at
content-type ids and follow. Archive rows are never touched, even where
their text mentions an old label: they are append-only and hashed.

A renamed app's tables are found by name: every table whose name starts
with ``<old label>_`` (no other app's label may start with that).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# Old label → new label. Keep an entry as long as a database migrated before
# the rename may still be upgraded.
RENAMED_APP_LABELS = {
    # courses/offline was "offline_training" until issue 17: labels match paths.
    "offline_training": "offline",
}


class RelabelError(Exception):
    """The database has tables under both the old and the new label."""


def pending_relabels(connection, renamed: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The ``(old, new)`` pairs of ``renamed`` (default
    :data:`RENAMED_APP_LABELS`) that ``connection``'s database knows only
    under the old label: rows in ``django_migrations`` for it, none for the new."""
    renamed = RENAMED_APP_LABELS if renamed is None else renamed
    if "django_migrations" not in connection.introspection.table_names():
        return []
    with connection.cursor() as cursor:
        pending = []
        for old, new in renamed.items():
            cursor.execute("SELECT DISTINCT app FROM django_migrations WHERE app IN (%s, %s)", [old, new])
            if {row[0] for row in cursor.fetchall()} == {old}:
                pending.append((old, new))
    return pending


def relabel_apps(connection, renamed: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Move every pending app of ``renamed`` (:func:`pending_relabels`) to
    its new label; return the ``(old, new)`` pairs moved. Idempotent: a
    fresh database, or one moved already, is left alone."""
    moved = []
    for old, new in pending_relabels(connection, renamed):
        _move(connection, old, new, set(connection.introspection.table_names()))
        moved.append((old, new))
    return moved


def _move(connection, old: str, new: str, tables: set[str]) -> None:
    prefix = f"{old}_"
    renames = {table: f"{new}_{table[len(prefix):]}" for table in sorted(tables) if table.startswith(prefix)}
    clashes = sorted(set(renames.values()) & tables)
    if clashes:
        raise RelabelError(_("无法把应用标签 %(old)s 改为 %(new)s：数据表 %(tables)s 已存在。")
                          % {"old": old, "new": new, "tables": "、".join(clashes)})
    # One transaction (SQLite: the schema editor turns foreign-key checks off
    # around it, so it cannot run inside another atomic block).
    with connection.schema_editor(atomic=True) as editor:
        for table, target in renames.items():
            # SQLite (3.26+) and PostgreSQL carry other tables' foreign keys along.
            editor.alter_db_table(None, table, target)
        editor.execute("UPDATE django_migrations SET app = %s WHERE app = %s", [new, old])
        if "django_content_type" in tables:
            # A content type asked for under the new label before this ran
            # (ContentType.objects.get_for_model creates one on demand) would
            # clash with the old one, which is what permissions and logs use.
            editor.execute(
                "DELETE FROM django_content_type WHERE app_label = %s AND model IN "
                "(SELECT model FROM django_content_type WHERE app_label = %s)",
                [new, old],
            )
            editor.execute("UPDATE django_content_type SET app_label = %s WHERE app_label = %s", [new, old])
