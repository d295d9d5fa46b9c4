"""The management command every import has: ``manage.py import_<x> FILE
[target options] [--dry-run]``. It runs the import as the system (actor
None), all or nothing: a file with errors lists each on stderr and exits
with an error. An app's command sets the spec and says how to find the
target and how to report success."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from .spec import ImportSpec


class ImportCommand(BaseCommand):
    spec: ImportSpec
    file_help = ""
    # What nothing of was written: "未导入任何{nothing}。"
    nothing = "数据"

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        self.add_target_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def add_target_arguments(self, parser) -> None:
        """Options naming where the rows go."""

    def get_target(self, **options):
        """The target the options name; CommandError if there is none."""
        raise NotImplementedError

    def run_import(self, target, fileobj, filename: str, *, dry_run: bool, **options):
        # actor=None: the command runs as the system.
        return self.spec.run(target=target, fileobj=fileobj, filename=filename, actor=None, dry_run=dry_run)

    def describe(self, result, error) -> str:
        """One line about an error (or a notice) of ``result``."""
        return str(error)

    def report(self, target, result, *, dry_run: bool) -> None:
        """Tell what a successful import did (or would do)."""
        raise NotImplementedError

    def handle(self, *args, file, dry_run, **options):
        target = self.get_target(**options)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        with path.open("rb") as fileobj:
            result = self.run_import(target, fileobj, path.name, dry_run=dry_run, **options)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(self.describe(result, error))
            raise CommandError(f"文件有 {len(result.errors)} 处错误，未导入任何{self.nothing}。")
        self.report(target, result, dry_run=dry_run)
