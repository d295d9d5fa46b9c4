"""The offline-session app was labelled ``offline_training``; it is ``offline``
now. A database migrated under the old label is moved to the new one by
``migrate`` itself (lms/kernel/relabel.py): rows, foreign keys, group
permissions and content types survive, and a second ``migrate`` does nothing."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from courses.offline import services
from courses.offline.models import Attendance, OfflineSession
from lms.accounts.roles import Role
from lms.kernel.relabel import pending_relabels, relabel_apps

from tests.factories import make_session, make_trainer, make_user, make_worker

pytestmark = pytest.mark.django_db(transaction=True)

OLD, NEW = "offline_training", "offline"
TABLES = ["offline_attendance", "offline_offlinesession", "offline_offlinesession_audience_units"]
NEW_INDEX = "offline_off_enterpr_54335b_idx"  # offline/0002; 0001 named it offline_tra_enterpr_035e69_idx


def tables():
    return set(connection.introspection.table_names())


def applied(app):
    return sorted(name for label, name in MigrationRecorder(connection).applied_migrations() if label == app)


def to_old_label():
    """What a database migrated before the rename looks like: offline at
    0001 under the label ``offline_training`` (the reverse of the move)."""
    executor = MigrationExecutor(connection)
    executor.migrate([(NEW, "0001_initial")])
    with connection.schema_editor(atomic=True) as editor:
        for table in sorted(tables()):
            if table.startswith(f"{NEW}_"):
                editor.alter_db_table(None, table, f"{OLD}_{table[len(NEW) + 1:]}")
        editor.execute("UPDATE django_migrations SET app = %s WHERE app = %s", [OLD, NEW])
        editor.execute("UPDATE django_content_type SET app_label = %s WHERE app_label = %s", [OLD, NEW])
    ContentType.objects.clear_cache()


def foreign_key_target(table, column):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {c["foreign_key"] for c in constraints.values() if c["foreign_key"] and c["columns"] == [column]}


def migrate():
    out = io.StringIO()
    call_command("migrate", interactive=False, stdout=out)
    return out.getvalue()


@pytest.fixture
def offline_world(ent_b, tree_b):
    trainer = make_trainer(ent_b)
    workers = [make_worker(ent_b, tree_b[2], name, no) for name, no in (("张三", "W001"), ("李四", "W002"))]
    session = make_session(ent_b, trainer)
    session.audience_units.set([tree_b[1]])
    services.session_invite(session=session, actor=None, employees=workers)
    Attendance.objects.filter(session=session, employee=workers[0]).update(check_in_at=session.start_at)
    planner = make_user(ent_b, Role.HR, "planner@example.com", "计划员")
    group = Group.objects.create(name="线下培训计划")
    group.permissions.set(Permission.objects.filter(content_type__app_label=NEW,
                                                    codename__in=["add_offlinesession", "view_attendance"]))
    planner.groups.add(group)
    return {"session": session, "workers": workers, "unit": tree_b[1], "planner": planner, "group": group}


def test_migrate_moves_a_database_migrated_under_the_old_label(offline_world):
    session, workers, group = offline_world["session"], offline_world["workers"], offline_world["group"]
    content_types = dict(ContentType.objects.filter(app_label=NEW).values_list("model", "pk"))
    permissions = sorted(Permission.objects.filter(content_type__app_label=NEW).values_list("pk", "codename"))
    assert {"offlinesession", "attendance"} <= set(content_types)

    to_old_label()
    try:
        assert {f"{OLD}_{t[len(NEW) + 1:]}" for t in TABLES} <= tables() and not set(TABLES) & tables()
        assert pending_relabels(connection) == [(OLD, NEW)]

        # --plan only says the move is due; it changes nothing.
        out = io.StringIO()
        call_command("migrate", plan=True, stdout=out)
        assert "offline_training" in out.getvalue() and pending_relabels(connection) == [(OLD, NEW)]

        output = migrate()
    finally:
        if pending_relabels(connection):  # leave the test database usable whatever happened
            relabel_apps(connection)
            call_command("migrate", verbosity=0)

    assert "offline_training" in output
    assert set(TABLES) <= tables() and not {t for t in tables() if t.startswith(f"{OLD}_")}
    from django.db.migrations.loader import MigrationLoader

    every = sorted(name for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations if app == NEW)
    assert applied(NEW) == every and "0002_labels_rename_index" in every and applied(OLD) == []
    with connection.cursor() as cursor:
        assert NEW_INDEX in connection.introspection.get_constraints(cursor, "offline_offlinesession")

    # The rows, and the foreign keys between them, now under the new tables.
    moved = OfflineSession.objects.get(pk=session.pk)
    assert moved.title == session.title and list(moved.audience_units.all()) == [offline_world["unit"]]
    attendances = {a.employee_id: a for a in moved.attendances.all()}
    assert set(attendances) == {w.pk for w in workers}
    assert attendances[workers[0].pk].check_in_at == session.start_at and attendances[workers[1].pk].check_in_at is None
    assert foreign_key_target("offline_attendance", "session_id") == {("offline_offlinesession", "id")}
    assert foreign_key_target("offline_offlinesession_audience_units", "offlinesession_id") == {
        ("offline_offlinesession", "id")}

    # Content types keep their ids, so permissions (and the group's) follow.
    assert dict(ContentType.objects.filter(app_label=NEW).values_list("model", "pk")) == content_types
    assert not ContentType.objects.filter(app_label=OLD).exists()
    assert sorted(Permission.objects.filter(content_type__app_label=NEW).values_list("pk", "codename")) == permissions
    assert set(group.permissions.values_list("content_type__app_label", "codename")) == {
        (NEW, "add_offlinesession"), (NEW, "view_attendance")}
    planner = type(offline_world["planner"]).objects.get(pk=offline_world["planner"].pk)
    assert planner.has_perm("offline.add_offlinesession") and planner.has_perm("offline.view_attendance")

    # A second migrate does nothing.
    before = (tables(), applied(NEW), list(ContentType.objects.order_by("pk").values_list("pk", "app_label", "model")))
    assert relabel_apps(connection) == []
    assert "offline_training" not in migrate()
    after = (tables(), applied(NEW), list(ContentType.objects.order_by("pk").values_list("pk", "app_label", "model")))
    assert after == before


def test_a_fresh_database_has_tables_under_the_new_label_and_nothing_to_move():
    assert set(TABLES) <= tables() and not {t for t in tables() if t.startswith(f"{OLD}_")}
    assert applied(OLD) == [] and "0002_labels_rename_index" in applied(NEW)
    assert pending_relabels(connection) == [] and relabel_apps(connection) == []


def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
