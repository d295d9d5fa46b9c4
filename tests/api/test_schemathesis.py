"""Property-based conformance run of the whole published API (schemathesis).

The schema is loaded from the app itself (``/api/schema/`` through WSGI, in
process) and every operation in it is called with generated requests — the
documented examples, schema-derived edge cases ("coverage") and random
valid and invalid data ("fuzzing") — as an integration client would, with a
real write token of HR's enterprise. The enterprise is seeded with the very
people, posts and codes the documentation's examples name (E10086 张伟 on
A-OP, the apprentice E10087 under E00012 on A-REACT, the certificate code on
the verification example), so the examples reach real rows and every output
serializer answers with data, not only empty pages and 404s.

Every answer must be: no 5xx; a documented status code; the documented
content type; a body that matches the documented schema; the documented
response headers. Fuzzing is bounded (``max_examples`` per operation) and
derandomised, so CI sends the same requests on every run.
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from certificates.models import Certificate, CertificateKind
from courses.apprenticeship.services import apprenticeship_start
from courses.models import Enrolment, LessonProgress
from courses.warning.services import campaigns_ensure
from exams.models import Attempt
from lms.accounts.models import ApiToken
from lms.workforce.models import HazardLevel

from ..apprenticeship.conftest import newcomer, veteran
from ..compliance.helpers import certificate, hire, induct, train
from ..exams.engine_helpers import bank, exam, fixed_paper, single
from ..factories import EmployeeFactory, PostAssignmentFactory, PostFactory, make_course

# Schemathesis' checks, named so that a new release adds none unseen. Left out:
# - positive_data_acceptance expects any schema-valid request to succeed, but the
#   business rules refuse many of them with a documented 400/409 (a start date
#   before the hire date, someone already on the post, an uncleared placement);
# - negative_data_rejection expects any schema-invalid request to fail, but the
#   API is as lenient as DRF where that harms nobody: a malformed limit/offset
#   falls back to the default page (test_bad_input.py), a JSON number is taken
#   as a code and 0/1 as a boolean;
#   both kinds of request are still sent, and their answers checked by the rest;
# - ignored_auth does not fire in this in-process set-up (an endpoint switched to
#   AllowAny passed), and object_level_authorization needs a second identity:
#   refusals are tested in test_auth.py, test_tenancy.py, test_response_schemas.py;
# - max_response_time: tests never assert timings (README, benchmarks in bench/).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    use_after_free,
    ensure_resource_availability,
]
#: Fuzzed requests per operation: bounded for CI; raise it locally to hunt for more.
MAX_EXAMPLES = int(os.environ.get("ANXUN_API_FUZZ_EXAMPLES", "25"))
#: The verification code printed in the documentation's example.
VERIFY_CODE = "pZ3kQ8vN2xY7wR4tL9mB6cF1hJ5dS0aE"


class _InTestTransaction:
    """Django's WSGI application, minus what would end the test's transaction.

    Django closes "old" database connections when a request starts and
    finishes; inside the test's transaction that marks it for rollback, so
    the next request would fail. Django's own test client disconnects the
    same receiver for the same reason (django.test.client.ClientHandler).
    """

    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            yield from self.handler(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


# Loaded when the module is collected (generating the schema needs no
# database): schemathesis' fixture-based loader (``from_fixture``) does not
# run under pytest 9.2, whose nodes no longer have ``_nodeid``.
schema = schemathesis.openapi.from_wsgi("/api/schema/", _InTestTransaction())
#: The key of HR's token: each test stores its own token row, always with this key.
KEY = ApiToken.generate_key()


@schema.auth(refresh_interval=None)
class _HrToken:
    """HR's API token on every request, as the integration client sends it."""

    def get(self, case, ctx):
        return KEY

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def _days_ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def token(ent_a, tree_a, alice, ent_b, tree_b):
    """HR's enterprise with something behind every endpoint, and the write
    token HR set up for the HR system (key ``KEY``). The other enterprise has
    a person with the same 工号, who must never show up."""
    _company, _workshop, team, post = tree_a
    # 张伟: hired 100 days ago onto A-OP, inducted (one level corrected), on the post.
    zhang = EmployeeFactory(
        enterprise=ent_a, employee_no="E10086", name="张伟", org_unit=team, hire_date=_days_ago(100)
    )
    hire(zhang, post)
    induct(zhang, post, _days_ago(99), 24)
    wrong = train(zhang, "warning", 1, _days_ago(60))
    train(zhang, "warning", 2, _days_ago(60), corrects=wrong)
    PostAssignmentFactory(employee=zhang, post=post, start_date=_days_ago(90))
    certificate(zhang, "electrician", _days_ago(400), _days_ago(-1800), review=_days_ago(-300), number="T-E10086")
    Certificate.objects.create(
        employee=zhang, kind=CertificateKind.POST, post=post, number="hxchem-SG-2026-00042",
        authority="华兴化工有限公司", issued_on=_days_ago(89), issued_via=Certificate.Via.MANUAL,
        verification_code=VERIFY_CODE,
    )
    # An exam he passed at the second attempt.
    the_exam = exam(ent_a, fixed_paper(ent_a, [(single(bank(ent_a)), 100)]), record_post=post)
    for number, score, passed in ((1, "60", False), (2, "92", True)):
        submitted = timezone.now() - dt.timedelta(days=30 - number)
        Attempt.objects.create(
            exam=the_exam, employee=zhang, number=number, deadline=submitted, submitted_at=submitted,
            status=Attempt.Status.GRADED, score=Decimal(score), max_score=Decimal("100"), passed=passed,
            graded_at=submitted,
        )
    # A platform course he is half-way through, and a private one of the enterprise.
    course = make_course(title="车间级安全教育（通用）", lessons=2, min_minutes=45)
    make_course(enterprise=ent_a, title="华兴化工 反应釜开停车", category="refresher", lessons=1)
    enrolment = Enrolment.objects.create(
        employee=zhang, course=course, source=Enrolment.Source.OBLIGATION, due_date=_days_ago(-30)
    )
    LessonProgress.objects.create(
        enrolment=enrolment, lesson=course.get_lessons().first(), seconds=2730, completed_at=timezone.now()
    )
    # 刘小军 (E10087) learns the reactor post under 周建国 (E00012).
    reactor = PostFactory(
        enterprise=ent_a, org_unit=team, code="A-REACT", name="反应釜操作工", apprenticeship_months=2,
        hazard_level=HazardLevel.RED, hazards="火灾、爆炸、中毒和窒息",
    )
    mentor = veteran(ent_a, team, reactor, "E00012", "周建国", dt.date(2018, 1, 8), dt.date(2018, 3, 12))
    apprentice = newcomer(ent_a, team, reactor, "E10087", "刘小军", _days_ago(80))
    apprenticeship_start(
        apprentice=apprentice, mentor=mentor, post=reactor, start_date=_days_ago(77), plan="开停车操作规程", actor=alice
    )
    # This quarter's warning-education campaigns.
    campaigns_ensure(today=timezone.localdate())
    EmployeeFactory(enterprise=ent_b, employee_no="E10086", name="赵六", org_unit=tree_b[2])
    api_token = ApiToken(enterprise=ent_a, name="HR 系统", can_write=True, created_by=alice)
    api_token.set_key(KEY)
    api_token.save()
    return api_token


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # One seeded enterprise per operation, shared by all its generated requests: what
    # one request creates (an employee, an event) is there for the next, as for a client.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(checks=CHECKS)


def test_generated_strings_include_nul():
    """The run sends NUL inside strings (schemathesis' allow_x00), which PostgreSQL
    refuses in text: every such request must be a documented 400. Lone surrogates,
    which schemathesis cannot send (it encodes UTF-8), and NaN/Infinity, bracket
    towers and raw bytes are sent by tests/api/test_fuzz_bodies.py."""
    assert schema.config.generation.allow_x00 is True
