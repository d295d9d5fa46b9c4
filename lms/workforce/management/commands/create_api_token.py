"""python manage.py create_api_token --enterprise CODE --name NAME [--write]"""

from django.core.management.base import BaseCommand, CommandError
from django.core.exceptions import ValidationError

from lms.accounts.services import apitoken_create
from lms.workforce.models import Enterprise


class Command(BaseCommand):
    help = "为企业创建 API 令牌（默认只读；--write 允许写入）。密钥只显示这一次，系统只保存其摘要。"

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", required=True, help="企业编码")
        parser.add_argument("--name", required=True, help="令牌名称，如“HR 系统同步”")
        parser.add_argument("--write", action="store_true", help="允许写入（新增/修改员工、记录任职事件）")

    def handle(self, *args, enterprise, name, write, **options):
        try:
            ent = Enterprise.objects.get(code=enterprise)
        except Enterprise.DoesNotExist:
            raise CommandError(f"企业编码“{enterprise}”不存在") from None
        name = name.strip()
        if not name:
            raise CommandError("令牌名称不能为空")
        try:
            token, key = apitoken_create(enterprise=ent, name=name, can_write=write, actor=None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        access = "读写" if write else "只读"
        self.stdout.write(
            self.style.SUCCESS(f"已为 {ent.name}（{ent.code}）创建{access}令牌“{name}”，前缀 {token.prefix}")
        )
        self.stdout.write(key)
        self.stdout.write(
            "请立即妥善保存：此密钥只显示这一次，无法再次查看。调用时使用请求头 Authorization: Token <密钥>"
        )
