"""The operations kit (issue 19): the restore drill's pieces, the env example
and the queue routing name what really exists."""

import re
import sqlite3
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ops"))
import restore_drill  # noqa: E402


def test_every_bulk_task_is_a_registered_task():
    from lms.celery import app

    app.loader.import_default_modules()
    missing = [name for name in settings.ANXUN_CELERY_BULK_TASKS if name not in app.tasks]
    assert not missing


def test_env_example_names_every_key_production_requires():
    makefile = (ROOT / "Makefile").read_text()
    start = makefile.index("\ncheck:")
    check = makefile[start:makefile.index("\n\n", start)]
    required = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", check)) - {"DJANGO_SETTINGS_MODULE"}
    assert {"SECRET_KEY", "ANXUN_PII_KEYS", "ANXUN_ARCHIVE_SIGNING_KEY"} <= required
    example = (ROOT / "docs/ops/env.example").read_text()
    named = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M))
    assert required - named == set()


def test_sqlite_backup_and_restore_round_trip(tmp_path):
    source = tmp_path / "db.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE archive_trainingrecord (id integer primary key, title text)")
        db.executemany("INSERT INTO archive_trainingrecord (title) VALUES (?)", [("三级安全教育",)] * 5)
    db.close()
    engine = restore_drill.Sqlite({"NAME": str(source)}, tmp_path)
    backup = tmp_path / "backup.sqlite3"
    engine.dump(backup)
    engine.restore(backup)
    assert engine.target.is_file() and engine.target != source
    assert engine.target_counts()["archive_trainingrecord"] == 5 == engine.source_counts()["archive_trainingrecord"]
    assert engine.target_counts()["workforce_employee"] == -1  # a table the copy lacks is a difference
    assert "sqlite:///" in engine.url() and str(engine.target) in engine.url()
    engine.drop()
    assert not engine.target.exists()


def test_media_round_trip_keeps_every_file(tmp_path):
    media = tmp_path / "media"
    (media / "archive" / "1").mkdir(parents=True)
    (media / "archive" / "1" / "签到表.pdf").write_bytes(b"%PDF-1.4 sheet")
    (media / "archive-checkpoints").mkdir()
    (media / "archive-checkpoints" / "2026-12-07.json").write_text("{}")
    tar = tmp_path / "media.tar.gz"
    assert restore_drill.media_dump(media, tar).startswith("2 files")
    restored = tmp_path / "restored"
    restore_drill.media_restore(tar, restored)
    assert (restored / "archive" / "1" / "签到表.pdf").read_bytes() == b"%PDF-1.4 sheet"
    assert (restored / "archive-checkpoints" / "2026-12-07.json").read_text() == "{}"


def test_a_failing_step_fails_the_report(capsys):
    report = restore_drill.Report()

    def broken():
        raise restore_drill.DrillFailed("verify_archive: 档案校验失败")

    report.step("ok step", lambda: "fine")
    report.step("verify", broken)
    report.print([])
    out = capsys.readouterr().out
    assert report.failures and "RESULT: FAIL" in out and "档案校验失败" in out


@pytest.mark.parametrize("url, host", [("postgres://postgres@127.0.0.1:5432/anxun", "127.0.0.1")])
def test_postgres_target_is_a_new_database(url, host):
    engine = restore_drill.Postgres(restore_drill.db_config(url))
    assert engine.source == "anxun" and engine.target.startswith("anxun_restore_")
    assert engine.url() == f"postgres://postgres@{host}:5432/{engine.target}"
    assert engine.env["PGHOST"] == host and engine.env["PGUSER"] == "postgres"
