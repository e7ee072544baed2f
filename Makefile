# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pos --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/reservations.py
	$(BIN)/python tests/benchmarks/scan.py
	$(BIN)/python tests/benchmarks/catalogue.py
	$(BIN)/python tests/benchmarks/checkout.py
	$(BIN)/python tests/benchmarks/webhooks.py
	$(BIN)/python tests/benchmarks/till.py
	$(BIN)/python tests/benchmarks/backoffice.py
	$(BIN)/python tests/benchmarks/backup.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
