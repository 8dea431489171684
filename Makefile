# Every target sets itself up: a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs what serving needs (the runtime dependencies), `make test` and every other
# target the `dev` extra besides. Both are editable installs, so an edit of the code is live at once;
# PIP_QUIET hides pip's progress and setuptools' "Editable installation" notice (a warning about folders
# named like the package, which is this checkout by design), not errors.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
PIP_QUIET = PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint fixtures docs bench bench-peers bench-instructions clean image-test

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_QUIET) -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_QUIET) -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

# Bytecode for the package, as a regular install has it: with PYTHONDONTWRITEBYTECODE set (common in
# containers and CI) Python would otherwise compile every module again at each start.
BYTECODE = $(BIN)/python -m compileall -q netspace_mock

run: $(RUN_STAMP)
	$(BYTECODE)
	$(BIN)/netspace-mock serve $(ARGS)

test: $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check netspace_mock tests bench tools
	$(BIN)/ruff format --check netspace_mock tests bench tools

fixtures: $(STAMP)
	$(BIN)/python tools/fixtures.py

docs: $(STAMP)
	$(BIN)/python tools/docs.py

bench: $(STAMP)
	$(BYTECODE)
	$(BIN)/python bench/run.py $(ARGS)

# `make bench`, then Prism and WireMock beside the catalog, in the same run and summary.
# Needs node, npm and java: installs Prism and WireMock into bench/.peers/ on first use.
bench-peers: $(STAMP)
	$(BYTECODE)
	$(BIN)/python bench/run.py --with-peers $(ARGS)

# Instructions per request under valgrind's callgrind (bench/instructions.py): steady on a busy machine.
bench-instructions: $(STAMP)
	$(BYTECODE)
	$(BIN)/python bench/run.py --only instructions $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache

# Build the Dockerfile on a Debian base made here (mmdebstrap, no registry), run it and check it:
# tools/image-test.sh. Needs root, podman and mmdebstrap; caches under build/image-test/.
image-test:
	tools/image-test.sh
