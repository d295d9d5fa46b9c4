# 安训 Anxun — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: demo test install messages migrate seed serve check clean restore-drill

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

messages: install
	$(BIN)/python -m lms.i18n

migrate: messages
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

serve:
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make demo: venv, install, migrate, demo data, then serve http://127.0.0.1:8000 (SQLite, Celery eager)
demo: seed serve

## make test: venv if needed, import contracts (lint-imports), then the whole suite (browser journeys skip loudly without /usr/bin/chromium, except in CI)
test: messages
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

check: install
	DJANGO_SETTINGS_MODULE=lms.settings.production SECRET_KEY=$$(python3 -c 'import secrets;print(secrets.token_urlsafe(60))') \
		ALLOWED_HOSTS=anxun.example.com \
		ANXUN_ARCHIVE_MAC_KEYS=k1:$$(python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())') \
		ANXUN_ARCHIVE_SIGNING_KEY=$$(python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())') \
		ANXUN_PII_KEYS=$$($(BIN)/python -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())') \
		ANXUN_PII_HASH_KEY=$$(python3 -c 'import secrets;print(secrets.token_urlsafe(48))') \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

## make restore-drill: back up DATABASE_URL + MEDIA_ROOT, restore into a new database and a temp media dir,
## check migrations, row counts and verify_archive there, report timings, drop the copy (DRILL_ARGS=--keep keeps it)
DRILL_ARGS ?=
restore-drill:
	$(BIN)/python ops/restore_drill.py $(DRILL_ARGS)

clean:
	rm -rf $(VENV) var db.sqlite3
