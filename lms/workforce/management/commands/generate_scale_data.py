"""``python manage.py generate_scale_data``: bulk benchmark data (enterprises
``scale-0001``…, org trees, posts, employees, hire events, assignments),
deterministic per seed; optionally an employee import spreadsheet."""

import random
import time

from django.core.management.base import BaseCommand, CommandError

from lms.workforce import demo
from lms.workforce.models import Enterprise


class Command(BaseCommand):
    help = "批量生成性能测试数据（企业编码 scale-0001 起，与演示数据互不冲突）"

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=1, help="企业数（默认 1）")
        parser.add_argument("--employees-per", type=int, default=100, help="每家企业的员工数（默认 100，可为 0）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子；相同种子生成相同数据（默认 1）")
        parser.add_argument("--start", type=int, default=1, help="起始序号（默认 1，即 scale-0001）")
        parser.add_argument("--xlsx-out", default="", help="另外写出一份员工导入表（.xlsx）到此路径")
        parser.add_argument("--rows", type=int, default=10000, help="导入表行数（默认 10000）")
        parser.add_argument("--xlsx-enterprise", default="", help="导入表所属企业编码（默认第一家生成的企业）")

    def handle(self, *args, enterprises, employees_per, seed, start, xlsx_out, rows, xlsx_enterprise, **options):
        if enterprises < 0 or employees_per < 0 or rows < 1 or start < 1:
            raise CommandError("企业数、员工数不能为负，行数和起始序号至少为 1")
        began = time.perf_counter()
        made = skipped = 0
        for index in range(start, start + enterprises):
            enterprise = demo.create_scale_enterprise(index, seed=seed, employees_per=employees_per)
            if enterprise is None:
                skipped += 1
                self.stdout.write(f"{demo.scale_code(index)} 已存在，跳过")
            else:
                made += 1
        elapsed = time.perf_counter() - began
        self.stdout.write(
            f"新建企业 {made} 家、跳过 {skipped} 家，每家 {employees_per} 名员工，用时 {elapsed:.1f} 秒（种子 {seed}）"
        )
        if xlsx_out:
            code = xlsx_enterprise or demo.scale_code(start)
            enterprise = Enterprise.objects.filter(code=code).first()
            if enterprise is None:
                raise CommandError(f"企业 {code} 不存在，无法生成导入表")
            began = time.perf_counter()
            path = demo.write_employee_sheet(xlsx_out, enterprise, rows, random.Random(f"anxun-sheet:{seed}:{code}"))
            self.stdout.write(
                f"已写出导入表 {path}（{rows} 行，企业 {code}），用时 {time.perf_counter() - began:.1f} 秒"
            )
