"""The archive's cryptography, with no database and no Django models.

Three layers vouch for a training record:

1. the public SHA-256 chain: each record's hash covers its canonical bytes,
   which include the previous record's hash (anyone can recompute it);
2. a keyed MAC (HMAC-SHA256) over the same bytes, with a key that lives in
   the settings, never in the database: a record forged or re-hashed by
   someone with database access only does not carry a valid MAC;
3. signed checkpoints: once a day, per enterprise, every person's record
   count and chain head, signed with Ed25519 and written beside the database
   too. Deleting the newest records, a whole chain or the whole table no
   longer goes unnoticed, and a regulator checks an exported file with the
   public key alone (:func:`verify_export`).

Everything here is pure so that ``verify_archive --bundle`` runs without a
database. The canonical form of a record and of a checkpoint must never
change: every hash and signature ever made depends on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.utils.translation import gettext as _

GENESIS = "0" * 64
CHECKPOINT_FORMAT = "anxun-archive-checkpoint/1"
EXPORT_FORMAT = "anxun-archive-export/1"
EXPORT_NAME = "archive.json"


class KeyConfigError(ValueError):
    """A key in the settings cannot be read (the message says which and why)."""


# --- canonical bytes, hashes, MACs ------------------------------------------------------------


def canonical_json(data) -> bytes:
    """The one serialisation every hash and signature covers: UTF-8 JSON,
    keys sorted, no whitespace, non-ASCII kept as is."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_hash(fields: dict) -> str:
    """The public hash of a record given its canonical fields."""
    return sha256_hex(canonical_json(fields))


def record_mac(key: bytes, canonical: bytes) -> str:
    """HMAC-SHA256 of a record's canonical bytes, hex."""
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def mac_matches(key: bytes, canonical: bytes, mac: str) -> bool:
    return hmac.compare_digest(record_mac(key, canonical), mac or "")


# --- keys -----------------------------------------------------------------------------------


def derive_secret(secret_key: str, label: str, length: int = 32) -> bytes:
    """A development key derived from SECRET_KEY with HKDF-SHA256 and a label
    of its own (so the MAC key, the signing key and Django's own uses of
    SECRET_KEY never coincide)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode()).derive(secret_key.encode())


def _b64decode(text: str) -> bytes:
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except ValueError as error:
        raise KeyConfigError(_("不是有效的 base64：%(error)s") % {"error": error}) from error


def parse_keyring(text: str) -> dict[str, str]:
    """``"k2:secret,k1:secret"`` → ``{"k2": "secret", "k1": "secret"}`` in
    order (the first is the current key)."""
    ring: dict[str, str] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, value = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not value.strip():
            raise KeyConfigError(_("密钥应写成 “密钥编号:base64密钥”，而不是 “%(item)s…”") % {"item": item[:12]})
        if len(key_id) > 16:
            raise KeyConfigError(_("密钥编号 “%(id)s” 超过 16 个字符") % {"id": key_id})
        if key_id in ring:
            raise KeyConfigError(_("密钥编号 “%(id)s” 重复") % {"id": key_id})
        ring[key_id] = value.strip()
    return ring


def parse_mac_keys(text: str) -> dict[str, bytes]:
    """The MAC keyring from its settings text; every key at least 32 bytes."""
    keys = {}
    for key_id, value in parse_keyring(text).items():
        secret = _b64decode(value)
        if len(secret) < 32:
            raise KeyConfigError(_("MAC 密钥 “%(id)s” 只有 %(n)s 字节，至少需要 32 字节") % {"id": key_id, "n": len(secret)})
        keys[key_id] = secret
    return keys


def load_private_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) or base64 of the 32 raw bytes."""
    text = (text or "").strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.replace("\\n", "\n").encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyConfigError(_("签名私钥必须是 Ed25519 密钥"))
        return key
    raw = _b64decode(text)
    if len(raw) != 32:
        raise KeyConfigError(_("Ed25519 私钥应为 32 字节，实际 %(n)s 字节") % {"n": len(raw)})
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo) or base64 of the 32 raw bytes."""
    text = (text or "").strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.replace("\\n", "\n").encode())
        if not isinstance(key, Ed25519PublicKey):
            raise KeyConfigError(_("验证公钥必须是 Ed25519 公钥"))
        return key
    raw = _b64decode(text)
    if len(raw) != 32:
        raise KeyConfigError(_("Ed25519 公钥应为 32 字节，实际 %(n)s 字节") % {"n": len(raw)})
    return Ed25519PublicKey.from_public_bytes(raw)


def parse_verify_keys(text: str) -> dict[str, Ed25519PublicKey]:
    return {key_id: load_public_key(value) for key_id, value in parse_keyring(text).items()}


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex in groups of four (what the public
    key page and the README print)."""
    digest = sha256_hex(public_raw(key))
    return ":".join(digest[i:i + 4] for i in range(0, len(digest), 4))


