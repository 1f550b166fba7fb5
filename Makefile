# SecondVintage CRM. `make run` and `make test` set up everything they need on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
WATCHES ?= 80000

.PHONY: install run migrate test demo worker bench lint format migration clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create the virtualenv and install pinned dependencies

migrate: install  ## bring the database (SV_DATABASE_URL, or SQLite under var/) to the latest schema
	$(BIN)/python main.py migrate

run: migrate  ## serve http://localhost:8080 on the embedded default (or server mode when SV_* say so)
	$(BIN)/python main.py serve

test: install  ## the layer contracts and the whole test suite
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

demo: migrate  ## load demo data (WATCHES=80000 by default)
	$(BIN)/python main.py seed --watches $(WATCHES)

worker: migrate  ## a Huey worker for server mode (needs SV_REDIS_URL)
	$(BIN)/python main.py worker

bench: install  ## benchmarks: each script prints its figures
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: install  ## ruff, formatting and the layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migration: install  ## autogenerate a migration: make migration m="what changed"
	$(BIN)/alembic -c db/alembic.ini revision --autogenerate -m "$(m)"

clean:
	rm -rf $(VENV) artifacts screenshots
