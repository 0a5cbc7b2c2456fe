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

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --quiet
	touch $@

setup: $(VENV)/.synced

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