# --- checkpoints -----------------------------------------------------------------------------


def checkpoint_sign(payload: dict, *, key_id: str, private_key: Ed25519PrivateKey) -> dict:
    """The signed checkpoint document: the payload (which names its key id),
    the SHA-256 of its canonical bytes, and the Ed25519 signature over them."""
    assert payload.get("key_id") == key_id, "the payload names the key that signs it"
    body = canonical_json(payload)
    return {
        "payload": payload,
        "sha256": sha256_hex(body),
        "key_id": key_id,
        "signature": base64.b64encode(private_key.sign(body)).decode(),
    }


def signature_fingerprint(document: dict) -> str:
    """A short handle for a checkpoint's signature (printed in PDF footers)."""
    return sha256_hex(document.get("signature", "").encode())[:16]


def checkpoint_check(document: dict, public_keys: dict[str, Ed25519PublicKey]) -> str | None:
    """None if ``document`` is a checkpoint signed by one of ``public_keys``,
    else what is wrong with it (Chinese)."""
    try:
        payload = document["payload"]
        key_id = document["key_id"]
        signature = base64.b64decode(document["signature"], validate=True)
    except (KeyError, TypeError, ValueError):
        return _("检查点格式不正确")
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        return _("检查点格式不正确")
    if payload.get("key_id") != key_id:
        return _("检查点声明的密钥编号与签名不一致")
    key = public_keys.get(key_id)
    if key is None:
        return _("没有编号为 “%(id)s” 的验证公钥，无法验证检查点签名") % {"id": key_id}
    body = canonical_json(payload)
    if document.get("sha256") != sha256_hex(body):
        return _("检查点内容与其摘要不符（检查点被改动）")
    try:
        key.verify(signature, body)
    except InvalidSignature:
        return _("检查点签名无效（检查点被伪造或改动）")
    return None


def checkpoint_heads(payload: dict) -> dict[int, tuple[int, str]]:
    """employee id → (record count, head hash) from a checkpoint payload."""
    return {int(e): (int(n), head) for e, n, head in payload.get("employees", [])}


# --- offline verification of an export ---------------------------------------------------


@dataclass
class Finding:
    """One thing verification found: ``error`` findings fail the check,
    notes (``error=False``) are said but do not."""

    message: str
    error: bool = True
    employee: str = ""
    seq: int | None = None

    def __str__(self):
        where = []
        if self.employee:
            where.append(_("员工 %(who)s") % {"who": self.employee})
        if self.seq is not None:
            where.append(_("序号 %(n)s") % {"n": self.seq})
        return (f"（{'，'.join(where)}）" if where else "") + self.message


@dataclass
class ExportReport:
    people: int = 0
    records: int = 0
    covered: int = 0
    checkpoints: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.error]

    @property
    def ok(self) -> bool:
        return not self.errors


