"""``python manage.py verify_archive``: check the archive in the database
against its hashes, MACs and signed checkpoints, and every evidence file it
names against storage and the SHA-256 taken when it was attached; or, with ``--bundle FILE``,
check an exported bundle or person-file PDF offline, with public keys only."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.archive import integrity


class Command(BaseCommand):
    help = _("校验培训档案：每条记录的哈希与 MAC、每人的哈希链、签名检查点、佐证文件是否齐全未改动；或用 --bundle 离线校验导出文件。")
    # --bundle must work without a database: no system checks (they may query).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", help=_("只校验该企业（企业编码）"))
        parser.add_argument(
            "--no-files", action="store_true",
            help=_("不校验佐证文件（不读取存储，只校验记录；不会给出“档案完整”的结论）"),
        )
        parser.add_argument(
            "--bundle", metavar="FILE",
            help=_("离线校验监管抽查压缩包、员工档案 PDF 或 archive.json（不访问数据库，只用公钥）"),
        )
        parser.add_argument(
            "--public-key", action="append", default=[], metavar="ID=FILE",
            help=_("验证用的公钥（PEM 文件或 base64），可重复；不给出则用配置中的公钥"),
        )

    def handle(self, *args, enterprise=None, bundle=None, public_key=(), no_files=False, **options):
        if bundle:
            return self._bundle(Path(bundle), public_key)
        return self._database(enterprise, files=not no_files)

    # --- offline -------------------------------------------------------------------

    def _public_keys(self, specs):
        if not specs:
            from lms.archive.keys import verify_keys

            return verify_keys()
        found = {}
        for spec in specs:
            key_id, sep, value = spec.partition("=")
            if not sep or not key_id:
                raise CommandError(_("--public-key 应写成 “密钥编号=PEM文件或base64公钥”"))
            path = Path(value)
            text = path.read_text() if path.is_file() else value
            try:
                found[key_id] = integrity.load_public_key(text)
            except ValueError as error:
                raise CommandError(_("公钥 %(id)s 无法读取：%(error)s") % {"id": key_id, "error": error}) from error
        return found

    def _bundle(self, path: Path, specs):
        if not path.is_file():
            raise CommandError(_("找不到文件 %(path)s") % {"path": path})
        try:
            document = integrity.load_export(path)
        except ValueError as error:
            raise CommandError(str(error)) from error
        public_keys = self._public_keys(specs)
        try:
            report = integrity.verify_export(document, public_keys)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise CommandError(_("archive.json 的结构不正确（%(error)r）：文件被改动或不完整") % {"error": error}) from error
        for cp in report.checkpoints:
            payload = cp["payload"]
            self.stdout.write(_("签名检查点：%(code)s %(day)s，密钥 %(key)s，共 %(total)s 条记录，签名有效。") % {
                "code": payload["enterprise"]["code"], "day": payload["day"], "key": cp["key_id"],
                "total": payload["total"]})
        for finding in report.findings:
            style = self.style.ERROR if finding.error else self.style.WARNING
            self.stdout.write(style(str(finding)))
        if not report.ok:
            raise CommandError(_("离线校验失败：%(n)s 处问题（%(people)s 人，%(records)s 条记录）。") % {
                "n": len(report.errors), "people": report.people, "records": report.records})
        self.stdout.write(self.style.SUCCESS(
            _("离线校验通过：%(people)s 人、%(records)s 条记录的哈希链一致，其中 %(covered)s 条由签名检查点确认。") % {
                "people": report.people, "records": report.records, "covered": report.covered}))

    # --- the database ----------------------------------------------------------------

    def _database(self, enterprise_code, *, files=True):
        from lms.archive.services import EvidenceProblem, archive_verify, evidence_verify
        from lms.workforce.models import Employee, Enterprise

        enterprise_ids = None
        if enterprise_code:
            enterprise_ids = list(Enterprise.objects.filter(code=enterprise_code).values_list("pk", flat=True))
            if not enterprise_ids:
                raise CommandError(_("没有编码为 %(code)s 的企业") % {"code": enterprise_code})
        notes = []
        checked, broken = archive_verify(enterprise_ids=enterprise_ids, notes=notes)
        checked_files = files
        files, file_problems = evidence_verify(enterprise_ids=enterprise_ids, notes=notes) if files else (0, [])
        for note in notes:
            self.stdout.write(self.style.WARNING(note))
        if not broken and not checked_files:
            self.stdout.write(self.style.WARNING(
                _("培训记录一致：已校验 %(n)s 条培训记录，哈希、MAC 与签名检查点全部一致；佐证文件未校验（--no-files）。")
                % {"n": checked}))
            return
        if not broken and not file_problems:
            self.stdout.write(self.style.SUCCESS(
                _("档案完整：已校验 %(n)s 条培训记录，哈希、MAC 与签名检查点全部一致；%(f)s 个佐证文件齐全且未被改动。")
                % {"n": checked, "f": files}))
            return
        people = {
            pk: f"{name}（{number}）"
            for pk, name, number in Employee.objects.filter(pk__in={b.employee_id for b in broken if b.employee_id})
            .values_list("pk", "name", "employee_no")
        }
        enterprises = dict(Enterprise.objects.filter(pk__in={b.enterprise_id for b in broken}).values_list("pk", "name"))
        for b in broken:
            where = [_("企业 %(name)s") % {"name": enterprises.get(b.enterprise_id, b.enterprise_id)}]
            if b.employee_id is not None:
                where.append(_("员工 %(who)s") % {"who": people.get(b.employee_id, f"ID {b.employee_id}")})
            if b.seq is not None:
                where.append(_("序号 %(n)s") % {"n": b.seq})
            if b.record_id is not None:
                where.append(_("记录 #%(id)s") % {"id": b.record_id})
            self.stdout.write(self.style.ERROR(f"[{b.code}] {'，'.join(where)}：{b.problem}"))
        for problem in file_problems:
            self.stdout.write(self.style.ERROR(str(problem)))
        missing = sum(1 for p in file_problems if p.code == EvidenceProblem.MISSING)
        raise CommandError(
            _("档案校验失败：%(n)s 条记录中发现 %(m)s 处问题；%(f)s 个佐证文件中 %(missing)s 个缺失、%(altered)s 个被改动。")
            % {"n": checked, "m": len(broken), "f": files, "missing": missing,
               "altered": len(file_problems) - missing})
