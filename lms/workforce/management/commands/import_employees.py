"""python manage.py import_employees FILE --enterprise CODE [--dry-run]"""

from lms.workforce.import_targets import EnterpriseImportCommand
from lms.workforce.importing import EMPLOYEES


class Command(EnterpriseImportCommand):
    help = "从 .xlsx 或 .csv 文件导入员工：全部成功才写入，有任何错误则一行也不导入。"
    spec = EMPLOYEES
    file_help = "员工名单文件（.xlsx 或 .csv）"

    def report(self, target, result, *, dry_run):
        prefix = "检查通过（未写入）" if dry_run else "导入完成"
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}：{target.name}，共 {result.total_rows} 行；新增 {result.created}，"
                f"更新 {result.updated}（其中转岗 {result.transferred}），未变化 {result.unchanged}。"
            )
        )
        if not dry_run and (result.assigned or result.awaiting_clearance):
            self.stdout.write(
                f"岗位：{result.assigned} 人已上岗；{result.awaiting_clearance} 人未取得上岗资格，"
                "已记录目标岗位和岗前培训任务，培训合格后再分配岗位。"
            )
