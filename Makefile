# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo serve seed test check format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: install  ## install, start the embedded PostgreSQL, seed when empty, serve on :8080
	$(BIN)/citizen-hub demo

seed: install
	$(BIN)/citizen-hub seed

test: install  ## unit, integration (real PostgreSQL), end-to-end (HTTP, browser)
	$(BIN)/pytest

check: install  ## format, lint, types
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench.graph

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
