"""python manage.py purge_import_uploads"""

from django.core.management.base import BaseCommand

from lms.imports import purge_import_uploads


class Command(BaseCommand):
    help = "删除超过保留期限（ANXUN_IMPORT_RETENTION_HOURS）的导入文件，以及中断的导入遗留的文件。"

    def handle(self, *args, **options):
        deleted = purge_import_uploads()
        self.stdout.write(self.style.SUCCESS(f"已删除 {deleted} 个导入文件。"))
