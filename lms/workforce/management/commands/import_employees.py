"""python manage.py import_employees FILE --enterprise CODE [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from lms.workforce.importing import import_employees
from lms.workforce.models import Enterprise


class Command(BaseCommand):
    help = "从 .xlsx 或 .csv 文件导入员工：全部成功才写入，有任何错误则一行也不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="员工名单文件（.xlsx 或 .csv）")
        parser.add_argument("--enterprise", required=True, help="企业编码或统一社会信用代码")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def handle(self, *args, file, enterprise, dry_run, **options):
        key = enterprise.strip()
        found = Enterprise.objects.filter(Q(code=key) | Q(credit_code=key.upper())).first()
        if found is None:
            raise CommandError(f"找不到企业：{key}（请填写企业编码或统一社会信用代码）")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")

        with path.open("rb") as fileobj:
            # actor=None: the command runs as the system.
            result = import_employees(
                enterprise=found, fileobj=fileobj, filename=path.name, actor=None, dry_run=dry_run
            )

        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"文件有 {len(result.errors)} 处错误，未导入任何数据。")

        prefix = "检查通过（未写入）" if dry_run else "导入完成"
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}：{found.name}，共 {result.total_rows} 行；新增 {result.created}，"
                f"更新 {result.updated}（其中转岗 {result.transferred}），未变化 {result.unchanged}。"
            )
        )
        if not dry_run and (result.assigned or result.awaiting_clearance):
            self.stdout.write(
                f"岗位：{result.assigned} 人已上岗；{result.awaiting_clearance} 人未取得上岗资格，"
                "已记录目标岗位和岗前培训任务，培训合格后再分配岗位。"
            )
