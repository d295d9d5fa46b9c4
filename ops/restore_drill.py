#!/usr/bin/env python3
"""Restore drill (``make restore-drill``): prove that a backup of the
database and the media restores into a working, intact Anxun.

1. back up: the database named by DATABASE_URL (PostgreSQL: ``pg_dump -Fc``;
   SQLite: a consistent copy with sqlite3's online backup API) and MEDIA_ROOT
   (a tar archive) — or take existing backup files (``--dump``, ``--media-archive``);
2. restore into a NEW database (``createdb anxun_restore_<timestamp>`` +
   ``pg_restore``; SQLite: a new file) and a temporary media directory;
3. check the restored copy with the project's own commands, pointed at it
   through DATABASE_URL and MEDIA_ROOT: ``migrate --check`` (no unapplied
   migration), ``showmigrations --plan`` (how many applied), row counts of
   key tables against the source, and ``verify_archive`` (hash chains, MACs,
   signed checkpoints and every evidence file against its SHA-256);
4. print a report with the time of each step; drop the temporary database
   and media directory unless ``--keep``.

The archive keys (ANXUN_ARCHIVE_MAC_KEYS, ANXUN_ARCHIVE_SIGNING_KEY or the
verify keys, ANXUN_PII_KEYS; in development, SECRET_KEY from which they are
derived) are read from the environment as usual: a drill run with the keys
restored from their own backup proves that backup too (docs/ops/backup.md).

Exit status 0 only if every check passed. Uses only the standard library,
django-environ (to read DATABASE_URL exactly as the settings do) and the
PostgreSQL client tools (pg_dump, pg_restore, createdb, dropdb, psql).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Tables whose row counts must survive the round trip unchanged.
COUNTED = ("archive_trainingrecord", "archive_archivecheckpoint", "workforce_employee", "workforce_enterprise",
           "accounts_user", "django_migrations")


class DrillFailed(Exception):
    pass


class Report:
    def __init__(self):
        self.steps: list[tuple[str, float, str]] = []
        self.failures: list[str] = []

    def step(self, name: str, func, *args, **kwargs):
        print(f"… {name}", flush=True)
        started = time.monotonic()
        try:
            detail = func(*args, **kwargs) or ""
        except DrillFailed as error:
            elapsed = time.monotonic() - started
            self.steps.append((name, elapsed, f"FAILED: {error}"))
            self.failures.append(f"{name}: {error}")
            print(f"  FAILED ({elapsed:.2f} s): {error}", flush=True)
            return None
        elapsed = time.monotonic() - started
        self.steps.append((name, elapsed, detail))
        print(f"  ok ({elapsed:.2f} s) {detail}", flush=True)
        return detail

    def print(self, header: list[str]):
        print("\n== Restore drill report ==")
        for line in header:
            print(line)
        width = max(len(name) for name, _t, _d in self.steps)
        for name, elapsed, detail in self.steps:
            print(f"  {name.ljust(width)}  {elapsed:8.2f} s  {detail}")
        total = sum(elapsed for _n, elapsed, _d in self.steps)
        print(f"  {'total'.ljust(width)}  {total:8.2f} s")
        print("RESULT: " + ("PASS" if not self.failures else "FAIL — " + "; ".join(self.failures)))


def run(cmd: list[str], *, env=None, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise DrillFailed(f"{' '.join(cmd[:3])} … exited {done.returncode}: {(done.stderr or done.stdout).strip()[-800:]}")
    return done


def human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024
    return str(size)


def db_config(url: str) -> dict:
    import environ

    return environ.Env.db_url_config(url)


def pg_env(config: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if config.get(key):
            env[var] = str(config[key])
    return env


def pg_url(config: dict, name: str) -> str:
    auth = config.get("USER") or ""
    if config.get("PASSWORD"):
        auth += f":{config['PASSWORD']}"
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{name}"


# --- the two engines ----------------------------------------------------------------------


class Postgres:
    def __init__(self, config: dict):
        self.config, self.env, self.source = config, pg_env(config), config["NAME"]
        self.target = f"anxun_restore_{dt.datetime.now():%Y%m%d%H%M%S}"

    def describe(self) -> str:
        return f"PostgreSQL {self.config.get('HOST') or 'localhost'}:{self.config.get('PORT') or 5432}/{self.source}"

    def dump(self, out: Path) -> str:
        run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(out), self.source], env=self.env)
        return f"{out.name} {human(out.stat().st_size)}"

    def restore(self, dump: Path) -> str:
        run(["createdb", self.target], env=self.env)
        run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-j", "2", "-d", self.target,
             str(dump)], env=self.env)
        return f"into new database {self.target}"

    def url(self) -> str:
        return pg_url(self.config, self.target)

    def counts(self, database: str) -> dict[str, int]:
        found = {}
        for table in COUNTED:
            done = run(["psql", "-tAX", "-d", database, "-c", f"SELECT count(*) FROM {table}"], env=self.env,
                       check=False)
            found[table] = int(done.stdout.strip()) if done.returncode == 0 else -1
        return found

    def source_counts(self):
        return self.counts(self.source)

    def target_counts(self):
        return self.counts(self.target)

    def drop(self) -> str:
        run(["dropdb", "--if-exists", self.target], env=self.env)
        return f"dropped {self.target}"


class Sqlite:
    def __init__(self, config: dict, workdir: Path):
        self.source = Path(config["NAME"])
        self.target = workdir / f"anxun_restore_{dt.datetime.now():%Y%m%d%H%M%S}.sqlite3"

    def describe(self) -> str:
        return f"SQLite {self.source}"

    def dump(self, out: Path) -> str:
        if not self.source.is_file():
            raise DrillFailed(f"no database file {self.source}")
        # The online backup API: a consistent copy even while the app writes
        # (WAL included), unlike copying the file.
        with sqlite3.connect(self.source) as src, sqlite3.connect(out) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        return f"{out.name} {human(out.stat().st_size)}"

    def restore(self, dump: Path) -> str:
        with sqlite3.connect(dump) as src, sqlite3.connect(self.target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        return f"into new file {self.target}"

    def url(self) -> str:
        return f"sqlite:///{self.target}"

    @staticmethod
    def counts(path: Path) -> dict[str, int]:
        found = {}
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for table in COUNTED:
                try:
                    found[table] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                except sqlite3.Error:
                    found[table] = -1
        finally:
            connection.close()
        return found

    def source_counts(self):
        return self.counts(self.source)

    def target_counts(self):
        return self.counts(self.target)

    def drop(self) -> str:
        self.target.unlink(missing_ok=True)
        return f"removed {self.target.name}"


# --- media ---------------------------------------------------------------------------------


def media_dump(media: Path, out: Path) -> str:
    files = 0
    with tarfile.open(out, "w:gz", compresslevel=1) as archive:
        if media.is_dir():
            for path in sorted(media.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(media)), recursive=False)
                    files += 1
    return f"{files} files, {out.name} {human(out.stat().st_size)}"


def media_restore(archive_path: Path, target: Path) -> str:
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, "r:*") as archive:
        archive.extractall(target, filter="data")
    files = sum(1 for p in target.rglob("*") if p.is_file())
    return f"{files} files into {target}"


# --- the checks on the restored copy ----------------------------------------------------


def manage(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=False)


def check_migrations(env: dict) -> str:
    done = manage(["migrate", "--check"], env)
    if done.returncode != 0:
        raise DrillFailed("unapplied migrations: " + (done.stdout + done.stderr).strip()[-400:])
    plan = manage(["showmigrations", "--plan"], env)
    if plan.returncode != 0:
        raise DrillFailed((plan.stderr or plan.stdout).strip()[-400:])
    applied = sum(1 for line in plan.stdout.splitlines() if line.startswith("[X]"))
    pending = sum(1 for line in plan.stdout.splitlines() if line.startswith("[ ]"))
    if pending:
        raise DrillFailed(f"{pending} migrations not applied")
    return f"{applied} migrations applied, 0 pending"


def check_counts(engine) -> str:
    source, target = engine.source_counts(), engine.target_counts()
    differ = [f"{t} {source[t]}→{target[t]}" for t in COUNTED if source[t] != target[t]]
    if differ:
        raise DrillFailed("row counts differ: " + ", ".join(differ))
    return ", ".join(f"{t.split('_', 1)[1]} {n}" for t, n in target.items() if t != "django_migrations")


def check_archive(env: dict) -> str:
    done = manage(["verify_archive"], env)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0:
        raise DrillFailed("verify_archive: " + " | ".join(lines[-6:]))
    return lines[-1] if lines else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="keep the restored database, the restored media and the backup files")
    parser.add_argument("--dump", type=Path, help="restore this backup instead of dumping DATABASE_URL now "
                        "(pg_dump -Fc file, or an SQLite file)")
    parser.add_argument("--media-archive", type=Path, help="restore this media tar instead of archiving MEDIA_ROOT now")
    parser.add_argument("--workdir", type=Path, help="where the backup files and the restored media go "
                        "(default: a new temporary directory)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'db.sqlite3'}"
    media = Path(os.environ.get("MEDIA_ROOT") or ROOT / "var" / "media")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="anxun-drill-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = db_config(url)
    if "postgres" in config["ENGINE"] or "postgis" in config["ENGINE"]:
        engine = Postgres(config)
        dump_path = workdir / "anxun.dump"
    elif "sqlite" in config["ENGINE"]:
        engine = Sqlite(config, workdir)
        dump_path = workdir / "anxun-backup.sqlite3"
    else:
        print(f"unsupported database engine {config['ENGINE']}", file=sys.stderr)
        return 2
    restored_media = workdir / "media-restored"
    media_tar = workdir / "media.tar.gz"

    report = Report()
    started = dt.datetime.now(dt.timezone.utc)
    if args.dump:
        dump_path = args.dump
    else:
        report.step("back up database", engine.dump, dump_path)
    if args.media_archive:
        media_tar = args.media_archive
    elif not report.failures:
        report.step("back up media", media_dump, media, media_tar)
    restored = False
    if not report.failures:
        restored = report.step("restore database", engine.restore, dump_path) is not None
    if restored:
        report.step("restore media", media_restore, media_tar, restored_media)
    if restored and not report.failures:
        env = dict(os.environ, DATABASE_URL=engine.url(), MEDIA_ROOT=str(restored_media))
        # The restored copy is checked, never served: no broker, no warm-up.
        env.pop("CELERY_BROKER_URL", None)
        report.step("migrations (migrate --check, showmigrations)", check_migrations, env)
        if not args.dump:
            report.step("row counts source = restored", check_counts, engine)
        report.step("verify_archive on the restored copy", check_archive, env)
    if restored and not args.keep:
        report.step("drop restored database", engine.drop)
    if not args.keep:
        shutil.rmtree(restored_media, ignore_errors=True)
    header = [
        f"when     {started:%Y-%m-%d %H:%M:%S} UTC",
        f"source   {engine.describe()}, media {media}",
        f"backup   {dump_path} ({human(dump_path.stat().st_size) if dump_path.exists() else 'missing'}), "
        f"{media_tar} ({human(media_tar.stat().st_size) if media_tar.exists() else 'missing'})",
        f"restored {engine.url()}" + (" (kept)" if args.keep else " (dropped)")
        + (f", media {restored_media}" if args.keep else ""),
    ]
    report.print(header)
    if not args.workdir and not args.keep:
        # The backup holds personal data: a drill leaves no copy behind.
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if not report.failures else 1


if __name__ == "__main__":
    sys.exit(main())
