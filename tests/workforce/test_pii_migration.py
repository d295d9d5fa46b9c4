"""Migration workforce/0002 encrypts the 身份证号 already stored, keeps them
unique per enterprise on the hash, and unapplies back to plain text."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lms import pii

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("workforce", "0001_initial")]
NUMBER = "11010119900307803X"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_existing_numbers_are_encrypted_and_decrypted_back():
    old_apps = migrate(BEFORE)
    Enterprise = old_apps.get_model("workforce", "Enterprise")
    Employee = old_apps.get_model("workforce", "Employee")
    ent = Enterprise.objects.create(code="m1", name="迁移测试", credit_code="91320505MA1X2Y3Z4A", region_code="320505")
    Employee.objects.create(enterprise=ent, employee_no="M1", name="甲", id_number=NUMBER, hire_date="2024-01-01")
    try:
        new_apps = migrate(latest())
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number, id_number_hash FROM workforce_employee WHERE employee_no = 'M1'")
            sealed, digest = cursor.fetchone()
        assert NUMBER not in sealed and pii.decrypt(sealed) == NUMBER and digest == pii.blind_index(NUMBER)
        assert new_apps.get_model("workforce", "Employee").objects.get(employee_no="M1").id_number == NUMBER

        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number FROM workforce_employee WHERE employee_no = 'M1'")
            assert cursor.fetchone()[0] == NUMBER
    finally:
        migrate(latest())
