"""Dependencies point down (issue 17): the import contracts hold, and what
the core asks of the apps above it is filled in once Django has started."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.dispatch import Signal

from lms.archive.registry import person_file_sections
from lms.archive.signals import records_appended
from lms.compliance.registry import reason_sources, scan_steps
from lms.compliance.signals import obligations_created, obligations_met
from lms.kernel.signals import send_on_commit
from lms.workforce.registry import placement_gate
from lms.workforce.signals import event_recorded, events_imported


def test_import_contracts_are_kept():
    """lint-imports (pyproject.toml [tool.importlinter]) on this checkout."""
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_certificates_give_clearance_reasons():
    from certificates.gate import PRACTICAL_SOURCE, REASON_SOURCE

    assert list(reason_sources.items()) == [("certificates", REASON_SOURCE), ("special_op_practical", PRACTICAL_SOURCE)]


def test_the_daily_scan_runs_campaigns_then_certificate_reminders():
    # The reminders' refresher obligations must exist before the scan's claims.
    assert scan_steps.names() == ["campaigns", "certificate_reminders"]


def test_the_person_file_has_its_sections_in_order():
    assert person_file_sections.names() == ["obligations", "certificates", "exam_results", "clearances"]


def test_clearance_is_the_placement_gate():
    from lms.compliance.placement import GATE

    assert placement_gate() is GATE


def _receivers(signal) -> set[str]:
    return {f"{r.__module__}.{r.__qualname__}" for r in signal._live_receivers(None)[0]}


def test_every_signal_has_its_receivers():
    assert _receivers(obligations_created) == {"courses.signals.enrol_on_obligations_created"}
    assert _receivers(obligations_met) == {"certificates.signals.issue_due_on_obligations_met"}
    assert _receivers(records_appended) == {"lms.compliance.receivers.evaluate_on_records_appended"}
    assert _receivers(event_recorded) == {"lms.compliance.receivers.obligations_for_recorded_event"}
    assert _receivers(events_imported) == {"lms.compliance.receivers.obligations_for_imported_events"}


@pytest.mark.django_db
@pytest.mark.speed("on_commit_once")  # told once per transaction: the bypass (off, receivers must be idempotent)
def test_the_same_news_is_sent_once_per_transaction_after_commit(django_capture_on_commit_callbacks):
    signal, got = Signal(), []

    def receiver(sender, employee_id, **kwargs):
        got.append(employee_id)

    signal.connect(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        send_on_commit(signal, sender=None, employee_id=1)
        send_on_commit(signal, sender=None, employee_id=1)
        send_on_commit(signal, sender=None, employee_id=2)
        assert got == []
    assert got == [1, 2]


# Every app that keeps data: writes in services (a module or a package), reads in selectors.
SERVICES_AND_SELECTORS = (
    "lms/workforce", "lms/archive", "lms/compliance", "lms/supervision", "courses", "courses/offline",
    "courses/warning", "courses/apprenticeship", "exams", "certificates",
)
# lms.compliance's selectors still take lapsed_on_post from its services (issue 17: being split there).
SELECTORS_READING_OWN_SERVICES = {"lms/compliance"}


def _own_services_imports(app: str) -> list[str]:
    import ast

    package = app.replace("/", ".")
    tree = ast.parse((Path(settings.BASE_DIR) / app / "selectors.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {a.name for a in node.names}
            if (node.level == 1 and (module == "services" or module.startswith("services.") or "services" in names)) \
                    or module == f"{package}.services" or module.startswith(f"{package}.services."):
                found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("app", SERVICES_AND_SELECTORS)
def test_every_app_writes_in_services_and_reads_in_selectors(app):
    """Each app has both; a service may call a selector, never the other way round."""
    root = Path(settings.BASE_DIR) / app
    assert (root / "services.py").exists() or (root / "services" / "__init__.py").exists(), app
    assert (root / "selectors.py").exists(), app
    if app not in SELECTORS_READING_OWN_SERVICES:
        assert _own_services_imports(app) == [], app
