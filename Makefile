# Two entry points: `make demo` (set up, then run the main job on the bundled examples)
# and `make test` (set up, then lint, type-check and run every test). Both create their
# own virtual environment in .venv on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint system bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dibao check
	$(BIN)/dibao regions
	$(BIN)/dibao evaluate --region hebi --date 2017-10-01 examples/households/contract_example.json
	DIBAO=$(BIN)/dibao examples/demo.sh

lint: $(STAMP)
	$(BIN)/ruff check engine tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

system:
	bash scripts/system-packages.sh

test: system lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/batch.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
