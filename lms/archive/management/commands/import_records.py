"""python manage.py import_records FILE --enterprise CODE [--dry-run]"""

from lms.archive.importing import RECORDS
from lms.workforce.import_targets import EnterpriseImportCommand


class Command(EnterpriseImportCommand):
    help = "从 .xlsx 或 .csv 文件导入历史培训档案：全部成功才写入，有任何错误则一行也不导入。"
    spec = RECORDS
    file_help = "历史培训档案文件（.xlsx 或 .csv）"
    nothing = "记录"

    def report(self, target, result, *, dry_run):
        for notice in result.skipped:
            self.stdout.write(str(notice))
        prefix = "检查通过（未写入）" if dry_run else "导入完成"
        verb = "将新增" if dry_run else "新增"
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}：{target.name}，共 {result.total_rows} 行；{verb}培训记录 {result.created} 条"
                f"（涉及 {result.employees} 名员工），已存在跳过 {len(result.skipped)} 条。"
            )
        )
        if not dry_run and result.created:
            self.stdout.write(f"已重新核对这些员工的培训任务：{result.obligations_met} 项因此达标。")
