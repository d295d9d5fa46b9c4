"""The 后台任务 page for operators without the back office: list the failed,
stuck and long-pending background jobs of every kind, or retry one
(``--retry workforce.importjob:12``; audited as anxun.job_retry, no user)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lms.ops import jobs


class Command(BaseCommand):
    help = "列出失败、卡住或排队过久的后台任务；--retry 类型:编号 重试一个（记入审计日志）。"

    def add_arguments(self, parser):
        parser.add_argument("--retry", metavar="KIND:PK", help="e.g. workforce.importjob:12")

    def handle(self, *args, retry=None, **options):
        if retry:
            kind, _, pk = retry.partition(":")
            if not pk.isdigit():
                raise CommandError("--retry 的格式为 类型:编号，例如 workforce.importjob:12")
            try:
                job = jobs.job_retry(user=jobs.SYSTEM, kind=kind, pk=int(pk))
            except LookupError as exc:
                raise CommandError(f"没有这个后台任务：{retry}") from exc
            except jobs.RetryRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{kind}:{pk} {job.status}")
            return
        now = timezone.now()
        rows = jobs.jobs_needing_attention(jobs.SYSTEM, now=now)
        for row in rows:
            age = f"{int(row.heartbeat_age.total_seconds())}s" if row.heartbeat_age is not None else "-"
            error = (row.job.error or "").replace("\n", " ")[:120]
            self.stdout.write(
                f"{row.kind}:{row.job.pk}\t{row.state}\t{row.job.status}\tattempts={row.job.attempts}\t"
                f"heartbeat_age={age}\t{row.enterprise or '-'}\t{row.started_by or '-'}\t{error}"
            )
        self.stdout.write(f"{len(rows)}")
