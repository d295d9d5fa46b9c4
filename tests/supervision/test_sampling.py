"""双随机: a sample is reproducible from its seed, stays in the regulator's
region, follows its rules (industry, risk class, N, M, high-hazard weighting),
and its pages are the regulator's alone."""

import datetime as dt

import pytest
from django.utils import timezone
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms.compliance.models import Obligation
from lms.supervision.models import Sample, SampleItem
from lms.supervision.selectors import sample_items
from lms.supervision.services import sample_draw, sample_reproduce
from lms.workforce.models import Employee, Enterprise, Industry
from tests.compliance.helpers import hire
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, RegulatorMembershipFactory, UserFactory, enable_totp

pytestmark = pytest.mark.django_db


def test_same_seed_same_sample_and_reproduce_recomputes_it(regulator, region):
    first = sample_draw(regulator=regulator, region_code="320500", n=3, m=2, seed=20261202)
    second = sample_draw(regulator=regulator, region_code="320500", n=3, m=2, seed=20261202)
    assert sample_items(first) == sample_items(second)
    assert sample_reproduce(first) == sample_items(first)
    assert len(sample_items(first)) == 6
    assert first.seed == 20261202


def test_different_seeds_give_different_samples(regulator, region):
    draws = {tuple(sample_items(sample_draw(regulator=regulator, region_code="320500", n=3, m=2, seed=s)))
             for s in range(8)}
    assert len(draws) > 1


def test_seed_is_generated_recorded_and_reproduces(regulator, region):
    sample = sample_draw(regulator=regulator, region_code="320500", n=2, m=3)
    sample.refresh_from_db()
    assert sample.seed is not None
    assert sample_reproduce(sample) == sample_items(sample)
    entry = ModelLogEntry.objects.get(action="anxun.sample_draw", object_id=str(sample.pk))
    assert entry.user == regulator and entry.data["seed"] == str(sample.seed)


def test_reproduction_shows_when_the_region_changed(regulator, region):
    sample = sample_draw(regulator=regulator, region_code="320500", n=6, m=50, seed=7)
    ent = next(iter(region))
    EmployeeFactory(enterprise=ent, name="新入职")
    assert sample_reproduce(sample) != sample_items(sample)


def test_sample_stays_in_the_region_and_draws_active_people_only(regulator, region, ent_b):
    sample = sample_draw(regulator=regulator, region_code="320500", n=50, m=50, seed=1)
    items = list(sample.items.select_related("enterprise", "employee"))
    assert {i.enterprise.region_code[:4] for i in items} == {"3205"}
    assert ent_b.pk not in {i.enterprise_id for i in items}
    assert sample.enterprise_pool == 6
    assert all(i.employee.status == Employee.Status.ACTIVE and i.employee.enterprise_id == i.enterprise_id
               for i in items)
    # Everyone active in the region, each once.
    expected = sum(len(people) for ent, people in region.items() if ent.region_code.startswith("3205"))
    assert len({i.employee_id for i in items}) == len(items) == expected


def test_n_and_m_are_respected(regulator, region):
    sample = sample_draw(regulator=regulator, region_code="320500", n=4, m=3, seed=99)
    items = sample_items(sample)
    ents = [e for e, _emp in items]
    assert len(set(ents)) == 4
    assert all(ents.count(e) == 3 for e in set(ents))


def test_a_sub_region_narrows_the_draw(regulator, region):
    sample = sample_draw(regulator=regulator, region_code="320583", n=5, m=1, seed=3)
    assert set(sample.items.values_list("enterprise__region_code", flat=True)) == {"320583"}


def test_industry_and_risk_class_filters(regulator, region):
    chem = sample_draw(regulator=regulator, region_code="320500", n=10, m=1, seed=5,
                       filters={"industry": Industry.HAZARDOUS_CHEMICALS})
    assert set(Enterprise.objects.filter(pk__in=chem.items.values("enterprise")).values_list("industry", flat=True)) == {
        Industry.HAZARDOUS_CHEMICALS}
    assert chem.enterprise_pool == 3
    built = sample_draw(regulator=regulator, region_code="320500", n=10, m=1, seed=5,
                        filters={"risk_class": "construction"})
    assert built.enterprise_pool == 1


def test_weighting_favours_people_on_high_hazard_posts(regulator, region, ent_a):
    # One of A's eight is on a red post: with m=1 he is drawn 1/8 of the time
    # unweighted, 3/10 weighted. Over 150 seeds the difference is plain
    # (n=2 draws both chemical firms of 320505, A always among them).
    red_person = region[ent_a][0].pk
    plain = weighted = 0
    for seed in range(150):
        for weight in (False, True):
            sample = sample_draw(regulator=regulator, region_code="320505", n=2, m=1, seed=seed,
                                 filters={"industry": Industry.HAZARDOUS_CHEMICALS, "weight_high_hazard": weight})
            hit = sample.items.filter(employee_id=red_person).exists()
            weighted += hit and weight
            plain += hit and not weight
    assert plain / 150 < 0.2 < weighted / 150 < 0.42, (plain, weighted)


def test_region_outside_the_regulators_is_refused(regulator, region):
    with pytest.raises(ValidationError) as exc:
        sample_draw(regulator=regulator, region_code="330100", n=2, m=2, seed=1)
    assert "监管范围" in str(exc.value.message_dict["region_code"])
    assert not Sample.objects.exists()


def test_non_regulator_cannot_draw(alice, region):
    with pytest.raises(PermissionDenied):
        sample_draw(regulator=alice, region_code="320500", n=2, m=2, seed=1)


