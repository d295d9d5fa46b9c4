"""``python manage.py seed_demo``: every app's demo data (the steps their
``demo`` modules register with ``lms.kernel.seeding``): the demo enterprises,
workforce, one login per role (password ``Anxun-demo-2026``), training
history, certificates, CMS pages and courses. Safe to run again."""

import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand

from lms.kernel import seeding

# Wagtail logs every page action and every (eager) background task at INFO;
# a few hundred such lines would bury the summary.
_CHATTY_LOGGERS = ("wagtail", "django_tasks", "django.tasks", "modelsearch", "celery")


@contextmanager
def _quiet(verbosity: int):
    if verbosity > 1:
        yield
        return
    saved = {name: logging.getLogger(name).level for name in _CHATTY_LOGGERS}
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


class Command(BaseCommand):
    help = "创建演示数据：两家企业、约 200 名员工、每种角色一个账号（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--no-cms", action="store_true", help="不创建通知、法规和“关于安训”页面")
        parser.add_argument(
            "--logins-only", action="store_true", help="只创建企业（组织架构、岗位）和各角色的演示账号，不创建员工和页面"
        )

    def handle(self, *args, no_cms=False, logins_only=False, verbosity=1, **options):
        with _quiet(verbosity):
            parts = set() if logins_only else {"people"} if no_cms else {"people", "cms"}
            report = seeding.seed_demo(parts=parts, log=self.stdout.write)
        self.stdout.write(seeding.format_summary(report))
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
