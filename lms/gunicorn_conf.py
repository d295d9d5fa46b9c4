"""gunicorn settings for Anxun: ``gunicorn -c python:lms.gunicorn_conf lms.wsgi``.

Everything else (bind, workers, timeouts) stays on the command line or in
GUNICORN_CMD_ARGS; this only makes each worker warm before it takes
requests (lms/speed/warmup.py; off with ``ANXUN_SPEED["warmup"] = False``)."""

import logging


def post_worker_init(worker):
    from lms import speed
    from lms.speed.warmup import warm

    if not speed.on("warmup"):
        return
    seconds = warm()
    logging.getLogger("gunicorn.error").info("worker %s warmed up in %.2f s", worker.pid, seconds)
