"""The archive's front door: append a record, verify the archive, sign a
checkpoint (docs/security.md §2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user
from lms.workforce.models import Employee, Enterprise

from . import integrity, keys
from .models import ArchiveCheckpoint, TrainingRecord, checkpoint_path
from .registry import EvidenceFile, evidence_files
from .signals import records_appended

logger = logging.getLogger(__name__)


def _actor_name(actor) -> str:
    if actor is None:
        return _("系统")
    return str(actor)


@transaction.atomic
def record_append(*, employee: Employee, actor, evaluate: bool = True, **fields) -> TrainingRecord:
    """Append one training record to the person's chain and return it.

    Fields are TrainingRecord fields (kind, level, post, title, content,
    start_at, end_at, place, hours, trainer, participants, assessment_method,
    assessment_result, score, source, source_ref, evidence, corrects). The
    person's row is locked so two appends never fork the chain. Obligations
    the record satisfies are re-evaluated at once (``evaluate``: the
    ``records_appended`` signal, in this transaction).
    """
    if actor is not None and not can(actor, Capability.CHANGE, employee.enterprise_id):
        raise PermissionDenied(_("您无权为该企业录入培训档案"))
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    last = TrainingRecord.objects.filter(employee=employee).order_by("-seq").values("seq", "hash").first()
    record = TrainingRecord(employee=employee, **fields)
    record.seq = (last["seq"] + 1) if last else 1
    record.prev_hash = last["hash"] if last else TrainingRecord.GENESIS
    record.recorded_by = log_user(actor)
    record.recorded_by_name = _actor_name(actor)
    corrects = fields.get("corrects")
    if corrects is not None and corrects.employee_id != employee.pk:
        raise ValidationError({"corrects": _("只能更正本人的培训记录")})
    if record.evidence:
        hasher = hashlib.sha256()
        for chunk in record.evidence.chunks():
            hasher.update(chunk)
        record.evidence_sha256 = hasher.hexdigest()
    record.mac_key_id, mac_key = keys.current_mac_key()
    record.hash = record.mac = "pending"
    record.full_clean(exclude=["hash", "prev_hash", "seq"])
    record.hash = record.compute_hash()
    record.mac = record.compute_mac(mac_key)
    record.save(_append=True)
    log(record, "anxun.record_append", user=record.recorded_by, data={"seq": record.seq, "hash": record.hash})
    if evaluate:
        records_appended.send(sender=TrainingRecord, employees=[employee])
    return record


class Tamper:
    """What verification can find, one code per kind of damage."""

    CONTENT = "content"  # the fields no longer match the hash
    MAC = "mac"  # the hash is right but the keyed MAC is not: forged or re-hashed
    MAC_KEY = "mac_key"  # the record names a MAC key the settings do not hold
    SEQ_GAP = "seq_gap"  # numbers missing in a chain
    SEQ_ORDER = "seq_order"  # numbers repeated or going back
    CHAIN = "chain"  # prev_hash does not point at the record before
    MOVED = "moved"  # prev_hash points at another record of the chain
    HEAD = "head"  # the record at the checkpoint's count has another hash
    DELETED = "deleted"  # fewer records than the checkpoint says
    CHAIN_DELETED = "chain_deleted"  # a person in the checkpoint has no records left
    TRUNCATED = "truncated"  # the enterprise has no records left at all
    CHECKPOINT = "checkpoint"  # a checkpoint's signature, file or chain is wrong


@dataclass(frozen=True)
class BrokenRecord:
    """One problem found: a record (``record_id``, ``seq``), a person's chain
    (``record_id`` None) or a whole enterprise (``employee_id`` None)."""

    employee_id: int | None
    record_id: int | None
    seq: int | None
    problem: str
    code: str = ""
    enterprise_id: int | None = None


class ArchiveTampered(ValidationError):
    """The archive failed verification: no checkpoint is signed over it."""


@dataclass
class _Reference:
    """The newest trustworthy checkpoint of an enterprise."""

    payload: dict


@dataclass
class _EnterpriseResult:
    checked: int = 0
    broken: list[BrokenRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)


def _read_checkpoint_file(path: str) -> dict | None:
    try:
        with default_storage.open(path, "rb") as handle:
            document = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _latest_checkpoint_file(enterprise_id: int) -> tuple[str, dict | None] | None:
    """(path, document) of the newest checkpoint file of the enterprise."""
    folder = f"{settings.ANXUN_ARCHIVE_CHECKPOINT_DIR}/{enterprise_id}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return None
    names = sorted(n for n in files if n.endswith(".json"))
    if not names:
        return None
    path = f"{folder}/{names[-1]}"
    return path, _read_checkpoint_file(path)


def _checkpoint_reference(enterprise_id: int, public_keys, result: _EnterpriseResult) -> _Reference | None:
    """The checkpoint the records are compared with: the newest of the
    database's and the storage's, each signature verified; a file newer than
    the database, or a file and a row of the same day that differ, mean
    someone removed or replaced checkpoints in the database."""

    def broken(problem):
        result.broken.append(BrokenRecord(None, None, None, problem, Tamper.CHECKPOINT, enterprise_id))

    row = ArchiveCheckpoint.objects.filter(enterprise_id=enterprise_id).order_by("-day").first()
    db_ref = None
    if row is not None:
        document = row.document()
        problem = integrity.checkpoint_check(document, public_keys)
        if problem:
            broken(_("数据库中 %(day)s 的检查点：%(problem)s") % {"day": row.day, "problem": problem})
        else:
            db_ref = _Reference(document["payload"])
            previous = (
                ArchiveCheckpoint.objects.filter(enterprise_id=enterprise_id, day__lt=row.day)
                .order_by("-day").values_list("sha256", flat=True).first()
            )
            if db_ref.payload.get("previous") != previous:
                broken(_("%(day)s 的检查点所接续的上一个检查点在数据库中已不存在（检查点被删除或替换）") % {"day": row.day})

    found = _latest_checkpoint_file(enterprise_id)
    file_ref = None
    if found is not None:
        path, document = found
        problem = _("无法读取") if document is None else integrity.checkpoint_check(document, public_keys)
        if problem:
            broken(_("检查点文件 %(path)s：%(problem)s") % {"path": path, "problem": problem})
        elif int(document["payload"]["enterprise"]["id"]) != enterprise_id:
            broken(_("检查点文件 %(path)s 属于另一家企业") % {"path": path})
        else:
            file_ref = _Reference(document["payload"])
    elif db_ref is not None:
        result.notes.append(
            _("企业 %(id)s 的检查点文件缺失（%(path)s）：只按数据库中的检查点校验")
            % {"id": enterprise_id, "path": checkpoint_path(enterprise_id, row.day)}
        )

    if file_ref is None:
        return db_ref
    if db_ref is None or file_ref.payload["day"] > db_ref.payload["day"]:
        broken(_("存储中有 %(day)s 的签名检查点，数据库中却没有（数据库中的检查点被删除）") % {"day": file_ref.payload["day"]})
        return file_ref
    if file_ref.payload["day"] == db_ref.payload["day"] and file_ref.payload != db_ref.payload:
        broken(_("%(day)s 的检查点与其文件不一致（检查点被替换）") % {"day": file_ref.payload["day"]})
        return file_ref
    return db_ref


def _chain_problems(records: list[TrainingRecord], mac_keys: dict[str, bytes]):
    """(record, code, problem) for everything wrong inside one person's chain."""
    position_of = {r.hash: i for i, r in enumerate(records)}
    expected_prev, expected_seq = TrainingRecord.GENESIS, 1
    for i, r in enumerate(records):
        if r.seq > expected_seq:
            missing = str(expected_seq) if r.seq == expected_seq + 1 else f"{expected_seq}–{r.seq - 1}"
            yield r, Tamper.SEQ_GAP, _("缺少序号 %(missing)s 的记录（记录被删除）") % {"missing": missing}
        elif r.seq < expected_seq:
            yield r, Tamper.SEQ_ORDER, _("序号重复或倒退（应为 %(n)s）：记录被插入或重排") % {"n": expected_seq}
        if r.prev_hash != expected_prev:
            j = position_of.get(r.prev_hash)
            if j is not None and j > i:
                yield r, Tamper.MOVED, _("本记录原本接在序号 %(n)s 的记录之后：记录顺序被调换") % {"n": records[j].seq}
            elif j is not None and j < i - 1:
                yield r, Tamper.MOVED, _("本记录原本紧接在序号 %(n)s 的记录之后：其间的记录是插入或调换来的") % {
                    "n": records[j].seq}
            else:
                yield r, Tamper.CHAIN, _("前一条记录的哈希不符（前一条记录被删除、替换或插入）")
        canonical = r.canonical()
        if integrity.sha256_hex(canonical) != r.hash:
            yield r, Tamper.CONTENT, _("内容与哈希不符（记录被篡改）")
        elif r.mac_key_id not in mac_keys:
            yield r, Tamper.MAC_KEY, _("记录的 MAC 密钥 “%(id)s” 未配置，无法确认记录不是伪造的") % {"id": r.mac_key_id}
        elif not integrity.mac_matches(mac_keys[r.mac_key_id], canonical, r.mac):
            yield r, Tamper.MAC, _("哈希正确但 MAC 不符：记录是伪造的，或哈希链被重新计算")
        expected_prev, expected_seq = r.hash, r.seq + 1


