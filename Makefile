# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
EBANK := $(BIN)/ebank
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck check-imports unit bench bench-api bench-switch clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  (echo "ebank needs Python 3.11 or newer" && exit 1)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: migrate the embedded database, load the demo bank if empty, run the bank.
run: install
	$(EBANK) db upgrade
	$(EBANK) demo --if-empty
	$(EBANK) serve

## make test: install, then lint, type-check, check the layers and run the whole suite.
test: install lint typecheck check-imports
	scripts/ensure-postgres
	scripts/ensure-chromium
	rm -rf var/test-report
	$(BIN)/python -m pytest
	scripts/check-test-report

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

check-imports: install
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/ledger.py

bench-api: install
	$(BIN)/python bench/api.py

bench-switch: install
	$(BIN)/python bench/switch.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis

## make messages: extract the web pages' messages with babel; list those without Chinese.
messages: install
	$(BIN)/python -m ebank.entrypoints.web.messages