def test_draw_costs_a_flat_number_of_queries(regulator, region):
    sample_draw(regulator=regulator, region_code="320500", n=1, m=1, seed=1)  # warm the per-user caches
    counts = []
    for n, m in ((1, 1), (6, 5)):
        with CaptureQueriesContext(connection) as ctx:
            sample_draw(regulator=regulator, region_code="320500", n=n, m=m, seed=4,
                        filters={"weight_high_hazard": True})
        counts.append(len(ctx))
    assert counts[0] == counts[1] <= 15, counts


# --- pages --------------------------------------------------------------------------------------


def test_regulator_draws_a_sample_on_the_page_and_sees_links_to_each_file(client, regulator, region):
    login_with_mfa(client, regulator)
    page = client.get(reverse("supervision:sample_new"))
    assert page.status_code == 200 and "抽取样本" in page.content.decode()
    response = client.post(reverse("supervision:sample_new"),
                           {"region_code": "320500", "n": 2, "m": 2, "industry": "", "risk_class": "", "seed": "42"})
    sample = Sample.objects.get()
    assert response.status_code == 302 and response.url == reverse("supervision:sample", args=[sample.pk])
    body = client.get(response.url).content.decode()
    assert "42" in body
    for item in sample.items.select_related("employee", "enterprise"):
        assert item.enterprise.name in body
        assert reverse("archive:person_file", args=[item.employee_id]) in body
    listing = client.get(reverse("supervision:samples")).content.decode()
    assert reverse("supervision:sample", args=[sample.pk]) in listing


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"region_code": "3205", "n": 2, "m": 2}, "region_code", "6 位数字"),
        ({"region_code": "330100", "n": 2, "m": 2}, "region_code", "不在您的监管范围"),
        ({"region_code": "320500", "n": 0, "m": 2}, "n", "至少抽取 1 家企业"),
        ({"region_code": "320500", "n": 2, "m": 500}, "m", "最多抽取 100 人"),
        ({"region_code": "320500", "n": "abc", "m": 2}, "n", "请输入整数"),
        ({"region_code": "320500", "n": 2, "m": 2, "seed": "-1"}, "seed", "不能为负数"),
        ({"region_code": "320500", "n": 2, "m": 2, "industry": "mining"}, "industry", "选择"),
    ],
)
def test_bad_rules_are_field_errors_in_chinese(client, regulator, region, data, field, message):
    login_with_mfa(client, regulator)
    response = client.post(reverse("supervision:sample_new"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert not Sample.objects.exists()


def test_another_regulators_sample_is_404(client, regulator, region):
    sample = sample_draw(regulator=regulator, region_code="320500", n=1, m=1, seed=1)
    other = UserFactory(email="reg2@example.com")
    RegulatorMembershipFactory(user=other, region_code="320500")
    enable_totp(other)
    login_with_mfa(client, other)
    assert client.get(reverse("supervision:sample", args=[sample.pk])).status_code == 404
    assert reverse("supervision:sample", args=[sample.pk]) not in client.get(reverse("supervision:samples")).content.decode()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_sample_pages_are_refused_to_non_regulators(client, request, regulator, region, who):
    sample = sample_draw(regulator=regulator, region_code="320500", n=1, m=1, seed=1)
    login_with_mfa(client, request.getfixturevalue(who))
    for url in (reverse("supervision:samples"), reverse("supervision:sample_new"),
                reverse("supervision:sample", args=[sample.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("supervision:sample_new"), {"region_code": "320500", "n": 1, "m": 1}).status_code == 403
    assert Sample.objects.count() == 1


def test_sample_page_query_count_is_flat(client, regulator, region):
    small = sample_draw(regulator=regulator, region_code="320500", n=1, m=1, seed=2)
    big = sample_draw(regulator=regulator, region_code="320500", n=6, m=6, seed=2)
    assert SampleItem.objects.filter(sample=big).count() > 20
    login_with_mfa(client, regulator)
    counts = []
    for sample in (small, small, big):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("supervision:sample", args=[sample.pk])).status_code == 200
        counts.append(len(ctx))
    assert counts[1] == counts[2] <= 25, counts  # the first view also fills per-process caches


def test_sample_page_says_whether_the_seed_still_reproduces_it(client, regulator, region, ent_a):
    sample = sample_draw(regulator=regulator, region_code="320500", n=6, m=50, seed=8)
    login_with_mfa(client, regulator)
    url = reverse("supervision:sample", args=[sample.pk])
    assert "按种子复现：结果一致" in client.get(url).content.decode()
    EmployeeFactory(enterprise=ent_a, name="抽样后入职")
    assert "按种子复现：结果不同" in client.get(url).content.decode()


def test_sample_page_shows_each_persons_open_and_overdue_obligations(client, regulator, region, ent_a):
    person = region[ent_a][1]
    hire(person, None, timezone.localdate() - dt.timedelta(days=200))
    open_ = Obligation.objects.filter(employee=person, status=Obligation.Status.OPEN)
    overdue = open_.filter(due_date__lt=timezone.localdate()).count()
    assert open_.count() > 0
    sample = sample_draw(regulator=regulator, region_code="320505", n=2, m=50, seed=3)
    login_with_mfa(client, regulator)
    page = client.get(reverse("supervision:sample", args=[sample.pk])).content.decode()
    block = page.split(f'data-testid="obligations-{person.pk}"')[1].split("</p>")[0]
    assert f"未完成培训义务 {open_.count()} 项" in block
    assert (f"逾期培训义务 {overdue} 项" in block) == bool(overdue)
    other = region[ent_a][2]
    assert "未完成培训义务 0 项" in page.split(f'data-testid="obligations-{other.pk}"')[1].split("</p>")[0]
