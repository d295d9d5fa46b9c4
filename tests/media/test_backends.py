"""How the bytes leave: Django streams them in development; in production
nginx (X-Accel-Redirect to an internal location) or X-Sendfile send them,
or object storage does, through a short-lived signed URL. The decision who
may read stays in the view whatever the backend."""

import importlib
from urllib.parse import quote
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver

from lms.media.registry import Grant
from lms.media.serving import file_response
from lms.workforce.models import ImportJob
from tests.conftest import login_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(ent_a):
    job = ImportJob(enterprise=ent_a, original_name="名单.xlsx")
    job.file.save("名单.xlsx", ContentFile(b"PK-data"), save=False)
    job.save()
    return job


def test_nginx_backend_answers_with_x_accel_redirect(client, settings, alice, job):
    settings.ANXUN_MEDIA_SERVE = "nginx"
    login_with_mfa(client, alice)
    response = client.get(f"/media/{job.file.name}")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/_protected_media/" + job.file.name.replace("名单", "%E5%90%8D%E5%8D%95")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_nginx_backend_still_checks_who_asks(client, settings, charlie, job):
    settings.ANXUN_MEDIA_SERVE = "nginx"
    login_with_mfa(client, charlie)
    response = client.get(f"/media/{job.file.name}")
    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_xsendfile_backend_names_the_path(client, settings, alice, job):
    settings.ANXUN_MEDIA_SERVE = "xsendfile"
    login_with_mfa(client, alice)
    response = client.get(f"/media/{job.file.name}")
    assert response.status_code == 200 and response["X-Sendfile"] == quote(default_storage.path(job.file.name))


def test_object_storage_redirects_to_a_short_lived_signed_url(settings):
    settings.ANXUN_MEDIA_URL_EXPIRE_SECONDS = 120
    storage = mock.Mock()
    storage.path.side_effect = NotImplementedError
    storage.url.return_value = "https://bucket.example.com/imports/1/a.csv?X-Amz-Signature=abc&X-Amz-Expires=120"
    request = RequestFactory().get("/media/imports/1/a.csv")
    response = file_response(request, "imports/1/a.csv", grant=Grant(attachment=True, filename="名单.csv"),
                             storage=storage)
    assert response.status_code == 302 and response["Location"] == storage.url.return_value
    assert "no-store" in response["Cache-Control"]
    args, kwargs = storage.url.call_args
    assert args == ("imports/1/a.csv",) and kwargs["expire"] == 120
    assert kwargs["parameters"]["ResponseContentDisposition"].startswith("attachment")
    assert kwargs["parameters"]["ResponseContentType"] == "text/csv"


def test_html_and_svg_are_never_shown_inline(settings):
    name = default_storage.save("media/page.html", ContentFile(b"<script>alert(1)</script>"))
    request = RequestFactory().get("/")
    response = file_response(request, name, grant=Grant(attachment=False))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


@pytest.mark.parametrize("debug", [False, True])
def test_no_url_pattern_serves_media_root_statically(settings, debug):
    from django.views import static

    settings.DEBUG = debug
    import lms.urls

    try:
        clear_url_caches()
        importlib.reload(lms.urls)
        resolver = get_resolver()
        media = [(route, p) for route, p in _patterns(resolver) if route.startswith("media/")]
        assert [p.callback.__module__ for _route, p in media] == ["lms.media.views"]
        assert not any(p.callback is static.serve for _route, p in _patterns(resolver))
        match = resolver.resolve("/media/imports/1/x.csv")
        assert match.func.__module__ == "lms.media.views"
    finally:
        settings.DEBUG = False
        importlib.reload(lms.urls)
        clear_url_caches()


def test_wagtail_documents_follow_the_same_backend(client, settings, alice):
    """With nginx, Wagtail's document view (which checks collection privacy)
    answers with the same X-Accel-Redirect (django-sendfile2's backend)."""
    from wagtail.documents import get_document_model
    from wagtail.utils.sendfile import _get_sendfile

    settings.SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    settings.SENDFILE_ROOT = str(settings.MEDIA_ROOT)
    settings.SENDFILE_URL = "/_protected_media"
    _get_sendfile.clear()
    try:
        doc = get_document_model().objects.create(title="制度", file=ContentFile(b"%PDF", name="rules.pdf"))
        login_with_mfa(client, alice)
        response = client.get(doc.url)
        assert response.status_code == 200 and response.content == b""
        assert response["X-Accel-Redirect"] == f"/_protected_media/{doc.file.name}"
    finally:
        _get_sendfile.clear()
