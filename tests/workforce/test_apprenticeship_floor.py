"""令3 §19, 办法 §23, 煤矿安全培训规定: posts of hazardous processes and
underground work in mines and dangerous-goods enterprises carry the law's
minimum apprenticeship; a post may ask for more, never less."""

import pytest
from django.core.exceptions import ValidationError

from lms.workforce import services
from lms.workforce.models import Industry, OrgUnit, Post
from tests.factories import EnterpriseFactory, OrgUnitFactory

pytestmark = pytest.mark.django_db


def _post(industry, *, hazardous_process=True, months=0):
    enterprise = EnterpriseFactory(industry=industry)
    company = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.COMPANY, code="C", name="公司")
    return Post(enterprise=enterprise, org_unit=company, code="P1", name="岗位", hazardous_process=hazardous_process,
                apprenticeship_months=months)


@pytest.mark.rule("appr.high_risk_required", "appr.two_months")
@pytest.mark.parametrize("industry", [Industry.HAZARDOUS_CHEMICALS, Industry.NON_COAL_MINE, Industry.FIREWORKS,
                                      Industry.METAL_SMELTING])
def test_a_hazardous_process_post_of_a_high_risk_enterprise_needs_two_months(industry):
    with pytest.raises(ValidationError) as exc:
        services.post_save(post=_post(industry, months=1), actor=None)
    assert "不少于 2 个月" in exc.value.message_dict["apprenticeship_months"][0]
    assert services.post_save(post=_post(industry, months=2), actor=None).required_apprenticeship_months == 2


@pytest.mark.rule("appr.coal_four_months")
def test_underground_coal_posts_need_four_months():
    with pytest.raises(ValidationError) as exc:
        services.post_save(post=_post(Industry.COAL_MINE, months=2), actor=None)
    assert "不少于 4 个月" in exc.value.message_dict["apprenticeship_months"][0]
    post = _post(Industry.COAL_MINE, months=6)
    assert services.post_save(post=post, actor=None).required_apprenticeship_months == 6


@pytest.mark.rule("appr.high_risk_required")
@pytest.mark.parametrize("industry,hazardous", [(Industry.MANUFACTURING, True), (Industry.HAZARDOUS_CHEMICALS, False)])
def test_other_posts_need_no_apprenticeship_by_law(industry, hazardous):
    post = services.post_save(post=_post(industry, hazardous_process=hazardous), actor=None)
    assert post.apprenticeship_floor_months == 0 and post.required_apprenticeship_months == 0


@pytest.mark.rule("appr.high_risk_required")
def test_a_post_saved_without_its_months_still_requires_the_floor():
    """A row written past the form (a script, an old row) still owes the law's months."""
    post = _post(Industry.HAZARDOUS_CHEMICALS)
    post.save()
    assert Post.objects.get(pk=post.pk).required_apprenticeship_months == 2
