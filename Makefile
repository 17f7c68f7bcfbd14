# Pass: two commands for a new user, `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format bench clean system-deps test-sqlite test-postgres test-at messages

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Pass needs $(PYTHON) on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

var/secret_key:
	@mkdir -p -m 700 var
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	@chmod 600 var/secret_key

## make run: set everything up and start the dashboard (Ctrl-C stops it all).
run: $(STAMP) var/secret_key
	@umask 077; export DJANGO_DEBUG=$${DJANGO_DEBUG:-0} DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)}; \
	$(PY) manage.py migrate --noinput -v 0 && \
	$(PY) manage.py collectstatic --noinput -v 0 && \
	$(PY) manage.py rundashboard

## system-deps: what the browser and PostgreSQL tests need from Debian (only as root, only if missing).
system-deps:
	@bash .ci/system-deps

## make test: dev dependencies, lint, migrations check, catalogues check, the whole suite (SQLite, then the
## non-browser tests again with the clock at 03:30 in Baku, then PostgreSQL).
test: $(DEV_STAMP) system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PASS_IGNORE_DOTENV=1 $(PY) manage.py makemigrations --check --dry-run
	@echo "== translation catalogues (az, ru, en): complete, compiled, covering every string =="
	$(PY) scripts/messages.py check
	@echo "== test suite on SQLite =="
	PASS_IGNORE_DOTENV=1 PASS_TESTING=1 DATABASE_URL= $(VENV)/bin/pytest
	@echo "== test suite at 03:30 in Baku (faketime; browser tests aside) =="
	PASS_IGNORE_DOTENV=1 PASS_TESTING=1 DATABASE_URL= $(PY) .ci/faketime_at.py 03:30 Asia/Baku -- \
		$(VENV)/bin/pytest -p no:cacheprovider --ignore=tests/browser
	@echo "== test suite on PostgreSQL =="
	PASS_IGNORE_DOTENV=1 PASS_TESTING=1 $(PY) .ci/with_postgres.py -- $(VENV)/bin/pytest

## The suite on one database only: `make test-sqlite` or `make test-postgres` (ARGS=... for pytest);
## `make test-at AT=22:40` runs it with the clock at that hour in Baku.
test-sqlite: $(DEV_STAMP)
	PASS_IGNORE_DOTENV=1 PASS_TESTING=1 DATABASE_URL= $(VENV)/bin/pytest $(ARGS)

test-at: $(DEV_STAMP) system-deps
	PASS_IGNORE_DOTENV=1 PASS_TESTING=1 DATABASE_URL= $(PY) .ci/faketime_at.py $(or $(AT),03:30) Asia/Baku -- \
		$(VENV)/bin/pytest -p no:cacheprovider $(ARGS)

test-postgres: $(DEV_STAMP) system-deps
	PASS_IGNORE_DOTENV=1 PASS_TESTING=1 $(PY) .ci/with_postgres.py -- $(VENV)/bin/pytest $(ARGS)

## make messages: after changing any user-facing string, update the catalogues (then translate).
messages: $(DEV_STAMP)
	$(PY) scripts/messages.py update

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make bench: the benchmarks; numbers printed and written to bench/RESULTS.md.
bench: $(DEV_STAMP)
	PASS_IGNORE_DOTENV=1 $(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .ruff_cache
