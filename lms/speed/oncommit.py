"""One after-commit callback per key and transaction.

A long flow may ask for the same follow-up several times inside one
transaction (an archive import evaluates each person once, a flow may
evaluate the same person several times); :func:`on_commit_once` registers
it once. Django keeps the pending callbacks in the private
``connection.run_on_commit`` list; this reads it. With
``ANXUN_SPEED["on_commit_once"] = False`` every request is registered
(``transaction.on_commit``): the callbacks must then be safe to run twice,
as every Celery task here is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable

from django.db import transaction

from lms import speed


def on_commit_once(key: Hashable, func: Callable[[], None], *, using: str | None = None) -> None:
    """``transaction.on_commit(func)``, unless a callback registered here
    with the same ``key`` is still waiting for the current transaction."""
    if speed.on("on_commit_once"):
        for _savepoints, pending, _robust in transaction.get_connection(using).run_on_commit:
            if getattr(pending, "on_commit_key", None) == key and not pending.done:
                return

    def run():
        run.done = True
        func()

    functools.update_wrapper(run, func)  # func's attributes stay visible on the pending callback
    run.on_commit_key = key
    run.done = False
    transaction.on_commit(run, using=using)
