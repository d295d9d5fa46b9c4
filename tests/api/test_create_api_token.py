"""python manage.py create_api_token"""

import io

import pytest
from django.core.management import CommandError, call_command

from lms.accounts.models import ApiToken


def run(*args):
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_creates_read_only_token_and_prints_key_once(ent_a, tree_a, api):
    output = run("--enterprise", "hxchem", "--name", "门禁系统")
    token = ApiToken.objects.get()
    assert (token.enterprise, token.name, token.can_write) == (ent_a, "门禁系统", False)
    key = next(line for line in output.splitlines() if line.startswith("ax_"))
    assert ApiToken.find_active(key) == token
    assert key not in str(ApiToken.objects.values().get())  # only a hash is stored
    assert "只显示这一次" in output
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/org-units/").json()["count"] == 3
    assert api.post("/api/v1/events/", {}, format="json").status_code == 403


def test_write_flag_allows_writing(ent_a, staff_a, api):
    output = run("--enterprise", "hxchem", "--name", "HR 同步", "--write")
    key = next(line for line in output.splitlines() if line.startswith("ax_"))
    assert ApiToken.objects.get().can_write
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/v1/events/", {"employee_no": "A0002", "type": "leave", "date": "2026-01-10"}, format="json"
    )
    assert response.status_code == 201


def test_unknown_enterprise_is_refused(db):
    with pytest.raises(CommandError, match="企业编码“nope”不存在"):
        run("--enterprise", "nope", "--name", "x")
    assert not ApiToken.objects.exists()
