# Two commands do all the set-up: `make run` (demo on SQLite) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app
HOST ?= 127.0.0.1
PORT ?= 5000
# Exported so every step (seed, scheduler, web) builds links to the address served.
export HOST PORT

.PHONY: run test lint typecheck pytest fuzz bench clean install dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install when the pins change; the stamp files record what was installed.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) ./scripts/serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Both cores by default; PYTEST_ARGS="-x tests/jobs" runs a part.
PYTEST_ARGS ?= -n auto
CHROMIUM := /usr/bin/chromium

pytest: $(VENV)/.installed-dev
	@test -x $(CHROMIUM) || { echo "make test: $(CHROMIUM) is missing (browser tests). Install it with:" >&2; \
	  echo "  sudo apt-get install -y chromium chromium-driver fonts-wqy-zenhei faketime" >&2; exit 1; }
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The schemathesis run of tests/test_openapi.py with more examples per operation.
fuzz: $(VENV)/.installed-dev
	OPENAPI_EXAMPLES=$${OPENAPI_EXAMPLES:-100} $(BIN)/pytest -q tests/test_openapi.py

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
