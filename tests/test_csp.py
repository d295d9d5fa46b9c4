"""Content-Security-Policy (issue 16): every HTML page carries the strict
policy — no inline script, no inline style, no eval, framed by nobody —
except Wagtail's admin, which gets the narrowest relaxation that works; and
no project template holds inline script, an event-handler attribute, a
javascript: URL or, where the strict policy applies, inline style."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from lms.accounts.roles import Role
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
HEADER = "Content-Security-Policy"


def directives(response, header=HEADER) -> dict[str, list[str]]:
    assert header in response, f"no {header} on {response.request['PATH_INFO']}"
    out = {}
    for part in response[header].split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_strict(response):
    d = directives(response)
    assert d["default-src"] == ["'self'"]
    assert d["script-src"] == ["'self'"]
    assert d["style-src"][0] == "'self'" and all(v.startswith("'sha256-") for v in d["style-src"][1:])  # no inline
    assert d["img-src"] == ["'self'", "data:"]
    assert d["media-src"] == ["'self'", "blob:"]
    assert d["frame-ancestors"] == ["'none'"] and d["object-src"] == ["'none'"]
    assert d["form-action"] == ["'self'"] and d["base-uri"] == ["'self'"]
    assert d["connect-src"] == ["'self'"] and d["font-src"] == ["'self'"]


@pytest.fixture
def worker(ent_a, tree_a):
    user = UserFactory(email="worker@example.com", full_name="王五")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.EMPLOYEE)
    user.employee = EmployeeFactory(enterprise=ent_a, user=user, name="王五", org_unit=tree_a[2])
    return user


def test_anonymous_pages_carry_the_strict_policy(client):
    for url in ("/accounts/login/", "/", "/api/docs/", "/accounts/password/reset/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)


def test_swagger_ui_start_up_script_is_a_file_of_its_own(client):
    page = client.get("/api/docs/").content.decode()
    assert re.search(r'<script src="/api/docs/\?[^"]*script=', page)
    assert "<style" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_worker_pages_carry_the_strict_policy(client, worker):
    client.force_login(worker)
    for url in ("/portal/", "/learn/", reverse("exams:my_exams"), reverse("certificates:mine"),
                reverse("archive:person_file", args=[worker.employee.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)


def test_hr_pages_carry_the_policy_and_only_the_admin_is_relaxed(client, alice):
    login_with_mfa(client, alice)
    for url in ("/reports/", "/reports/coverage/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
    for url in ("/admin/", "/admin/workforce/employee/"):
        response = client.get(url)
        assert response.status_code == 200, url
        d = directives(response)
        # Wagtail 8 writes inline <script> and style (wagtail/wagtail#1288): allowed there, nothing more.
        assert d["script-src"] == ["'self'", "'unsafe-inline'"] and d["style-src"] == ["'self'", "'unsafe-inline'"]
        assert d["img-src"] == ["'self'", "data:", "blob:"]
        assert d["frame-ancestors"] == ["'self'"]  # the page preview panel frames our pages
        assert d["object-src"] == ["'none'"] and d["form-action"] == ["'self'"] and d["connect-src"] == ["'self'"]
        assert "'unsafe-eval'" not in response[HEADER]


def test_regulator_pages_carry_the_strict_policy(client, regulator):
    login_with_mfa(client, regulator)
    for url in ("/supervision/samples/", "/supervision/samples/new/", "/supervision/findings/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)


def test_report_only_mode_sends_the_same_policy_for_trial(client, settings):
    policy = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {**policy["DIRECTIVES"], "report-uri": ["/csp/"]}}
    response = client.get("/accounts/login/")
    assert HEADER not in response
    d = directives(response, "Content-Security-Policy-Report-Only")
    assert d["script-src"] == ["'self'"] and d["report-uri"] == ["/csp/"]


def test_settings_switch_report_only_and_report_uri():
    code = ("from django.conf import settings; import json; "
            "print(json.dumps([getattr(settings, 'CONTENT_SECURITY_POLICY', None), "
            "settings.CONTENT_SECURITY_POLICY_REPORT_ONLY]))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings.test", "ANXUN_CSP_REPORT_ONLY": "true",
           "ANXUN_CSP_REPORT_URI": "https://csp.example.com/report"}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], env=env, cwd=BASE_DIR,
                         capture_output=True, text=True, check=True).stdout
    import json

    enforced, report_only = json.loads(out.strip().splitlines()[-1])
    assert enforced is None
    assert report_only["DIRECTIVES"]["script-src"] == ["'self'"]
    assert report_only["DIRECTIVES"]["report-uri"] == ["https://csp.example.com/report"]


# --- the templates themselves --------------------------------------------------------------


def project_templates():
    for path in sorted(BASE_DIR.rglob("*.html")):
        rel = path.relative_to(BASE_DIR).as_posix()
        if rel.startswith((".venv/", "var/", "node_modules/", "bench/")) or "/templates/" not in f"/{rel}":
            continue
        yield rel, path.read_text(encoding="utf-8")


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def test_templates_were_found():
    names = [rel for rel, _ in project_templates()]
    assert "templates/base.html" in names and len(names) > 100


def test_no_template_has_inline_script_handlers_or_javascript_urls():
    offenders = []
    for rel, text in project_templates():
        for pattern, what in ((INLINE_SCRIPT, "inline <script>"), (HANDLER, "on…= handler"), (JS_URL, "javascript: URL")):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{rel}:{line}: {what}: {match.group(0)[:60]}")
    assert offenders == []


def _strict(rel: str, text: str) -> bool:
    """Rendered under the strict policy: not Wagtail admin, not a PDF (WeasyPrint), not an e-mail."""
    admin = "/admin/" in f"/{rel}" or re.search(r"{%\s*extends\s+[\"']wagtailadmin/", text)
    return not (admin or "/pdf/" in rel or "/emails/" in rel)


def test_no_strict_page_template_has_inline_style():
    offenders = []
    for rel, text in project_templates():
        if _strict(rel, text):
            offenders += [f"{rel}:{text.count(chr(10), 0, m.start()) + 1}" for m in INLINE_STYLE.finditer(text)]
    assert offenders == []
