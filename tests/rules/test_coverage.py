"""Every rule of RULES.md has a named scenario test, and docs/rules-coverage.md says which."""

from tests.rules import coverage
from tests.rules.catalogue import BY_ID, RULES


def test_every_rule_has_a_scenario_test():
    found = coverage.markers()
    missing = [rule.id for rule in RULES if not found.get(rule.id)]
    assert missing == [], f"rules without a scenario test (@pytest.mark.rule): {missing}"


def test_every_marker_names_a_catalogued_rule():
    unknown = {rule_id: tests for rule_id, tests in coverage.markers().items() if rule_id not in BY_ID}
    assert unknown == {}


def test_the_coverage_document_is_current():
    assert coverage.DOC.read_text(encoding="utf-8") == coverage.render(), (
        "docs/rules-coverage.md is out of date: run `python -m tests.rules.coverage --write`"
    )


def test_the_scanner_reads_function_class_and_module_markers(tmp_path, monkeypatch):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sample.py").write_text(
        "import pytest\n"
        "pytestmark = [pytest.mark.django_db, pytest.mark.rule('words.inclusive')]\n"
        "@pytest.mark.rule('retrain.transfer', 'placement.transfer')\n"
        "def test_a(): pass\n"
        "class TestB:\n"
        "    pytestmark = None\n"
        "    @pytest.mark.rule('retrain.return')\n"
        "    def test_c(self): pass\n"
        "def helper(): pass\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(coverage, "ROOT", tmp_path)
    monkeypatch.setattr(coverage, "TESTS", tmp_path / "tests")
    found = coverage.markers()
    assert found == {
        "words.inclusive": ["tests/test_sample.py::test_a", "tests/test_sample.py::TestB::test_c"],
        "retrain.transfer": ["tests/test_sample.py::test_a"],
        "placement.transfer": ["tests/test_sample.py::test_a"],
        "retrain.return": ["tests/test_sample.py::TestB::test_c"],
    }
