# Two entry points (see README.md):
#   make run   - rebuild 10,000 flows in the embedded Azkaban sandbox through Airflow (SQLite)
#   make test  - ruff, import contracts (.importlinter), mypy and the whole pytest suite
# Everything else here is plumbing for those two (make test-fast: the same without the
# end-to-end tests).

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .bootstrap/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup test test-fast lint typecheck pytest run sandbox clean

$(UV):
	$(PYTHON) -m venv .bootstrap
	.bootstrap/bin/pip install --quiet uv

# --compile-bytecode: write every installed module's .pyc now, as pip does by default. Without
# it, and with PYTHONDONTWRITEBYTECODE set (as on our CI machines), every process compiles
# what it imports from source: 3.6-4.7 s for Airflow's imports instead of 1.5 s, paid by each
# task process, and 0.2 s more per pool start (docs/benchmarks.md).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --quiet --compile-bytecode
	touch $@

# Our own sources are installed editable: compile what changed (cheap when nothing did).
setup: $(VENV)/.synced
	@$(BIN)/python -m compileall -q include plugins dags >/dev/null

lint: setup
	$(BIN)/ruff check include plugins dags tests benchmarks
	$(BIN)/ruff format --check include plugins dags tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

test-fast: lint typecheck
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

run: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m azkaban_devstack $(RUN_ARGS)

sandbox: setup
	$(BIN)/azkaban-sandbox --port 8081 --data-dir var/sandbox $(SANDBOX_ARGS)

clean:
	rm -rf $(VENV) .bootstrap .pytest_cache .mypy_cache .ruff_cache build
