"""``python manage.py archive_checkpoint``: verify and sign today's checkpoint
of every enterprise (what Celery beat runs daily)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.archive.services import checkpoint_create_all
from lms.workforce.models import Enterprise


class Command(BaseCommand):
    help = _("校验并签署今天的档案检查点（每家企业每天一个，可重复运行）。")

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", help=_("只签署该企业（企业编码）"))

    def handle(self, *args, enterprise=None, **options):
        enterprises = None
        if enterprise:
            enterprises = list(Enterprise.objects.filter(code=enterprise))
            if not enterprises:
                raise CommandError(_("没有编码为 %(code)s 的企业") % {"code": enterprise})
        run = checkpoint_create_all(enterprises=enterprises)
        for checkpoint in run.created + run.existing:
            self.stdout.write(_("%(day)s %(name)s：%(total)s 条记录，密钥 %(key)s，签名指纹 %(fp)s%(state)s") % {
                "day": checkpoint.day, "name": checkpoint.enterprise.name, "total": checkpoint.total,
                "key": checkpoint.key_id, "fp": checkpoint.signature_fingerprint,
                "state": "" if checkpoint in run.created else _("（今日已签署）")})
        for ent, message in run.refused:
            self.stdout.write(self.style.ERROR(message))
        if run.refused:
            raise CommandError(_("%(n)s 家企业的档案校验未通过，未签署检查点。") % {"n": len(run.refused)})
        self.stdout.write(self.style.SUCCESS(_("已新签署 %(n)s 个检查点。") % {"n": len(run.created)}))
