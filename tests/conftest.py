"""The base fixture set (healthchecks' alice/bob/charlie):

- ``ent_a`` (hazardous chemicals, high risk) and ``ent_b`` (manufacturing);
- ``alice``: HR of A with TOTP set up (``alice.totp_secret``);
- ``bob``: a plain employee of A with his own Employee record;
- ``charlie``: HR of B with TOTP set up — the outsider for denial tests;
- ``regulator``: a regulator of region 320500 with TOTP.
Page trees come from the content migration (home page at depth 2).
"""

import pytest
from django.core.cache import cache

from lms.accounts.roles import Role
from lms.workforce.models import Industry, OrgUnit

from .factories import (
    EmployeeFactory,
    EnterpriseFactory,
    MembershipFactory,
    OrgUnitFactory,
    PostFactory,
    RegulatorMembershipFactory,
    UserFactory,
    enable_totp,
)

PASSWORD = "pw-Anxun-2026"


@pytest.fixture(autouse=True)
def _clear_cache():
    # TOTP codes are single-use and remembered in the cache; rate limits too.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _speed_switches(request):
    """``@pytest.mark.speed("autosave", …)``: the test is about those
    bypasses of the speed layer (lms/speed/), so they are on for it even in
    the CI leg that turns every switch off (ANXUN_SPEED_OFF=1)."""
    marker = request.node.get_closest_marker("speed")
    if marker is not None:
        settings = request.getfixturevalue("settings")
        settings.ANXUN_SPEED = {**settings.ANXUN_SPEED, **dict.fromkeys(marker.args, True)}


@pytest.fixture(autouse=True)
def _archive_checkpoint_files():
    """Signed checkpoint files outlive a test's database rollback: remove
    them, so that no test meets another's (verify_archive would call a file
    without its database row a deleted checkpoint)."""
    yield
    import shutil
    from pathlib import Path

    from django.conf import settings

    shutil.rmtree(Path(settings.MEDIA_ROOT) / settings.ANXUN_ARCHIVE_CHECKPOINT_DIR, ignore_errors=True)


@pytest.fixture
def ent_a(db):
    return EnterpriseFactory(code="hxchem", name="华兴化工有限公司", industry=Industry.HAZARDOUS_CHEMICALS, region_code="320505")


@pytest.fixture
def ent_b(db):
    return EnterpriseFactory(code="dfmfg", name="东方机械制造有限公司", industry=Industry.MANUFACTURING, region_code="330106")


def _tree(enterprise, prefix):
    company = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.COMPANY, code=f"{prefix}-C", name="公司")
    workshop = OrgUnitFactory(
        enterprise=enterprise, kind=OrgUnit.Kind.WORKSHOP, parent=company, code=f"{prefix}-W1", name="一车间"
    )
    team = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.TEAM, parent=workshop, code=f"{prefix}-T1", name="甲班")
    post = PostFactory(enterprise=enterprise, org_unit=team, code=f"{prefix}-OP", name="操作工")
    return company, workshop, team, post


@pytest.fixture
def tree_a(ent_a):
    return _tree(ent_a, "A")


@pytest.fixture
def tree_b(ent_b):
    return _tree(ent_b, "B")


def _privileged(enterprise, role, email):
    user = UserFactory(email=email, full_name=email.split("@")[0])
    MembershipFactory(user=user, enterprise=enterprise, role=role)
    user.totp_secret = enable_totp(user)
    return user


@pytest.fixture
def alice(ent_a):
    return _privileged(ent_a, Role.HR, "alice@example.com")


@pytest.fixture
def charlie(ent_b):
    return _privileged(ent_b, Role.HR, "charlie@example.com")


@pytest.fixture
def bob(ent_a, tree_a):
    user = UserFactory(email="bob@example.com", phone="+8613800138000", full_name="鲍勃")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.EMPLOYEE)
    user.employee = EmployeeFactory(enterprise=ent_a, user=user, name="鲍勃", org_unit=tree_a[2])
    return user


@pytest.fixture
def regulator(db):
    user = UserFactory(email="reg@example.com")
    RegulatorMembershipFactory(user=user, region_code="320500")
    user.totp_secret = enable_totp(user)
    return user


def login_with_mfa(client, user):
    """Log ``user`` in on ``client`` as if password and TOTP were entered."""
    client.force_login(user)
    session = client.session
    # allauth records how the session was authenticated; MFA counts as done.
    session["account_authentication_methods"] = [
        {"method": "password", "at": 0, "email": user.email},
        {"method": "mfa", "at": 0, "id": 0, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)  # the user the records are of
    session.save()
    return client


@pytest.fixture
def alice_client(client, alice):
    return login_with_mfa(client, alice)