def _verify_enterprise(enterprise_id: int, *, employee_ids, mac_keys, public_keys, chunk_size) -> _EnterpriseResult:
    """Check one enterprise in a fixed number of queries: its newest
    checkpoint (database and file), then every record, one chain at a time."""
    result = _EnterpriseResult()
    ref = _checkpoint_reference(enterprise_id, public_keys, result)
    expected = integrity.checkpoint_heads(ref.payload) if ref else {}
    if employee_ids is not None:
        expected = {e: v for e, v in expected.items() if e in employee_ids}
    day = ref.payload["day"] if ref else ""

    def add(employee_id, record, code, problem):
        result.broken.append(BrokenRecord(
            employee_id, record.pk if record else None, record.seq if record else None, problem, code, enterprise_id))

    qs = TrainingRecord.objects.filter(employee__enterprise_id=enterprise_id).order_by("employee_id", "seq")
    if employee_ids is not None:
        qs = qs.filter(employee_id__in=employee_ids)
    for employee_id, group in itertools.groupby(qs.iterator(chunk_size=chunk_size), key=lambda r: r.employee_id):
        records = list(group)
        result.checked += len(records)
        result.heads[employee_id] = (len(records), records[-1].hash)
        for record, code, problem in _chain_problems(records, mac_keys):
            add(employee_id, record, code, problem)
        if employee_id not in expected:
            continue
        count, head = expected.pop(employee_id)
        at_count = next((r for r in records if r.seq == count), None)
        if len(records) < count:
            add(employee_id, None, Tamper.DELETED,
                _("签名检查点（%(day)s）记载 %(count)s 条记录，现只有 %(n)s 条：记录被删除")
                % {"day": day, "count": count, "n": len(records)})
        elif at_count is None or at_count.hash != head:
            add(employee_id, at_count, Tamper.HEAD,
                _("序号 %(count)s 的记录与签名检查点（%(day)s）记载的链头不符：档案链被改写")
                % {"count": count, "day": day})
    for employee_id, (count, _head) in sorted(expected.items()):
        add(employee_id, None, Tamper.CHAIN_DELETED,
            _("签名检查点（%(day)s）记载 %(count)s 条记录，现已全部不在：整条档案链被删除") % {"day": day, "count": count})
    if ref and employee_ids is None and result.checked == 0 and ref.payload.get("total", 0) > 0:
        result.broken.append(BrokenRecord(
            None, None, None,
            _("企业的培训记录已全部不在，签名检查点（%(day)s）记载 %(total)s 条：档案表被清空（TRUNCATE）或整体删除")
            % {"day": day, "total": ref.payload["total"]}, Tamper.TRUNCATED, enterprise_id))
    return result


