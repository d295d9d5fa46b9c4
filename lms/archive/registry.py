"""What the archive asks of the apps above it, filled in their
AppConfig.ready() (lms.kernel.registry).

- ``person_file_sections``: the parts of one person's file (一人一档) other
  apps own — obligations and clearance (compliance), certificates, exam
  results. See :class:`PersonFileSection`.
- ``evidence_files``: files other apps keep as evidence beside the records
  (a finding's answer, an answer-sheet scan), each with the SHA-256 taken
  when it was attached; ``verify_archive`` checks them with the records'
  own evidence. See :class:`EvidenceSource`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lms.kernel.registry import Registry


@dataclass(frozen=True)
class PersonFileSection:
    # load(pf, user) -> {name: value}: what the page, PDF and workbook read
    # as pf.<name>; ``user`` scopes the reads (None: unscoped, for commands).
    # A fixed number of queries, whatever the size of the file.
    load: Callable
    # facts(pf) -> [(label, value)]: rows of the workbook's 基本信息 sheet.
    facts: Callable | None = None
    # sheet(pf) -> (title, [(header, width)], rows): a sheet of the workbook.
    sheet: Callable | None = None


person_file_sections = Registry("person file sections")


@dataclass(frozen=True)
class EvidenceFile:
    """One stored evidence file: its storage name, the SHA-256 taken when it
    was attached ("" if none was), what it belongs to (a Chinese label
    printed by ``verify_archive``) and the enterprise that owns it."""

    name: str
    sha256: str
    label: str
    enterprise_id: int | None = None


@dataclass(frozen=True)
class EvidenceSource:
    # files(enterprise_ids) -> iterable of EvidenceFile (enterprise_ids None:
    # every enterprise). Streamed: iterate the rows, do not load them all.
    files: Callable


evidence_files = Registry("evidence files")
