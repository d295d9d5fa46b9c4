from django.core.management.base import BaseCommand, CommandError

from lms.archive.services import archive_verify
from lms.workforce.models import Employee


class Command(BaseCommand):
    help = "校验每个人的培训档案哈希链，列出每一条被篡改、删除或插入的记录。"

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", help="只校验该企业（企业编码）")

    def handle(self, *args, enterprise=None, **options):
        employee_ids = None
        if enterprise:
            employee_ids = list(Employee.objects.filter(enterprise__code=enterprise).values_list("pk", flat=True))
        checked, broken = archive_verify(employee_ids=employee_ids)
        if not broken:
            self.stdout.write(self.style.SUCCESS(f"档案完整：已校验 {checked} 条培训记录，全部哈希链一致。"))
            return
        names = dict(Employee.objects.filter(pk__in={b.employee_id for b in broken}).values_list("pk", "name"))
        for b in broken:
            self.stdout.write(
                self.style.ERROR(f"记录 #{b.record_id}（员工 {names.get(b.employee_id, b.employee_id)}，序号 {b.seq}）：{b.problem}")
            )
        raise CommandError(f"档案校验失败：{checked} 条记录中发现 {len(broken)} 处问题。")