def load_export(path: str | Path) -> dict:
    """The ``archive.json`` document of an export: the file itself (.json),
    the member of a zip (a regulator bundle), or the attachment of a PDF (a
    person file). Raises ValueError with a Chinese message if there is none."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == EXPORT_NAME]
            if not names:
                raise ValueError(_("压缩包中没有 %(name)s") % {"name": EXPORT_NAME})
            data = archive.read(names[0])
    elif data[:5] == b"%PDF-":
        from pypdf import PdfReader

        attachments = PdfReader(io.BytesIO(data)).attachments
        if EXPORT_NAME not in attachments:
            raise ValueError(_("PDF 中没有附件 %(name)s") % {"name": EXPORT_NAME})
        data = attachments[EXPORT_NAME][0]
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(_("%(name)s 不是有效的 JSON：%(error)s") % {"name": EXPORT_NAME, "error": error}) from error
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ValueError(_("%(name)s 不是安训档案导出（format 应为 %(format)s）") % {"name": EXPORT_NAME, "format": EXPORT_FORMAT})
    return document


def _person_label(person: dict) -> str:
    name = person.get("name") or ""
    number = person.get("employee_no") or ""
    return _("%(name)s（工号 %(no)s，ID %(id)s）") % {"name": name, "no": number, "id": person.get("employee")} if name else f"ID {person.get('employee')}"


def verify_export(document: dict, public_keys: dict[str, Ed25519PublicKey]) -> ExportReport:
    """Check an export with public keys only: every checkpoint's signature,
    each person's SHA-256 chain recomputed from the canonical fields, and each
    chain's count and head against the newest signed checkpoint of the
    person's enterprise."""
    report = ExportReport()
    latest: dict[int, dict] = {}
    for document_cp in document.get("checkpoints", []):
        problem = checkpoint_check(document_cp, public_keys)
        payload = document_cp.get("payload") if isinstance(document_cp, dict) else None
        label = ""
        if isinstance(payload, dict):
            label = f"{payload.get('enterprise', {}).get('code', '')} {payload.get('day', '')}"
        if problem:
            report.findings.append(Finding(_("检查点 %(label)s：%(problem)s") % {"label": label, "problem": problem}))
            continue
        report.checkpoints.append(document_cp)
        ent = int(payload["enterprise"]["id"])
        if ent not in latest or payload["as_of"] > latest[ent]["as_of"]:
            latest[ent] = payload

    for person in document.get("people", []):
        report.people += 1
        who = _person_label(person)
        records = person.get("records", [])
        report.records += len(records)
        expected_prev, hashes = GENESIS, []
        for position, entry in enumerate(records, start=1):
            fields = entry.get("fields", {})
            seq = fields.get("seq")
            if fields.get("employee") != person.get("employee"):
                report.findings.append(Finding(_("记录不属于该员工"), employee=who, seq=seq))
            if seq != position:
                report.findings.append(Finding(_("序号不连续（应为 %(n)s）") % {"n": position}, employee=who, seq=seq))
            if fields.get("prev_hash") != expected_prev:
                report.findings.append(Finding(_("前一条记录的哈希不符（记录被删除、插入或调换）"), employee=who, seq=seq))
            if record_hash(fields) != entry.get("hash"):
                report.findings.append(Finding(_("内容与哈希不符（记录被改动）"), employee=who, seq=seq))
            expected_prev = entry.get("hash")
            hashes.append(entry.get("hash"))

        payload = latest.get(int(person.get("enterprise", 0) or 0))
        if payload is None:
            report.findings.append(Finding(_("导出中没有该企业的有效签名检查点，无法确认记录条数和链头"), employee=who))
            continue
        head = checkpoint_heads(payload).get(int(person["employee"]))
        if head is None:
            if records:
                report.findings.append(Finding(
                    _("%(n)s 条记录都在检查点（%(day)s）之后追加，只校验了哈希链，签名未覆盖")
                    % {"n": len(records), "day": payload["day"]}, error=False, employee=who))
            continue
        count, head_hash = head
        if len(records) < count:
            report.findings.append(Finding(
                _("签名检查点（%(day)s）记载 %(count)s 条记录，导出中只有 %(n)s 条（记录被删除）")
                % {"day": payload["day"], "count": count, "n": len(records)}, employee=who))
        elif hashes[count - 1] != head_hash:
            report.findings.append(Finding(
                _("第 %(count)s 条记录的哈希与签名检查点（%(day)s）不符（档案链被改写）")
                % {"count": count, "day": payload["day"]}, employee=who, seq=count))
        else:
            report.covered += count
            if len(records) > count:
                report.findings.append(Finding(
                    _("另有 %(n)s 条记录在检查点（%(day)s）之后追加，只校验了哈希链，签名未覆盖")
                    % {"n": len(records) - count, "day": payload["day"]}, error=False, employee=who))
    return report
