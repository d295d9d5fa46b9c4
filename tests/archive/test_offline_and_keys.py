"""Issue 16: a regulator verifies an exported archive offline with the
public key alone (``verify_archive --bundle``); keys rotate without
breaking what they signed; the public key is published; production refuses
to run on keys derived from SECRET_KEY."""

import base64
import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pypdf import PdfReader

from lms.archive import integrity, keys
from lms.archive.selectors import archive_export
from lms.archive.services import Tamper, archive_verify, checkpoint_create
from tests.compliance.helpers import D, train
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def people(ent_a):
    person = EmployeeFactory(enterprise=ent_a, name="张伟", employee_no="T001")
    other = EmployeeFactory(enterprise=ent_a, name="李娜", employee_no="T002")
    for day in (5, 6, 7):
        train(person, "induction", 8, D(2026, 1, day), level="company")
    train(other, "refresher", 4, D(2026, 2, 5))
    checkpoint_create(enterprise=ent_a)
    return person, other


@pytest.fixture
def public_pem(tmp_path):
    path = tmp_path / "anxun-archive.pem"
    path.write_text(integrity.public_pem(keys.signing_key()[1].public_key()))
    return f"{keys.signing_key()[0]}={path}"


def write_bundle(tmp_path, document, name="bundle.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("001-张伟.pdf", b"%PDF-1.4 stand-in")
        archive.writestr("archive.json", json.dumps(document, ensure_ascii=False))
    return path


def verify_bundle(path, *keys_, capsys):
    capsys.readouterr()
    call_command("verify_archive", "--bundle", str(path), *[f"--public-key={k}" for k in keys_])
    return capsys.readouterr().out


# --- offline verification ------------------------------------------------------------------


def test_bundle_verifies_offline_without_the_database(people, tmp_path, public_pem, capsys,
                                                      django_assert_num_queries):
    path = write_bundle(tmp_path, archive_export(people))
    with django_assert_num_queries(0):
        out = verify_bundle(path, public_pem, capsys=capsys)
    assert "签名检查点：hxchem" in out and "签名有效" in out
    assert "离线校验通过：2 人、4 条记录的哈希链一致，其中 4 条由签名检查点确认" in out


def test_offline_check_runs_without_any_database(people, tmp_path, public_pem):
    """The command in a fresh process whose database does not exist."""
    path = write_bundle(tmp_path, archive_export(people))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings.test",
           "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing"}
    done = subprocess.run([sys.executable, "manage.py", "verify_archive", "--bundle", str(path),
                           f"--public-key={public_pem}"], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert "离线校验通过" in done.stdout


def test_edited_archive_json_fails(people, tmp_path, public_pem, capsys):
    document = archive_export(people)
    document["people"][0]["records"][1]["fields"]["hours"] = "80.0"
    with pytest.raises(CommandError, match="离线校验失败"):
        verify_bundle(write_bundle(tmp_path, document), public_pem, capsys=capsys)
    out = capsys.readouterr().out
    assert "员工 张伟（工号 T001" in out and "序号 2" in out and "内容与哈希不符" in out


def test_recomputed_chain_in_the_bundle_fails_against_the_signed_head(people, tmp_path, public_pem, capsys):
    document = archive_export(people)
    records = document["people"][0]["records"]
    records[1]["fields"]["hours"] = "80.0"
    prev = records[0]["hash"]
    for entry in records:  # the public chain recomputed: consistent again
        entry["fields"]["prev_hash"] = prev
        entry["hash"] = prev = integrity.record_hash(entry["fields"])
    with pytest.raises(CommandError):
        verify_bundle(write_bundle(tmp_path, document), public_pem, capsys=capsys)
    assert "第 3 条记录的哈希与签名检查点" in capsys.readouterr().out


def test_records_dropped_from_the_bundle_fail(people, tmp_path, public_pem, capsys):
    document = archive_export(people)
    document["people"][0]["records"].pop()
    with pytest.raises(CommandError):
        verify_bundle(write_bundle(tmp_path, document), public_pem, capsys=capsys)
    assert "记载 3 条记录，导出中只有 2 条（记录被删除）" in capsys.readouterr().out


def test_wrong_signature_fails(people, tmp_path, public_pem, capsys):
    document = archive_export(people)
    signature = bytearray(base64.b64decode(document["checkpoints"][0]["signature"]))
    signature[0] ^= 1
    document["checkpoints"][0]["signature"] = b64(bytes(signature))
    with pytest.raises(CommandError):
        verify_bundle(write_bundle(tmp_path, document), public_pem, capsys=capsys)
    out = capsys.readouterr().out
    assert "检查点签名无效（检查点被伪造或改动）" in out
    assert "导出中没有该企业的有效签名检查点" in out


def test_a_checkpoint_edited_in_the_bundle_fails(people, tmp_path, public_pem, capsys):
    document = archive_export(people)
    cp = document["checkpoints"][0]
    cp["payload"]["employees"] = [[e, n - 1, h] for e, n, h in cp["payload"]["employees"]]
    cp["sha256"] = integrity.sha256_hex(integrity.canonical_json(cp["payload"]))
    with pytest.raises(CommandError):
        verify_bundle(write_bundle(tmp_path, document), public_pem, capsys=capsys)
    assert "检查点签名无效" in capsys.readouterr().out


def test_another_public_key_fails(people, tmp_path, capsys):
    stranger = integrity.public_pem(Ed25519PrivateKey.generate().public_key())
    path = tmp_path / "stranger.pem"
    path.write_text(stranger)
    with pytest.raises(CommandError):
        verify_bundle(write_bundle(tmp_path, archive_export(people)), f"dev={path}", capsys=capsys)
    assert "检查点签名无效" in capsys.readouterr().out


def test_records_after_the_checkpoint_are_reported_as_not_covered(people, tmp_path, public_pem, capsys):
    person = people[0]
    train(person, "refresher", 2, D(2026, 3, 1))
    out = verify_bundle(write_bundle(tmp_path, archive_export(people)), public_pem, capsys=capsys)
    assert "另有 1 条记录在检查点" in out and "离线校验通过" in out


def test_person_file_pdf_carries_archive_json_and_the_checkpoint_reference(alice, people, tmp_path, client,
                                                                           public_pem, capsys):
    person = people[0]
    login_with_mfa(client, alice)
    response = client.get(reverse("archive:person_file_pdf", args=[person.pk]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    document = json.loads(reader.attachments["archive.json"][0])
    assert [p["employee"] for p in document["people"]] == [person.pk]
    text = "".join(page.extract_text() for page in reader.pages)
    checkpoint = document["checkpoints"][0]
    assert "档案检查点" in text and checkpoint["payload"]["day"] in text and "生成时间" in text and "共" in text
    assert integrity.signature_fingerprint(checkpoint) in text
    path = tmp_path / "file.pdf"
    path.write_bytes(response.content)
    assert "离线校验通过：1 人、3 条记录" in verify_bundle(path, public_pem, capsys=capsys)


# --- key rotation ------------------------------------------------------------------------


def test_mac_key_rotation_keeps_old_records_verifiable(ent_a, settings):
    k1, k2 = os.urandom(32), os.urandom(32)
    settings.ANXUN_ARCHIVE_MAC_KEYS = f"k1:{b64(k1)}"
    person = EmployeeFactory(enterprise=ent_a)
    old = train(person, "induction", 8, D(2026, 1, 5), level="company")
    assert old.mac_key_id == "k1"
    settings.ANXUN_ARCHIVE_MAC_KEYS = f"k2:{b64(k2)},k1:{b64(k1)}"  # k2 current, k1 kept
    new = train(person, "refresher", 4, D(2026, 2, 5))
    assert new.mac_key_id == "k2"
    assert archive_verify() == (2, [])
    settings.ANXUN_ARCHIVE_MAC_KEYS = f"k2:{b64(k2)}"  # k1 dropped too early
    _checked, broken = archive_verify()
    assert [(b.code, b.seq) for b in broken] == [(Tamper.MAC_KEY, 1)]


def test_signing_key_rotation_keeps_old_checkpoints_verifiable(ent_a, settings, tmp_path, capsys):
    s1, s2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    raw = lambda key: b64(key.private_bytes_raw())  # noqa: E731
    settings.ANXUN_ARCHIVE_SIGNING_KEY, settings.ANXUN_ARCHIVE_SIGNING_KEY_ID = raw(s1), "s1"
    person = EmployeeFactory(enterprise=ent_a)
    train(person, "induction", 8, D(2026, 1, 5), level="company")
    checkpoint = checkpoint_create(enterprise=ent_a)
    assert checkpoint.key_id == "s1"

    settings.ANXUN_ARCHIVE_SIGNING_KEY, settings.ANXUN_ARCHIVE_SIGNING_KEY_ID = raw(s2), "s2"
    _checked, broken = archive_verify()
    assert [b.code for b in broken] == [Tamper.CHECKPOINT, Tamper.CHECKPOINT]  # row and file: unknown key s1
    assert "没有编号为 “s1” 的验证公钥" in broken[0].problem
    settings.ANXUN_ARCHIVE_VERIFY_KEYS = f"s1:{b64(integrity.public_raw(s1.public_key()))}"
    assert archive_verify()[1] == []
    newer = checkpoint_create(enterprise=ent_a, day=checkpoint.day + dt.timedelta(days=1))
    assert newer.key_id == "s2" and newer.payload_data["previous"] == checkpoint.sha256
    assert archive_verify()[1] == []
    # Offline, with the published keys of both.
    path = write_bundle(tmp_path, {**archive_export([person]), "checkpoints": [checkpoint.document(), newer.document()]})
    pem1, pem2 = tmp_path / "s1.pem", tmp_path / "s2.pem"
    pem1.write_text(integrity.public_pem(s1.public_key()))
    pem2.write_text(integrity.public_pem(s2.public_key()))
    assert "离线校验通过" in verify_bundle(path, f"s1={pem1}", f"s2={pem2}", capsys=capsys)


def test_keys_accept_pem_and_refuse_garbage(settings):
    from django.core.exceptions import ImproperlyConfigured
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    settings.ANXUN_ARCHIVE_SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    settings.ANXUN_ARCHIVE_SIGNING_KEY_ID = "s9"
    assert keys.signing_key()[0] == "s9"
    assert keys.check_configuration() == []
    settings.ANXUN_ARCHIVE_MAC_KEYS = "k1:c2hvcnQ="  # 5 bytes
    with pytest.raises(ImproperlyConfigured, match="至少需要 32 字节"):
        keys.mac_keys()
    assert any("ANXUN_ARCHIVE_MAC_KEYS" in p for p in keys.check_configuration())


def test_dev_keys_derive_from_secret_key_with_distinct_labels(settings):
    mac_id, mac = keys.current_mac_key()
    sign_id, private = keys.signing_key()
    assert mac_id == sign_id == "dev"
    assert mac != private.private_bytes_raw()
    assert mac == integrity.derive_secret(settings.SECRET_KEY, keys.MAC_LABEL)
    settings.SECRET_KEY = settings.SECRET_KEY + "x"
    assert keys.current_mac_key()[1] != mac


def test_production_refuses_to_start_without_archive_keys():
    root = Path(__file__).resolve().parents[2]
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings.production", "SECRET_KEY": "s" * 60,
            "ALLOWED_HOSTS": "anxun.example.com"}
    base.pop("ANXUN_ARCHIVE_MAC_KEYS", None)
    base.pop("ANXUN_ARCHIVE_SIGNING_KEY", None)
    code = "import django; django.setup()"
    done = subprocess.run([sys.executable, "-c", code], env=base, cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "ANXUN_ARCHIVE_MAC_KEYS" in done.stderr and "生产环境必须设置" in done.stderr
    base["ANXUN_ARCHIVE_MAC_KEYS"] = f"k1:{b64(os.urandom(32))}"
    done = subprocess.run([sys.executable, "-c", code], env=base, cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "ANXUN_ARCHIVE_SIGNING_KEY" in done.stderr


# --- the published key ---------------------------------------------------------------------


def test_public_key_page_needs_no_login(client):
    response = client.get(reverse("archive:public_key"))
    assert response.status_code == 200
    html = response.content.decode()
    key_id, private = keys.signing_key()
    public = private.public_key()
    assert integrity.fingerprint(public) in html
    assert integrity.public_pem(public).splitlines()[1] in html
    assert "verify_archive --bundle" in html and "当前签名密钥" in html


def test_malformed_archive_json_fails_cleanly(people, tmp_path, public_pem, capsys):
    document = archive_export(people)
    document["people"][0]["records"][0] = "x"
    with pytest.raises(CommandError, match="archive.json 的结构不正确"):
        verify_bundle(write_bundle(tmp_path, document), public_pem, capsys=capsys)
