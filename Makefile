# Lazo — every set-up step lives here, so a fresh clone needs only `make run` / `make test`.
# The first Python 3.11+ on PATH (override with `make PYTHON=/path/to/python3.x ...`).
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do command -v $$p >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-pg ci browser bench demo install clean lint format

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Lazo needs Python 3.11 or newer: make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m ops.devrun

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-pg: $(STAMP)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test} $(PY) -m pytest -q $(PYTEST_ARGS)

# The browser the dashboard's end-to-end test drives: Debian's chromium (installed when
# /usr/bin/chromium is missing; needs root or sudo) and Playwright's Python client, which comes with
# the `test` extra. Never `playwright install`: the test uses the system browser.
browser: $(STAMP)
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium; \
	fi
	$(PY) -c 'import playwright' 2>/dev/null || $(PY) -m pip install -q -e '.[test,dev]'
	/usr/bin/chromium --version

# The linter ([tool.ruff] in pyproject.toml). `ruff format --check .` joins it once the tree has been
# formatted in one pass (`make format`, run once by whoever freezes main: not branch by branch).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# What CI runs: the linter, the suite on SQLite, then on PostgreSQL.
ci:
	./.ci/run

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# A simulated customer base driven through a running Lazo (start `make run` first), e.g.
# make demo DEMO_ARGS="--customers 300 --months 6 --program demo"
demo: $(STAMP)
	$(PY) -m demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
