# syntax=docker/dockerfile:1
# Anxun (安训) production image: a starting point (docs/ops/deploy.md).
#   docker build -t anxun .
#   docker compose --env-file deploy.env up -d      (compose.yaml: web, worker, beat, PostgreSQL, Redis)
# One image, three roles: the CMD is the web process (gunicorn); compose runs
# the worker and beat from the same image with another command.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- dependencies: the [project] dependencies of pyproject.toml, in a venv ---
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Only pyproject (and the README it names): this layer is rebuilt when the
# dependencies change, not on every code change. `pip install .` resolves and
# installs them; the (empty, no packages copied yet) anxun distribution is then
# removed — the code runs from /app, where the settings find templates/,
# static/ and locale/ next to it (BASE_DIR).
COPY pyproject.toml README.md ./
RUN pip install . && pip uninstall --yes anxun

# --- runtime --------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="anxun" \
      org.opencontainers.image.description="安训 Anxun — workplace safety training, exams, certificates and the training archive"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=lms.settings.production \
    STATIC_ROOT=/app/var/static \
    MEDIA_ROOT=/srv/anxun/media \
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000 --workers 3 --timeout 60 --graceful-timeout 30 --access-logfile -"

RUN groupadd --system --gid 10001 anxun \
 && useradd --system --uid 10001 --gid anxun --home-dir /app --shell /usr/sbin/nologin anxun \
 && mkdir -p /srv/anxun/media \
 && chown anxun:anxun /srv/anxun/media

COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . /app

# Build output, made as root and read-only for the app user:
# - the English catalogues (.mo; not committed);
# - the static files with whitenoise's manifest (every page names its static
#   files by hashed name: without the manifest every page is a 500). The
#   production settings refuse to load without their keys, so collectstatic
#   gets throwaway values that exist only in this RUN (no ENV, not in the image).
# The CJK font of every PDF ships in the source (lms/archive/fonts,
# docs/decisions/004-cjk-font.md): no system font package is needed; the
# check below fails the build if it is missing.
RUN python -m lms.i18n \
 && test -s lms/archive/fonts/AnxunSans-Regular.ttf && test -s lms/archive/fonts/AnxunSans-Bold.ttf \
 && SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(60))')" \
    ALLOWED_HOSTS=build.invalid \
    ANXUN_ARCHIVE_MAC_KEYS="build:$(python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')" \
    ANXUN_ARCHIVE_SIGNING_KEY="$(python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')" \
    ANXUN_PII_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    ANXUN_PII_HASH_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    python manage.py collectstatic --noinput --verbosity 0 \
 && python -m compileall -q /app/lms /app/content /app/courses /app/exams /app/certificates

USER 10001:10001
EXPOSE 8000
VOLUME ["/srv/anxun/media"]
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "/app/ops/healthcheck.py"]
CMD ["gunicorn", "-c", "python:lms.gunicorn_conf", "lms.wsgi"]
