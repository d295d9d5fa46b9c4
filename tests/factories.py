"""factory_boy factories and builders shared by the whole suite: one module for every app."""

import datetime as dt
import uuid
from decimal import Decimal

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from courses.offline import services as offline_services
from exams.models import Attempt, Exam, Paper

from lms.accounts.models import ApiToken, Membership, RegulatorMembership, User
from lms.accounts.roles import Role
from lms.compliance.models import Obligation, ObligationKind, RuleCode, TrainingRule
from lms.workforce import services as workforce_services
from lms.workforce.models import Employee, Enterprise, Industry, OrgUnit, Post, PostAssignment, risk_class_for
from lms.workforce.synthetic import make_credit_code, make_id_number

class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    code = factory.Sequence(lambda n: f"ent{n}")
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1000))
    industry = Industry.MANUFACTURING
    # As Enterprise.clean() derives it: the industry's floor (high-risk, construction or general).
    risk_class = factory.LazyAttribute(lambda o: risk_class_for(o.industry))
    region_code = "320505"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    enterprise = factory.SubFactory(EnterpriseFactory)
    kind = OrgUnit.Kind.COMPANY
    parent = None
    code = factory.Sequence(lambda n: f"U{n:03d}")
    name = factory.Sequence(lambda n: f"单位{n}")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    enterprise = factory.SubFactory(EnterpriseFactory)
    org_unit = factory.LazyAttribute(lambda o: OrgUnitFactory(enterprise=o.enterprise))
    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"岗位{n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    enterprise = factory.SubFactory(EnterpriseFactory)
    employee_no = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    id_number = factory.Sequence(lambda n: make_id_number(seq=n % 1000, birth=dt.date(1985, 1, 1) + dt.timedelta(days=n)))
    hire_date = dt.date(2024, 3, 1)


class PostAssignmentFactory(factory.django.DjangoModelFactory):
    """Test data only: an assignment row written directly, for tests about
    listings and exports. Production code goes through the clearance gate
    (services.assignment_create), and so do the tests about the gate."""

    class Meta:
        model = PostAssignment

    employee = factory.SubFactory(EmployeeFactory)
    post = factory.LazyAttribute(lambda o: PostFactory(enterprise=o.employee.enterprise))
    start_date = dt.date(2024, 3, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Anxun-2026")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    role = Role.EMPLOYEE


class RegulatorMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegulatorMembership

    user = factory.SubFactory(UserFactory)
    region_code = "320500"


def enable_totp(user) -> str:
    """Give ``user`` an activated TOTP authenticator; returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def make_api_token(enterprise, *, can_write=True, name="HR 系统") -> tuple[ApiToken, str]:
    key = ApiToken.generate_key()
    token = ApiToken(enterprise=enterprise, name=name, can_write=can_write)
    token.set_key(key)
    token.save()
    return token, key


def home_page():
    """The site's home page, as the data migrations make it — put back (with the
    locale, the page tree's root, the default site and the root collection) when
    an earlier transactional test's flush emptied every table."""
    from wagtail.models import Collection, Locale, Page, Site

    from content.models import HomePage

    if not Collection.get_first_root_node():
        Collection.add_root(name="Root")
    home = HomePage.objects.order_by("path").first()
    if home is None:
        Locale.objects.get_or_create(language_code="zh-hans")
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
        home = HomePage(title="安训", slug="home", intro="<p>安全生产教育培训、考试与持证管理。</p>")
        root.add_child(instance=home)
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "root_page": home, "site_name": "安训", "port": 80}
        )
    return home


def national_rules():
    """The national and policy training rules, as compliance's data migration
    seeds them — put back when an earlier transactional test's flush emptied
    every table (idempotent: update_or_create on the rule's natural key)."""
    from importlib import import_module

    from django.apps import apps

    from lms.compliance.models import TrainingRule

    if not TrainingRule.objects.exists():
        import_module("lms.compliance.migrations.0002_national_defaults").seed(apps, None)


def course_index():
    """The 在线课程 index under the home page (created once, published)."""
    from courses.models import CourseIndexPage

    home = home_page()
    index = CourseIndexPage.objects.child_of(home).first()
    if index is None:
        index = CourseIndexPage(title="在线课程", slug="courses")
        home.add_child(instance=index)
        index.save_revision().publish()
    return index


def lesson_body(text="<p>进入车间前，应了解本车间的危险区域和安全警示标志。</p>", question=None) -> list:
    """A lesson StreamField body: one text block and, with ``question`` =
    (prompt, [(choice, correct), …]), one check question."""
    body = [{"type": "text", "value": text, "id": str(uuid.uuid4())}]
    if question is not None:
        prompt, choices = question
        body.append({
            "type": "question",
            "id": str(uuid.uuid4()),
            "value": {"prompt": prompt, "choices": [{"text": t, "correct": c} for t, c in choices],
                      "explanation": "了解危险因素是车间级安全教育的第一项内容。"},
        })
    return body


