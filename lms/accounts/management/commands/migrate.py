"""``python manage.py migrate``, Django's own, after moving a database
migrated under an app's old label to its new one (lms/kernel/relabel.py).
Everything that migrates goes through here: deploys, ``make migrate``, and
the test database (pytest-django and Django's runner call this command).
``--plan`` and ``--check`` change nothing: they only say that the move is due."""

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections
from django.utils.translation import gettext as _

from lms.kernel.relabel import RENAMED_APP_LABELS, RelabelError, pending_relabels, relabel_apps


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if options["plan"] or options["check_unapplied"]:
            for old, new in pending_relabels(connection, RENAMED_APP_LABELS):
                self.stdout.write(_("migrate 将先把应用标签 %(old)s 改为 %(new)s（数据表、迁移记录、内容类型，数据不变）；下面的计划未计入这一步。")
                                  % {"old": old, "new": new})
        else:
            try:
                moved = relabel_apps(connection, RENAMED_APP_LABELS)
            except RelabelError as exc:
                raise CommandError(str(exc)) from exc
            if moved:
                ContentType.objects.clear_cache()
            for old, new in moved:
                if options["verbosity"] >= 1:
                    self.stdout.write(_("已把应用标签 %(old)s 改为 %(new)s（数据表、迁移记录、内容类型），数据不变。")
                                      % {"old": old, "new": new})
        return super().handle(*args, **options)
