"""Benchmark data: seeds and verifiers the load benchmarks run between their
runs, and the bulk scale data. Each module is a script run from the checkout
root, ``.venv/bin/python -m bench.seed.<name> --help``; importing this package
sets Django up (``lms.settings.dev`` unless ``DJANGO_SETTINGS_MODULE`` says
otherwise, the database from ``DATABASE_URL``). Nothing in the product
imports it."""

from __future__ import annotations

import os
import sys

import django
from django.apps import apps

if not apps.ready:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")
    django.setup()


def main(command_class, module: str) -> None:
    """Run a ``BaseCommand`` subclass as the script ``python -m <module>``."""
    command_class().run_from_argv([f"{sys.executable} -m", module, *sys.argv[1:]])
