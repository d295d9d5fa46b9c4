"""The one folder every benchmark writes under (databases, spreadsheets,
media, server logs, the floor's virtualenv, JSON results): ``--work-dir``,
else ``$ANXUN_BENCH_DIR``, else ``bench/out`` in the checkout. The option
sets the variable, so the commands a benchmark starts write there too."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIABLE = "ANXUN_BENCH_DIR"


def out() -> Path:
    """The work folder (made if missing)."""
    path = Path(os.environ.get(VARIABLE) or ROOT / "bench" / "out").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


class _WorkDir(argparse.Action):
    def __call__(self, parser, namespace, value, option_string=None):
        os.environ[VARIABLE] = str(Path(value).resolve())
        setattr(namespace, self.dest, value)


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work-dir", action=_WorkDir, metavar="DIR",
        help=f"folder for everything the run writes (default ${VARIABLE}, else bench/out)",
    )