def archive_verify(*, employee_ids=None, enterprise_ids=None, chunk_size: int = 2000,
                   notes: list[str] | None = None) -> tuple[int, list[BrokenRecord]]:
    """Verify the archive; return (records checked, problems found).

    For every enterprise (or those given, or those of ``employee_ids``): each
    record's hash and MAC, each chain's continuity, and each person's count
    and head against the newest signed checkpoint (the database's or the
    storage's copy, whichever is newer). Remarks that are not tampering (a
    checkpoint file missing) are appended to ``notes``."""
    mac_keys, public_keys = keys.mac_keys(), keys.verify_keys()
    if employee_ids is not None:
        employee_ids = set(employee_ids)
        enterprises = set(Employee.objects.filter(pk__in=employee_ids).values_list("enterprise_id", flat=True))
    elif enterprise_ids is not None:
        enterprises = set(enterprise_ids)
    else:
        enterprises = set(Enterprise.objects.values_list("pk", flat=True))
        enterprises |= set(ArchiveCheckpoint.objects.values_list("enterprise_id", flat=True).distinct())
    checked, broken = 0, []
    for enterprise_id in sorted(enterprises):
        result = _verify_enterprise(
            enterprise_id, employee_ids=employee_ids, mac_keys=mac_keys, public_keys=public_keys, chunk_size=chunk_size)
        checked += result.checked
        broken.extend(result.broken)
        if notes is not None:
            notes.extend(result.notes)
    return checked, broken


