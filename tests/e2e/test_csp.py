"""Every role's main pages run under the Content-Security-Policy with nothing
blocked and no script error: the scripts moved out of the templates still
work (the chart draws, the paper form adds a row, the lesson clock ticks, the
exam autosaves, Swagger UI renders), and every HTML page carries the header."""

import datetime as dt
import os

import pytest
from django.utils import timezone

from courses import services as course_services
from exams import services as exam_services
from lms.supervision.services import sample_draw
from tests.compliance.helpers import train
from tests.e2e.conftest import log_in
from tests.exams.engine_helpers import bank, fixed_paper, make_principal, single, true_false
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, enable_totp, make_course

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Report each violation on the console, where the listener below sees it
# (Playwright's init scripts are not subject to the page's policy).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
    console.error("CSP-VIOLATION " + e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Watch:
    """Collects CSP violations, JS errors and HTML responses without the header for one browser context."""

    def __init__(self, browser, base_url):
        self.base_url = base_url
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)
        self.problems = []
        self.html_pages = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"JS error on {self.page.url}: {error}"))
        self.page.on("response", self._response)

    def _console(self, message):
        text = message.text
        if "CSP-VIOLATION" in text or "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"{self.page.url}: {text}")

    def _response(self, response):
        if response.request.resource_type != "document" or not response.url.startswith(self.base_url):
            return
        if not response.headers.get("content-type", "").startswith("text/html") or response.status >= 300:
            return
        self.html_pages.append(response.url)
        if "content-security-policy" not in response.headers:
            self.problems.append(f"no Content-Security-Policy header on {response.url}")

    def visit(self, path, *, ready=None):
        self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("networkidle")
        if ready:
            ready(self.page)
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def watch(browser, live_server):
    opened = []

    def open_():
        w = Watch(browser, live_server.url)
        opened.append(w)
        return w

    yield open_
    for w in opened:
        w.close()


def test_every_role_s_pages_pass_the_policy(watch, live_server, migrated_data, archive_flushable, short_study, worker,
                                            alice, regulator, ent_a, tree_a, settings, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path
    year = dt.date.today().year
    staff = [EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1], name=f"员工{i}") for i in range(3)]
    train(staff[0], "refresher", 8, dt.date(year, 1, 5))

    # --- anonymous: the login page, the API docs --------------------------------------
    anon = watch()
    anon.visit("/accounts/login/", ready=lambda p: p.locator("input[name=login]").wait_for())
    # The watch sees a violation: an injected inline script is blocked and reported.
    anon.page.evaluate("""() => { const s = document.createElement("script");
                                  s.textContent = "window.injected = true"; document.body.appendChild(s); }""")
    anon.page.wait_for_timeout(300)
    assert anon.page.evaluate("window.injected === undefined")
    assert any("CSP-VIOLATION script-src" in problem for problem in anon.problems), anon.problems
    anon.problems.clear()
    anon.visit("/api/docs/", ready=lambda p: p.locator(".swagger-ui .info .title").wait_for())
    anon.visit("/")

    # --- a worker: portal, my learning, a lesson with its study clock ------------------
    course = make_course(title="车间级安全教育（CSP）", category="induction_workshop", credit_hours=1, lessons=1,
                         min_minutes=1)
    lesson = course.get_lessons().get()
    course_services.enrolments_from_obligations(employee_ids=[worker.employee.pk])
    w = watch()
    log_in(w.page, live_server.url, worker)
    w.visit("/portal/")
    w.visit("/learn/", ready=lambda p: p.get_by_role("heading", name="我的学习").wait_for())
    w.visit(lesson.url, ready=lambda p: p.locator("#study-status", has_text="计时").wait_for())
    w.page.wait_for_function("() => document.getElementById('study-meter').style.width !== ''")

    # --- a principal: the exam attempt page autosaves -----------------------------------
    principal = make_principal(ent_a, tree_a[0])
    questions_bank = bank(ent_a)
    paper = fixed_paper(ent_a, [(single(questions_bank), 50), (true_false(questions_bank), 50)])
    now = timezone.now()
    exam = exam_services.exam_create(
        enterprise=ent_a, actor=None, paper=paper, title="CSP 年度考试", opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=2), duration_minutes=30,
        audience={"principals_and_safety_managers": True}, record_kind="principal",
    )
    p = watch()
    log_in(p.page, live_server.url, principal)
    p.visit(f"/exams/{exam.pk}/")
    p.page.get_by_role("button", name="开始考试").click()
    p.page.wait_for_url("**/exams/attempts/*/")
    p.page.locator("#clock-value").wait_for()
    p.page.locator("fieldset.question label").first.click()
    p.page.locator("#save-status").filter(has_text="已保存").wait_for()

    # --- HR: back office, employee list, paper form, reports with their charts, a file ---
    safety = UserFactory(email="sam@example.com", full_name="萨姆")
    MembershipFactory(user=safety, enterprise=ent_a, role="safety_manager")
    hr = watch()
    log_in(hr.page, live_server.url, alice)
    hr.visit("/admin/", ready=lambda p: p.locator("#wagtail-sidebar").wait_for(state="attached"))
    hr.visit("/admin/workforce/employee/", ready=lambda p: p.get_by_text("员工0").first.wait_for())
    hr.visit("/reports/", ready=lambda p: p.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"))
    hr.visit("/reports/coverage/?by=unit", ready=lambda p: p.locator("#report-table").wait_for())
    hr.visit(f"/archive/employees/{staff[0].pk}/", ready=lambda p: p.locator("#record-1").wait_for())

    sm = watch()
    log_in(sm.page, live_server.url, safety)
    sm.visit("/admin/exams/paper/new/", ready=lambda p: p.locator(".anxun-formset").first.wait_for())
    section = sm.page.locator(".anxun-formset").first
    rows = section.locator("tbody tr").count()
    section.locator(".anxun-formset__add").click()
    assert section.locator("tbody tr").count() == rows + 1  # paper_form.js, moved out of the template

    # --- a regulator: supervision, a sample with its bundle poller ----------------------
    sample = sample_draw(regulator=regulator, region_code="320505", n=1, m=1, seed=3)
    r = watch()
    log_in(r.page, live_server.url, regulator)
    r.visit("/supervision/")
    r.visit(f"/supervision/samples/{sample.pk}/", ready=lambda p: p.locator("#bundle").wait_for())

    # --- an editor (superuser): Wagtail's page editor runs under the admin policy ---------
    root = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    root.totp_secret = enable_totp(root)
    ed = watch()
    log_in(ed.page, live_server.url, root)
    ed.visit(f"/admin/pages/{lesson.pk}/edit/", ready=lambda p: p.locator("form#page-edit-form").wait_for())
    ed.visit(f"/admin/pages/{course.pk}/edit/", ready=lambda p: p.locator("form#page-edit-form").wait_for())
    ed.visit("/admin/exams/exam/new/", ready=lambda p: p.locator("form").first.wait_for())
    # Our pages with Wagtail's user bar (editors only) pass the strict policy too.
    ed.visit(course.url, ready=lambda p: p.locator("wagtail-userbar").wait_for(state="attached"))
    ed.page.locator("wagtail-userbar").locator("[data-wagtail-userbar-trigger]").click()

    everyone = [anon, w, p, hr, sm, r, ed]
    problems = [problem for x in everyone for problem in x.problems]
    assert problems == []
    visited = [url for x in everyone for url in x.html_pages]
    assert len(visited) >= 14, visited
