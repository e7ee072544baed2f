# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DIST_STAMP := $(VENV)/.installed-dist

.PHONY: run test lint check bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# PyInstaller only for `make dist`: `make test` never needs it.
$(DIST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dist]'
	touch $(STAMP) $(DIST_STAMP)

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
	$(BIN)/python tests/benchmarks/journal.py
	@# The replica, the push home and the shop floor need a central PostgreSQL (the shop
	@# floor PgBouncer too, and it loads the whole machine for a few minutes).
	if [ -n "$$POS_TEST_DATABASE_URL" ]; then $(BIN)/python tests/benchmarks/replica.py \
		&& $(BIN)/python tests/benchmarks/sync.py \
		&& $(BIN)/python tests/benchmarks/search_indexes.py \
		&& $(BIN)/python tests/benchmarks/shop_floor.py; \
	else echo "replica.py, sync.py, search_indexes.py, shop_floor.py skipped:" \
		"set POS_TEST_DATABASE_URL to a PostgreSQL"; fi

# The bundle a shop installs: dist/kasa/ (run dist/kasa/kasa --self-test to check it) and,
# on Linux, dist/kasa-<version>-linux-<machine>.tar.gz with its install script.
dist: $(DIST_STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build packaging/kasa.spec
	if [ "$$(uname -s)" = Linux ]; then $(BIN)/python packaging/linux/tarball.py; fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
