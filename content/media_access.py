"""Who may read the files Wagtail and wagtailmedia store (see
lms.media.registry).

Course lessons and the accident case library are for signed-in users only,
and so are their images and videos. The public pages (home, notices,
standard pages) may show images too, so an anonymous visitor may read an
image — original or rendition — that a live page without a view
restriction refers to (Wagtail's reference index knows which); any other
image needs a login. Documents are never read here: they go through
Wagtail's own serve view (/documents/…, WAGTAILDOCS_SERVE_METHOD =
"serve_view"), which applies the collection's privacy settings.
"""

from django.contrib.contenttypes.models import ContentType
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from lms.media.registry import Grant, register

_SIGNED_IN = Grant(attachment=False)


def _image_for(name: str):
    Image = get_image_model()
    if name.startswith("original_images/"):
        return Image.objects.filter(file=name).first()
    rendition = Image.get_rendition_model().objects.filter(file=name).select_related("image").first()
    return rendition.image if rendition is not None else None


def image_is_public(image) -> bool:
    """Whether a live page that anyone may see refers to ``image``."""
    page_ids = (
        ReferenceIndex.get_references_to(image)
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
    )
    pages = Page.objects.live().filter(pk__in=[int(pk) for pk in page_ids if str(pk).isdigit()])
    return any(not page.get_view_restrictions() for page in pages)


def image(request, name: str) -> Grant | None:
    if request.user.is_authenticated:
        return _SIGNED_IN
    found = _image_for(name)
    return _SIGNED_IN if found is not None and image_is_public(found) else None


def signed_in(request, name: str) -> Grant | None:
    """Lesson and accident case videos and their thumbnails."""
    return _SIGNED_IN if request.user.is_authenticated else None


def never(request, name: str) -> None:
    return None


def register_rules() -> None:
    register("original_images/", image)
    register("images/", image)
    register("media/", signed_in)
    register("media_thumbnails/", signed_in)
    register("documents/", never)
