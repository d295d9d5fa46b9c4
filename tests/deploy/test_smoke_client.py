"""The deploy smoke test's client (tests/deploy/smoke.py) reads what the app
really prints and computes what allauth really accepts — checked here in
``make test``, so a change to either fails fast instead of in the CI leg."""

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from lms.kernel import seeding
from lms.workforce.models import Employee, Enterprise
from tests.deploy import smoke


def test_the_smoke_totp_code_is_allauths():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    for at in (0, 59, 1_700_000_000, 1_800_000_029):
        assert smoke.totp_code(secret, at) == format_hotp_value(hotp_value(secret, at // smoke.TOTP_PERIOD))


def test_the_smoke_id_numbers_pass_the_import_check():
    from stdnum.cn import ric

    assert ric.is_valid(smoke.id_number("11010119900111001"))


@pytest.mark.django_db
def test_seed_demo_logins_only_prints_the_secrets_the_smoke_test_logs_in_with():
    report = seeding.seed_demo(parts=(), log=lambda *args: None)

    printed = smoke.totp_secrets(seeding.format_summary(report))
    expected = {entry["email"]: entry["totp_secret"] for entry in report.credentials if "totp_secret" in entry}
    assert printed == expected
    assert {email for email, _landing, _pages in smoke.ROLES} == {e["email"] for e in report.credentials}
    assert Enterprise.objects.filter(code="hxchem").exists()
    assert not Employee.objects.exists()  # logins only: no workforce
