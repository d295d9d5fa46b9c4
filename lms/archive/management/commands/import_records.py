"""python manage.py import_records FILE --enterprise CODE [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from lms.archive.importing import import_records
from lms.workforce.models import Enterprise


class Command(BaseCommand):
    help = "从 .xlsx 或 .csv 文件导入历史培训档案：全部成功才写入，有任何错误则一行也不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="历史培训档案文件（.xlsx 或 .csv）")
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
            result = import_records(enterprise=found, fileobj=fileobj, filename=path.name, actor=None, dry_run=dry_run)

        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"文件有 {len(result.errors)} 处错误，未导入任何记录。")

        for notice in result.skipped:
            self.stdout.write(str(notice))
        prefix = "检查通过（未写入）" if dry_run else "导入完成"
        verb = "将新增" if dry_run else "新增"
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}：{found.name}，共 {result.total_rows} 行；{verb}培训记录 {result.created} 条"
                f"（涉及 {result.employees} 名员工），已存在跳过 {len(result.skipped)} 条。"
            )
        )
        if not dry_run and result.created:
            self.stdout.write(f"已重新核对这些员工的培训任务：{result.obligations_met} 项因此达标。")
