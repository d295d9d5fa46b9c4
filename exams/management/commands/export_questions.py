"""python manage.py export_questions --bank NAME [--enterprise CODE] --format moodle-xml|xlsx -o FILE"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exams.exporting import EXPORT_FORMATS, bank_questions, export_moodle_xml, export_xlsx

from ._banks import bank_title, find_bank, find_enterprise


class Command(BaseCommand):
    help = "把题库中的当前题目导出为 Moodle XML 或 Excel（与导入模板格式相同，可直接再导入）。"

    def add_arguments(self, parser):
        parser.add_argument("--bank", required=True, help="题库名称")
        parser.add_argument("--enterprise", default="", help="企业编码或统一社会信用代码；不填为平台公共题库")
        parser.add_argument("--format", dest="fmt", choices=EXPORT_FORMATS, required=True, help="导出格式")
        parser.add_argument("-o", "--output", required=True, help="输出文件路径")

    def handle(self, *args, bank, enterprise, fmt, output, **options):
        owner = find_enterprise(enterprise)
        found = find_bank(bank, owner)
        if found is None:
            where = owner.name if owner else "平台公共题库"
            raise CommandError(f"找不到题库：{where} · {bank}")
        questions = list(bank_questions(found))
        data = export_moodle_xml(found, questions) if fmt == "moodle-xml" else export_xlsx(found, questions)
        target = Path(output)
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"无法写入文件 {output}：{exc.strerror or exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"已导出 {bank_title(found)} 的 {len(questions)} 道题到 {target}"))
