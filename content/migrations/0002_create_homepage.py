from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("content.HomePage")
    Locale = apps.get_model("wagtailcore.Locale")

    # Wagtail's first migration leaves a "Welcome" page at depth 2.
    Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()
    homepage_ct, _ = ContentType.objects.get_or_create(model="homepage", app_label="content")
    locale = Locale.objects.order_by("pk").first()
    home = HomePage.objects.create(
        title="安训",
        draft_title="安训",
        slug="home",
        content_type=homepage_ct,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        live=True,
        intro="<p>安全生产教育培训、考试与持证管理。</p>",
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "site_name": "安训", "port": 80},
    )


def remove_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    HomePage = apps.get_model("content.HomePage")
    HomePage.objects.filter(slug="home", depth=2).delete()
    ContentType.objects.filter(model="homepage", app_label="content").delete()


class Migration(migrations.Migration):
    run_before = []
    dependencies = [
        ("content", "0001_initial"),
        ("wagtailcore", "0094_alter_page_locale"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