# --- evidence files ----------------------------------------------------------------------


class EvidenceProblem:
    MISSING = "file_missing"  # the record names a file the storage does not hold
    ALTERED = "file_altered"  # the file is there but its SHA-256 is not the one taken at attach time


@dataclass(frozen=True)
class EvidenceFinding:
    """One evidence file that fails: missing from storage or altered."""

    code: str
    name: str
    label: str
    problem: str
    enterprise_id: int | None = None

    def __str__(self):
        return f"[{self.code}] {self.label}：{self.name}：{self.problem}"


def file_sha256(name: str, storage=None) -> str | None:
    """Hex SHA-256 of a stored file, None if the storage does not hold it."""
    storage = storage or default_storage
    hasher = hashlib.sha256()
    try:
        with storage.open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                hasher.update(chunk)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as error:  # object storages raise their own subclasses for a missing key
        if not storage.exists(name):
            return None
        raise error
    return hasher.hexdigest()


def _record_evidence(enterprise_ids):
    qs = TrainingRecord.objects.exclude(evidence="").order_by("pk")
    if enterprise_ids is not None:
        qs = qs.filter(employee__enterprise_id__in=enterprise_ids)
    rows = qs.values_list("pk", "employee_id", "employee__enterprise_id", "seq", "evidence", "evidence_sha256")
    for pk, employee_id, enterprise_id, seq, name, digest in rows.iterator(chunk_size=2000):
        yield EvidenceFile(
            name, digest,
            _("培训记录 #%(id)s（员工 ID %(emp)s，序号 %(seq)s）的佐证材料") % {"id": pk, "emp": employee_id, "seq": seq},
            enterprise_id)


def evidence_verify(*, enterprise_ids=None, notes: list[str] | None = None,
                    storage=None) -> tuple[int, list[EvidenceFinding]]:
    """Check every evidence file the archive names (the records' own and the
    ``evidence_files`` other apps register): it is in storage and its SHA-256
    is the one stored when it was attached. Return (files checked, problems).
    A file with no stored hash is checked for presence only (said in
    ``notes``)."""
    storage = storage or default_storage
    sources = [_record_evidence(enterprise_ids)] + [source.files(enterprise_ids) for source in evidence_files]
    checked, problems, unhashed = 0, [], 0
    for files in sources:
        for item in files:
            checked += 1
            digest = file_sha256(item.name, storage)
            if digest is None:
                problems.append(EvidenceFinding(
                    EvidenceProblem.MISSING, item.name, item.label, _("文件不在存储中（丢失或被删除）"), item.enterprise_id))
            elif not item.sha256:
                unhashed += 1
            elif digest != item.sha256:
                problems.append(EvidenceFinding(
                    EvidenceProblem.ALTERED, item.name, item.label,
                    _("文件内容与存档时的 SHA-256 不符（文件被改动或替换）"), item.enterprise_id))
    if unhashed and notes is not None:
        notes.append(_("%(n)s 个佐证文件存档时没有记录 SHA-256，只确认了文件存在") % {"n": unhashed})
    return checked, problems


# --- signed checkpoints ------------------------------------------------------------------


