"""gunicorn settings for Anxun: ``gunicorn -c python:lms.gunicorn_conf lms.wsgi``.

Bind and workers stay on the command line or in GUNICORN_CMD_ARGS (which
also override the defaults below). This makes each worker warm before it
takes requests (lms/speed/warmup.py; off with ``ANXUN_SPEED["warmup"] = False``)
and keeps gunicorn's timeout above the longest statement timeout
(``ANXUN_DB_TIMEOUTS["long"]``, lms/kernel/dbtimeouts.py): a slow or locked
database cancels the statement and answers 503 before gunicorn would kill the
worker (issue 19: a 32 s lock once killed every worker)."""

import logging
import os

# Seconds a worker may stay silent: above the longest statement timeout (60 s) plus a margin.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "90"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# The application is imported once, in the master, before the workers fork
# (issue 19): a worker that replaces a killed one then starts with Django set
# up and the URL resolver built (when_ready below) and only opens its
# connections — about 0.1–0.5 s instead of 11–15 s of imports on a busy
# 2-CPU host (docs/ops/runbook.md "Worker warm-up"). New code needs a restart
# of the master (systemctl restart / USR2), not just HUP. GUNICORN_PRELOAD=0 turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in ("0", "false", "False", "")


def when_ready(server):
    """In the master, after the preloaded app: build what every worker would
    build first (URL resolver, view modules, catalogues) — no connections,
    they must not be shared across the fork."""
    if not preload_app:
        return
    from lms import speed
    from lms.speed.warmup import warm_shared

    if speed.on("warmup"):
        seconds = warm_shared()
        server.log.info("master warmed the shared state in %.2f s", seconds)
    # Whatever an import may have opened stays in the master: workers open their own.
    from django.db import connections

    connections.close_all()


def post_worker_init(worker):
    from lms import speed
    from lms.kernel import dbtimeouts
    from lms.speed.warmup import warm

    if not speed.on("warmup"):
        return
    # The warm-up opens the database connection and prepares statements: under
    # a lock it must give up quickly (page timeouts), not hold the worker back.
    dbtimeouts.use("page")
    seconds = warm()
    dbtimeouts.use(None)
    logging.getLogger("gunicorn.error").info("worker %s warmed up in %.2f s", worker.pid, seconds)


def child_exit(server, worker):
    """Multi-process metrics (PROMETHEUS_MULTIPROC_DIR): drop a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
