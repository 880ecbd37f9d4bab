# Every target installs what it needs first, so a fresh clone with python3 and make is enough.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := constraints.txt
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test clean lock

install: $(STAMP)

# Exactly the versions in $(LOCK) (what CI tested); see "Dependencies" in the README.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

# Re-resolve: the newest versions pyproject.toml allows, in a fresh venv, frozen into $(LOCK).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ printf '%s\n' "# Exact versions for 'make install' (pip install -c). Made by 'make lock' on" \
	    "# Python $$(.lock-venv/bin/python -c 'import platform; print(platform.python_version())'); edit pyproject.toml, not this file."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable \
	    --exclude netra --exclude setuptools --exclude wheel; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv

serve: install
	$(BIN)/netra serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python tests/unified_test_runner.py --execution-mode comprehensive

clean:
	rm -rf $(VENV) .lock-venv .netra .pytest_cache .coverage htmlcov
