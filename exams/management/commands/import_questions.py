"""python manage.py import_questions FILE --bank NAME [--enterprise CODE]
[--format xlsx|moodle-xml|gift] [--dry-run] [--skip-duplicates]"""

from django.core.management.base import CommandError
from django.db import transaction

from exams.formats.common import FORMATS
from exams.importing import QUESTIONS
from exams.question_services import bank_create
from lms.imports.commands import ImportCommand

from ._banks import bank_title, find_bank, find_enterprise


class _RollbackError(Exception):
    pass


class Command(ImportCommand):
    help = (
        "从 Excel 模板（.xlsx/.csv）、Moodle XML 或 GIFT 文件导入题目：全部通过检查才写入，"
        "有任何错误则一道题也不导入。题库不存在时自动新建（不带 --enterprise 为平台公共题库）。"
    )
    spec = QUESTIONS
    file_help = "题目文件（.xlsx、.csv、.xml 或 .gift/.txt）"
    nothing = "题目"

    def add_target_arguments(self, parser):
        parser.add_argument("--bank", required=True, help="题库名称（不存在则新建）")
        parser.add_argument("--enterprise", default="", help="企业编码或统一社会信用代码；不填为平台公共题库")
        parser.add_argument(
            "--format", dest="fmt", choices=FORMATS, default=None, help="文件格式（默认按扩展名和内容判断）"
        )
        parser.add_argument("--skip-duplicates", action="store_true", help="跳过题库中已有的相同题目（默认视为错误）")

    def get_target(self, *, bank, enterprise, **options):
        """(owner, bank name, the bank if it exists): a missing bank is created by the import."""
        owner = find_enterprise(enterprise)
        name = bank.strip()
        if not name:
            raise CommandError("请用 --bank 指定题库名称")
        return owner, name, find_bank(name, owner)

    def run_import(self, target, fileobj, filename, *, dry_run, fmt, skip_duplicates, **options):
        owner, name, bank = target
        self.created_bank = bank is None
        try:
            with transaction.atomic():
                if self.created_bank:
                    # actor=None: the command runs as the system.
                    bank = bank_create(enterprise=owner, name=name, actor=None)
                self.bank = bank
                result = self.spec.run(
                    target=bank,
                    fileobj=fileobj,
                    filename=filename,
                    actor=None,
                    dry_run=dry_run,
                    fmt=fmt,
                    skip_duplicates=skip_duplicates,
                )
                if dry_run or not result.ok:
                    raise _RollbackError  # a new bank is not kept either
        except _RollbackError:
            pass
        for item in result.skipped:
            self.stdout.write(f"跳过 {result.describe(item)}")
        return result

    def describe(self, result, error):
        return result.describe(error)

    def report(self, target, result, *, dry_run):
        prefix = "检查通过（未写入）" if dry_run else "导入完成"
        created = self.created_bank
        new_bank = "（新建题库）" if created and not dry_run else ("（将新建题库）" if created else "")
        verb = "可导入" if dry_run else "新增"
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}：{bank_title(self.bank)}{new_bank}；文件共 {result.total} 道题，{verb} {result.created} 道，"
                f"跳过 {len(result.skipped)} 道，新分类 {result.new_categories} 个。"
            )
        )
