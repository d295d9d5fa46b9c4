"""Put the notice column (通知公告) and the regulation library (法规库) under the
home page, so a fresh install has working navigation before an editor logs in."""

from django.db import migrations
from django.utils import timezone

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's MP_Node path alphabet
_STEPLEN = 4

INDEX_PAGES = [
    ("noticeindexpage", "NoticeIndexPage", "通知公告", "notices", "<p>企业安全生产相关通知、公告与培训安排。</p>"),
    (
        "regulationindexpage",
        "RegulationIndexPage",
        "法规库",
        "regulations",
        "<p>安全生产法律、法规、规章、标准与企业制度。</p>",
    ),
]


def _step(number: int) -> str:
    digits = ""
    while number:
        number, rem = divmod(number, len(_ALPHABET))
        digits = _ALPHABET[rem] + digits
    return digits.rjust(_STEPLEN, "0")


def create_index_pages(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("content.HomePage")

    home = HomePage.objects.order_by("path").first()
    if home is None:
        return
    now = timezone.now()
    for model_name, class_name, title, slug, intro in INDEX_PAGES:
        model = apps.get_model("content", class_name)
        if (
            model.objects.exists()
            or Page.objects.filter(path__startswith=home.path, depth=home.depth + 1, slug=slug).exists()
        ):
            continue
        last = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).order_by("-path").first()
        next_step = int(last.path[-_STEPLEN:], 36) + 1 if last else 1
        ct, _created = ContentType.objects.get_or_create(app_label="content", model=model_name)
        model.objects.create(
            title=title,
            draft_title=title,
            slug=slug,
            content_type=ct,
            path=home.path + _step(next_step),
            depth=home.depth + 1,
            numchild=0,
            url_path=f"{home.url_path}{slug}/",
            locale_id=home.locale_id,
            live=True,
            first_published_at=now,
            last_published_at=now,
            intro=intro,
        )
        Page.objects.filter(pk=home.pk).update(
            numchild=Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).count()
        )


def remove_index_pages(apps, schema_editor):
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("content.HomePage")
    for _model_name, class_name, _title, slug, _intro in INDEX_PAGES:
        model = apps.get_model("content", class_name)
        model.objects.filter(slug=slug, numchild=0).delete()
    home = HomePage.objects.order_by("path").first()
    if home is not None:
        Page.objects.filter(pk=home.pk).update(
            numchild=Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).count()
        )


class Migration(migrations.Migration):
    dependencies = [("content", "0003_pages")]

    operations = [migrations.RunPython(create_index_pages, remove_index_pages)]
