# The commands a newcomer needs: `make run` and `make test`. Everything sets itself up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
XERO_PORT ?= 8765

# Tests and benchmarks: PostgreSQL and Redis on localhost (started or installed by .ci/services.sh).
TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/integrations
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test services bench chaos clean

install: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt 2> >(grep -v "^WARNING: Location" >&2)
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2> >(grep -v "^WARNING: Location" >&2)
	@touch $(STAMP)

services:
	@bash .ci/services.sh

# Zero set-up: SQLite, jobs in-process, the local Xero beside the app.
run: install
	@bash .ci/run-local.sh $(PORT) $(XERO_PORT)

test: install services
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install services
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py bench_sync

chaos: install services
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py chaos_sync

clean:
	rm -rf $(VENV) db.sqlite3 .run
