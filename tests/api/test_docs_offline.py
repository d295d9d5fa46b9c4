"""The API docs page works on a closed network: no CDN."""

import pytest

pytestmark = pytest.mark.django_db


def test_swagger_ui_assets_are_served_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
