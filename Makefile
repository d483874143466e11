# The commands a newcomer needs: `make run` and `make test` (and `make serve`, as production runs). Everything sets itself up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
XERO_PORT ?= 8765

# Tests and benchmarks: PostgreSQL and Redis on localhost (started or installed by .ci/services.sh).
# Each run takes a free slot N (.ci/slot.py): Redis database N and PostgreSQL database integrations_N, so
# runs at once on one machine do not flush each other's queues.
PG_URL ?= postgres://postgres:postgres@127.0.0.1:5432
REDIS_BASE ?= redis://127.0.0.1:6379
IN_SLOT = slot=$$($(PY) .ci/slot.py acquire) && trap "$(PY) .ci/slot.py release $$slot" EXIT && \
	DATABASE_URL=$(PG_URL)/integrations_$$slot REDIS_URL=$(REDIS_BASE)/$$slot

# `make serve`: a database and a Redis database of its own, kept between runs (one `make serve` per machine on
# these; a second one at once: other SERVE_DB, SERVE_REDIS_DB, PORT and XERO_PORT). The test slots are 8-15.
SERVE_DB ?= integrations_serve
SERVE_REDIS_DB ?= 7
WORKERS ?= 2

.PHONY: install run serve test test-fast services browser bench chaos clean

install: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt 2> >(grep -v "^WARNING: Location" >&2)
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2> >(grep -v "^WARNING: Location" >&2)
	@touch $(STAMP)

services:
	@bash .ci/services.sh

# Debian's Chromium for the Playwright browser test (installed with apt-get when missing and root).
browser:
	@bash .ci/browser.sh

# Zero set-up: SQLite, jobs in-process, the local Xero beside the app.
run: install
	@bash .ci/run-local.sh $(PORT) $(XERO_PORT)

# The production process set (Procfile) under honcho, on PostgreSQL and Redis, with the local Xero.
serve: install services
	@DATABASE_URL=$(PG_URL)/$(SERVE_DB) REDIS_URL=$(REDIS_BASE)/$(SERVE_REDIS_DB) WORKERS=$(WORKERS) \
		exec bash .ci/serve.sh $(PORT) $(XERO_PORT)

test: install services browser
	@$(IN_SLOT) DATABASE_CONN_MAX_AGE=0 $(PY) -m pytest -q $(PYTEST_ARGS)

# The fast tier: SQLite (the ORM twins of the push's PostgreSQL statements), Redis for the real queues; no
# browser, no chaos, no other slow system test.
test-fast: install services
	@$(IN_SLOT) DATABASE_URL=sqlite:///$$(mktemp -d)/fast.sqlite3 $(PY) -m pytest -q -m "not slow" \
		--ignore=tests/browser --ignore=tests/xero_plugin/sandbox $(PYTEST_ARGS)

bench: install services
	@$(IN_SLOT) $(PY) manage.py bench_sync $(BENCH_ARGS)

chaos: install services
	@$(IN_SLOT) $(PY) manage.py chaos_sync $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 .run
