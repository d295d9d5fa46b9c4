"""The production static build: ``collectstatic`` with production's storage
(whitenoise's CompressedManifestStaticFilesStorage) succeeds, every static
file the code names is in its manifest, and a page renders with it.

Production refuses a page whose ``{% static %}`` is missing from the manifest
(a 500 on every HTML page), and ``collectstatic`` stops at the first file that
references one it cannot find (a vendored ``//# sourceMappingURL`` without its
map did exactly that). So this runs the real build into a temporary
directory inside ``make test``; the deploy-smoke leg of ``.ci/run`` then
serves it from gunicorn (tests/deploy/smoke.py)."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

PRODUCTION_STATIC = "whitenoise.storage.CompressedManifestStaticFilesStorage"
# {% static 'x' %} in templates, static("x") in Python.
TEMPLATE_STATIC = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]""")
PYTHON_STATIC = re.compile(r"""\bstatic\(\s*['"]([^'"]+)['"]""")
NOT_OURS = {".venv", "var", "node_modules", ".git", "tests"}


def _project_files(pattern: str):
    for path in settings.BASE_DIR.rglob(pattern):
        if not NOT_OURS.intersection(path.relative_to(settings.BASE_DIR).parts):
            yield path


def _named_static_files() -> dict[str, str]:
    """Every static path the project's templates and code name literally → where."""
    named = {}
    for pattern, regex in (("*.html", TEMPLATE_STATIC), ("*.py", PYTHON_STATIC)):
        for path in _project_files(pattern):
            for name in regex.findall(path.read_text(encoding="utf-8")):
                named.setdefault(name, str(path.relative_to(settings.BASE_DIR)))
    return named


@pytest.fixture(scope="module")
def production_static(tmp_path_factory):
    """collectstatic with production's storage into a temporary STATIC_ROOT:
    the root, the manifest's paths and the STORAGES that read them."""
    root = tmp_path_factory.mktemp("static")
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC}}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((root / "staticfiles.json").read_text(encoding="utf-8"))
    return {"root": root, "paths": manifest["paths"], "storages": storages}


def test_collectstatic_with_production_storage_writes_a_manifest(production_static):
    paths = production_static["paths"]
    hashed = paths["vendor/chartjs/chart.umd.min.js"]
    assert hashed != "vendor/chartjs/chart.umd.min.js"
    assert (production_static["root"] / hashed).is_file()
    assert (production_static["root"] / (hashed + ".gz")).is_file()  # whitenoise compressed it


def test_every_static_file_the_code_names_is_in_the_manifest(production_static):
    named = _named_static_files()
    assert "css/anxun.css" in named  # the scan finds the base template's stylesheet
    missing = {name: where for name, where in named.items() if name not in production_static["paths"]}
    assert not missing, f"not in the production manifest (a 500 on the page that names it): {missing}"


@pytest.mark.django_db
def test_a_page_renders_with_the_production_manifest(client, production_static):
    with override_settings(STATIC_ROOT=production_static["root"], STORAGES=production_static["storages"]):
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "/static/" + production_static["paths"]["css/anxun.css"] in response.content.decode()
