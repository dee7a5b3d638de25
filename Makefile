# Charter — developer entry points. Each target creates .venv on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP:= $(VENV)/.installed-dev
EXAMPLE ?= examples/telemetry

.PHONY: run test bench lint fmt clean example

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

## Open Charter on the bundled example workspace (a scratch copy; the original stays pristine).
run: $(STAMP)
	$(BIN)/python -m charter.app.services.example "$(EXAMPLE)"

## Run the whole test suite.
test: $(DEVSTAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

## Run the benchmarks and print their figures (never part of `make test`).
bench: $(DEVSTAMP)
	$(BIN)/python -m bench

## Lint with ruff.
lint: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(DEVSTAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
