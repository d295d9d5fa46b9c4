"""Template helpers for the site layout."""

from django import template
from wagtail.models import Site

from content.models import NoticeIndexPage, RegulationIndexPage

register = template.Library()

_EMPTY = {"home": "/", "notices": None, "regulations": None, "active": ""}


def _active_section(path: str, sections: dict) -> str:
    """The nav key whose URL is the longest prefix of ``path`` ("" if none)."""
    best, best_len = "", 0
    for key in ("notices", "regulations"):
        url = sections.get(key)
        if url and path.startswith(url) and len(url) > best_len:
            best, best_len = key, len(url)
    if not best and path == sections.get("home"):
        best = "home"
    return best


@register.simple_tag(takes_context=True)
def site_sections(context) -> dict:
    """URLs of the home page, the notice column and the regulation library of
    the request's site (a missing section is None), and which one the current
    path is in (``active``). Looked up once per request."""
    request = context.get("request")
    if request is None:
        return dict(_EMPTY)
    cached = getattr(request, "_anxun_site_sections", None)
    if cached is not None:
        return cached
    sections = dict(_EMPTY)
    site = Site.find_for_request(request)
    root = site.root_page if site else None
    if root is not None:
        sections["home"] = root.get_url(request) or "/"
        for key, model in (("notices", NoticeIndexPage), ("regulations", RegulationIndexPage)):
            page = model.objects.live().descendant_of(root).order_by("path").first()
            sections[key] = page.get_url(request) if page else None
    sections["active"] = _active_section(request.path, sections)
    request._anxun_site_sections = sections
    return sections
