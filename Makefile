# The two commands a fresh machine needs: `make demo` and `make test`.
# `make demo PORT=8092` serves on another port (default: [server] port, 8080).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?=

.PHONY: install demo serve seed test check format bench clean node-deps

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "installing dependencies into $(VENV) (about 30 s the first time)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: install  ## install, start the embedded PostgreSQL, seed when empty, serve on :8080 (PORT=N)
	$(BIN)/citizen-hub demo $(if $(PORT),--port $(PORT))

seed: install
	$(BIN)/citizen-hub seed

test: install node-deps  ## unit, integration (real PostgreSQL), end-to-end (HTTP, browser)
	$(BIN)/pytest

# The suites that drive the hub from Node keep their npm packages in their own folder,
# pinned by its package-lock.json: `npm ci` there when node_modules is missing or older
# than the lockfile. Without npm this says so, and those suites skip saying why.
NODE_SUITES := tests/federation tests/interop
node-deps: $(addsuffix /node_modules/.package-lock.json,$(NODE_SUITES))

%/node_modules/.package-lock.json: %/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "npm ci in $* ..."; npm ci --prefix $* --no-audit --no-fund --loglevel=error; \
	else echo "npm is not installed: the suites in $* will skip (apt-get install nodejs npm)"; fi

check: install  ## format, lint, types
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The hub against its raw-SQL floor and against PostGraphile 5 on a consolidated replica
# of the same data, interleaved in one run (bench/compare.py; installs PostGraphile and
# Node 22 with npm on first use). BENCH_ARGS passes options, e.g. --pg URL, --citizens N,
# --socket DIR (every side through the Unix socket), --hubs 1,2 (one process, two),
# --existing city_ (an already seeded city, read only); docs/performance.md.
bench: install
	$(BIN)/python -m bench.compare $(BENCH_ARGS)

# Stops the embedded PostgreSQL first (refused while a demo still uses it), so no server
# is left running on a deleted folder.
clean:
	@if [ -x $(BIN)/citizen-hub ]; then $(BIN)/citizen-hub db stop; \
	else pid=$$(head -1 .data/pg/postmaster.pid 2>/dev/null); \
	  if [ -n "$$pid" ] && ps -p "$$pid" -o comm= 2>/dev/null | grep -q postgres; then \
	    echo "stopping the embedded PostgreSQL (pid $$pid)"; kill -INT "$$pid"; \
	    while kill -0 "$$pid" 2>/dev/null; do sleep 0.2; done; \
	  fi; \
	fi
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
