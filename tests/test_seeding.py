"""The demo seed registry (lms/kernel/seeding.py): step order and parts."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from lms.kernel import seeding


def _registry(*steps):
    registry = seeding.Registry()
    for name, after in steps:
        registry.register(name, after=after)(lambda run: None)
    return registry


def test_steps_run_after_what_they_name_else_in_registration_order():
    registry = _registry(("cases", ("courses",)), ("workforce", ()), ("courses", ("workforce",)), ("archive", ()))
    assert [s.name for s in registry.ordered()] == ["workforce", "courses", "cases", "archive"]


def test_an_unregistered_or_circular_dependency_is_refused():
    with pytest.raises(ImproperlyConfigured, match="unregistered"):
        _registry(("courses", ("content",))).ordered()
    with pytest.raises(ImproperlyConfigured, match="wait on each other"):
        _registry(("a", ("b",)), ("b", ("a",))).ordered()
    with pytest.raises(ImproperlyConfigured, match="unknown parts"):
        seeding.Registry().register("x", requires={"pages"})


def test_the_installed_apps_register_their_steps_in_dependency_order():
    seeding.discover()
    order = [s.name for s in seeding.steps.ordered()]
    assert order[0] == "workforce"
    assert order.index("content") < order.index("courses") < order.index("content.cases")
    assert {"archive", "courses.warning"} <= set(order)
    from lms.workforce.demo import PLACEMENT_TRAINING

    assert [s.name for s in PLACEMENT_TRAINING.ordered()] == ["compliance", "certificates"]


@pytest.mark.django_db
def test_a_report_lists_every_label_in_both_columns_in_first_counted_order():
    report = seeding.SeedReport()
    report.count("员工", False, 3)
    report.count("企业", True)
    report.count("员工", True)
    assert list(report.created) == list(report.existing) == ["员工", "企业"]
    assert (report.created["员工"], report.existing["员工"], report.existing["企业"]) == (1, 3, 0)
    assert "\n员工  1         3\n企业  1         0\n" in seeding.format_summary(report)
