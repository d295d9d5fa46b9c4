import datetime as dt

from django.core.management.base import BaseCommand

from lms.compliance.scan import scan_obligations


class Command(BaseCommand):
    help = "扫描培训义务：生成年度/季度周期义务，标记即将到期和已逾期并通知本人与 HR，检查在岗未达标。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期扫描（YYYY-MM-DD，默认今天）")

    def handle(self, *args, date=None, **options):
        result = scan_obligations(today=dt.date.fromisoformat(date) if date else None)
        self.stdout.write(
            f"新建义务 {result.created} 条；即将到期 {result.due_soon} 条；已逾期 {result.overdue} 条；"
            f"在岗未达标 {result.lapsed} 人次；站内通知 {result.notices} 条；邮件 {result.emails} 封已交后台任务发送。"
        )
