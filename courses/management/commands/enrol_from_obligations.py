"""Enrol everyone with an open obligation in the matching online courses,
and the members of assigned units and posts. Idempotent; the daily Celery
beat task does the same."""

from django.core.management.base import BaseCommand

from courses.services import assignments_apply, enrolments_from_obligations


class Command(BaseCommand):
    help = "按未完成的培训义务和课程指派为员工报名在线课程（可重复执行）"

    def handle(self, *args, **options):
        from_obligations = enrolments_from_obligations()
        from_assignments = assignments_apply()
        self.stdout.write(f"新增选课：培训义务 {from_obligations}，单位/岗位指派 {from_assignments}")
