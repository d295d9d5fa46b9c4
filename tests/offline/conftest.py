"""The offline-session world lives in enterprise B (general industry: 8 学时
per induction level, so one classroom day meets the company level):

- ``charlie``: HR of B (plans sessions, may run any);
- ``tom``: trainer of B who teaches the session; ``tara``: another trainer of B;
- ``pat``: principal of B (sees every session of B, runs none);
- ``workers``: three hired workers of B (owing induction), invited to ``session``;
- the outsiders: ``alice`` (HR of A), ``bob`` (employee of A).
"""

import pytest

from courses.offline import services
from lms.accounts.roles import Role

from tests.factories import make_session, make_trainer, make_user, make_worker


@pytest.fixture
def tom(ent_b):
    return make_trainer(ent_b)


@pytest.fixture
def tara(ent_b):
    return make_trainer(ent_b, "tara@example.com", "塔拉")


@pytest.fixture
def pat(ent_b):
    return make_user(ent_b, Role.PRINCIPAL, "pat@example.com", "帕特")


@pytest.fixture
def workers(ent_b, tree_b):
    team = tree_b[2]
    return [make_worker(ent_b, team, name, no) for name, no in (("张三", "W001"), ("李四", "W002"), ("王五", "W003"))]


@pytest.fixture
def session(ent_b, tom, workers):
    s = make_session(ent_b, tom)
    services.session_invite(session=s, actor=None, employees=workers)
    return s


