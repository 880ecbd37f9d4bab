# Every target installs what it needs first, so a fresh clone with python3 and make is enough.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve check test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: install
	$(BIN)/netra serve --host $(HOST) --port $(PORT)

# Formatting, lint and types; tests/unit/test_code_quality.py runs these same lines.
check: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy --strict netra_backend import_guard test_framework
	$(BIN)/mypy tests

# The whole suite, with coverage of the packages and its floor (the runner's, 80% for all of it).
test: install
	$(BIN)/python tests/unified_test_runner.py --execution-mode comprehensive --coverage

# Load benchmark (not part of `make test`): Netra vs bare FastAPI vs python-socketio, ~4 min.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .netra .pytest_cache .coverage htmlcov