def make_course(*, enterprise=None, title=None, category="induction_workshop", credit_hours=Decimal("1"),
                lessons=1, min_minutes=10, question=None, counts_as_assessment=False, live=True, **fields):
    """A CoursePage under the course index with ``lessons`` published
    LessonPages (each with ``lesson_body(question=question)``); published
    unless ``live`` is false. ``enterprise`` None: a platform course."""
    from courses.models import CoursePage, LessonPage

    index = course_index()
    n = CoursePage.objects.count() + 1
    course = CoursePage(
        title=title or f"测试课程{n}", slug=f"course-{uuid.uuid4().hex[:8]}", enterprise=enterprise,
        category=category, credit_hours=credit_hours, counts_as_assessment=counts_as_assessment, live=live, **fields,
    )
    index.add_child(instance=course)
    revision = course.save_revision()
    if live:
        revision.publish()
    for i in range(1, lessons + 1):
        lesson = LessonPage(title=f"第{i}课", slug=f"lesson-{i}", min_minutes=min_minutes,
                            body=lesson_body(question=question))
        course.add_child(instance=lesson)
        lesson.save_revision().publish()
    return course


__all__ = [
    "Authenticator",
    "EmployeeFactory",
    "EnterpriseFactory",
    "MembershipFactory",
    "OrgUnitFactory",
    "PostAssignmentFactory",
    "PostFactory",
    "RegulatorMembershipFactory",
    "UserFactory",
    "course_index",
    "home_page",
    "enable_totp",
    "lesson_body",
    "make_api_token",
    "make_course",
    "make_credit_code",
    "make_id_number",
]


# --- Reports: obligations, exams and attempts written directly, so every figure can be computed by hand.

RULE_FOR_KIND = {
    ObligationKind.INDUCTION: RuleCode.INDUCTION,
    ObligationKind.REFRESHER: RuleCode.ANNUAL_REFRESHER,
    ObligationKind.WARNING: RuleCode.WARNING_EDUCATION,
    ObligationKind.PRINCIPAL_ANNUAL: RuleCode.PRINCIPAL_ANNUAL,
    ObligationKind.PRINCIPAL_INITIAL: RuleCode.PRINCIPAL_INITIAL,
}


def _rule(kind):
    return TrainingRule.objects.filter(code=RULE_FOR_KIND[kind], enterprise__isnull=True).order_by("pk").first()


class ObligationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obligation

    kind = ObligationKind.REFRESHER
    rule = factory.LazyAttribute(lambda o: _rule(o.kind))
    key = factory.Sequence(lambda n: f"test:{n}")
    min_hours = Decimal("8")
    start_date = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 12, 31)
    status = Obligation.Status.OPEN
    completed_hours = Decimal("0")
    met_on = factory.LazyAttribute(lambda o: o.due_date if o.status == Obligation.Status.MET else None)
    met_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(dt.datetime.combine(o.met_on, dt.time(12))) if o.met_on else None)


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    name = factory.Sequence(lambda n: f"试卷{n}")


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    paper = factory.LazyAttribute(lambda o: PaperFactory(enterprise=o.enterprise))
    title = factory.Sequence(lambda n: f"年度安全考试{n}")
    opens_at = factory.LazyFunction(lambda: timezone.make_aware(dt.datetime(2026, 3, 1, 9)))
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + dt.timedelta(days=7))
    duration_minutes = 60


class GradedAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attempt

    number = 1
    started_at = factory.LazyAttribute(lambda o: o.exam.opens_at)
    deadline = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(hours=1))
    submitted_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(minutes=40))
    graded_at = factory.LazyAttribute(lambda o: o.submitted_at)
    status = Attempt.Status.GRADED
    score = Decimal("85")
    max_score = Decimal("100")
    passed = factory.LazyAttribute(lambda o: o.score >= o.exam.pass_score)


# --- Offline sessions: trainers, hired workers who owe induction, sessions on a fixed day (Asia/Shanghai).

DAY = dt.date(2026, 11, 10)
HIRED = dt.date(2026, 11, 2)


def at(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute, second))


def make_user(enterprise, role, email, name):
    user = UserFactory(email=email, full_name=name)
    MembershipFactory(user=user, enterprise=enterprise, role=role)
    return user


def make_trainer(enterprise, email="tom@example.com", name="汤姆"):
    return make_user(enterprise, Role.TRAINER, email, name)


def make_worker(enterprise, unit, name, no, *, post=None, hired=HIRED, with_user=True):
    """An employee of ``enterprise`` hired on ``hired`` (so they owe the
    three-level induction), with a login unless ``with_user`` is false."""
    user = make_user(enterprise, Role.EMPLOYEE, f"{no.lower()}@example.com", name) if with_user else None
    employee = EmployeeFactory(enterprise=enterprise, user=user, name=name, employee_no=no, org_unit=unit, hire_date=hired)
    workforce_services.event_record(employee=employee, type="hire", date=hired, post=post, actor=None)
    return employee


def make_session(enterprise, trainer, **fields):
    values = {
        "title": "厂级安全教育（11 月新员工）",
        "content": "本企业安全生产情况、规章制度和劳动纪律、从业人员权利义务、事故案例",
        "kind": "induction",
        "level": "company",
        "start_at": at(8, 30),
        "end_at": at(14, 30),
        "place": "二号楼培训教室",
        "trainer": trainer,
        "capacity": 10,
    }
    values.update(fields)
    return offline_services.session_create(enterprise=enterprise, actor=None, **values)