def _checkpoint_file_write(checkpoint: ArchiveCheckpoint) -> None:
    """Write (or rewrite, if it differs) the file copy of ``checkpoint``."""
    path = checkpoint.path
    content = json.dumps(checkpoint.document(), ensure_ascii=False, sort_keys=True, indent=2).encode()
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as handle:
            if handle.read() == content:
                return
        logger.warning("archive checkpoint file %s differed from the database row; rewritten", path)
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(content))
    if saved != path:  # a storage that renames instead of writing where asked
        raise RuntimeError(f"checkpoint file written to {saved}, not {path}")


def checkpoint_create(*, enterprise: Enterprise, day: dt.date | None = None) -> ArchiveCheckpoint:
    """Sign the enterprise's archive as it stands now, as the checkpoint of
    ``day`` (today by default), and write its file. Idempotent: the day's
    checkpoint if there is one (its file rewritten if missing). Raises
    :class:`ArchiveTampered` instead of signing over an archive that fails
    verification, so a signature never launders a tampering."""
    day = day or timezone.localdate()
    with transaction.atomic():
        enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        existing = ArchiveCheckpoint.objects.filter(enterprise=enterprise, day=day).first()
        if existing is not None:
            _checkpoint_file_write(existing)
            return existing
        as_of = timezone.now()
        key_id, private_key = keys.signing_key()
        result = _verify_enterprise(
            enterprise.pk, employee_ids=None, mac_keys=keys.mac_keys(), public_keys=keys.verify_keys(), chunk_size=2000)
        if result.broken:
            raise ArchiveTampered(
                _("%(name)s 的培训档案校验未通过（%(n)s 处问题），不签署检查点；请运行 verify_archive 查明原因。")
                % {"name": enterprise.name, "n": len(result.broken)}
            )
        previous = (
            ArchiveCheckpoint.objects.filter(enterprise=enterprise, day__lt=day)
            .order_by("-day").values_list("sha256", flat=True).first()
        )
        payload = {
            "format": integrity.CHECKPOINT_FORMAT,
            "enterprise": {"id": enterprise.pk, "code": enterprise.code, "name": enterprise.name},
            "day": day.isoformat(),
            "as_of": as_of.astimezone(dt.timezone.utc).isoformat(),
            "key_id": key_id,
            "employees": [[e, n, head] for e, (n, head) in sorted(result.heads.items())],
            "total": result.checked,
            "previous": previous,
        }
        document = integrity.checkpoint_sign(payload, key_id=key_id, private_key=private_key)
        checkpoint = ArchiveCheckpoint.objects.create(
            enterprise=enterprise, day=day, created_at=as_of, total=result.checked, key_id=key_id,
            payload=integrity.canonical_json(payload).decode(), sha256=document["sha256"],
            signature=document["signature"],
        )
        _checkpoint_file_write(checkpoint)
    return checkpoint


@dataclass
class CheckpointRun:
    created: list[ArchiveCheckpoint] = field(default_factory=list)
    existing: list[ArchiveCheckpoint] = field(default_factory=list)
    refused: list[tuple[Enterprise, str]] = field(default_factory=list)


def checkpoint_create_all(*, day: dt.date | None = None, enterprises=None) -> CheckpointRun:
    """The day's checkpoint for every enterprise with records or earlier
    checkpoints (or those given). An enterprise whose archive fails
    verification is refused and logged; the others are still signed."""
    day = day or timezone.localdate()
    if enterprises is None:
        ids = set(TrainingRecord.objects.values_list("employee__enterprise_id", flat=True).distinct())
        ids |= set(ArchiveCheckpoint.objects.values_list("enterprise_id", flat=True).distinct())
        enterprises = Enterprise.objects.filter(pk__in=ids).order_by("pk")
    run = CheckpointRun()
    for enterprise in enterprises:
        before = ArchiveCheckpoint.objects.filter(enterprise=enterprise, day=day).exists()
        try:
            checkpoint = checkpoint_create(enterprise=enterprise, day=day)
        except ArchiveTampered as error:
            logger.error("archive checkpoint refused for enterprise %s: %s", enterprise.pk, error.message)
            run.refused.append((enterprise, error.message))
            continue
        (run.existing if before else run.created).append(checkpoint)
    return run
