"""Roles are cached across requests (the MFA middleware and scoping read them
on every request) and forgotten as soon as a membership changes."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.accounts.models import Membership, User
from lms.accounts.roles import Role

from ..factories import MembershipFactory, RegulatorMembershipFactory


def _membership_queries(client, path="/portal/"):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in ctx.captured_queries if "membership" in q["sql"]]


def test_the_second_request_reads_no_membership_rows(client, bob):
    client.force_login(bob)
    cache.delete(User.role_cache_key(bob.pk))  # (logging in read them already)
    assert _membership_queries(client)  # the first request loads the roles
    assert _membership_queries(client) == []  # the next ones take them from the cache


def test_becoming_hr_requires_mfa_at_the_next_request(client, bob):
    client.force_login(bob)
    assert client.get("/portal/").status_code == 200
    MembershipFactory(user=User.objects.get(pk=bob.pk), enterprise=bob.employee.enterprise, role=Role.HR)
    response = client.get("/portal/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_a_new_region_is_seen_at_once(client, bob):
    client.force_login(bob)
    client.get("/portal/")
    RegulatorMembershipFactory(user=User.objects.get(pk=bob.pk), region_code="320500")
    assert client.get("/portal/")["Location"] == reverse("mfa_activate_totp")


def test_a_role_taken_away_is_gone_at_once(client, alice):
    client.force_login(alice)
    assert User.objects.get(pk=alice.pk).requires_mfa()
    for m in Membership.objects.filter(user=alice):
        m.is_active = False
        m.save()
    assert not User.objects.get(pk=alice.pk).requires_mfa()
