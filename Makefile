# Everyday entry points. Each target sets up its own virtual environment from the pinned requirements.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ADDR   ?= 127.0.0.1:8000

export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup serve build validate test lint schema clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (mkdocs-material 9)") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e . || $(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)             ## create .venv with everything pinned

serve: $(STAMP)             ## the portal on the sample plan, rebuilt on every save
	$(BIN)/mkdocs serve --dev-addr $(ADDR)

build: $(STAMP)             ## build site/ (the old site stays unless the build succeeds)
	$(BIN)/portal build --strict

validate: $(STAMP)          ## check the ledger: every problem at once, as file:line:column
	$(BIN)/portal validate

test: $(STAMP)              ## lint and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

schema: $(STAMP)            ## regenerate the committed JSON Schemas from the declared schema
	$(BIN)/portal schema

clean:
	rm -rf site .site.* .pytest_cache .ruff_cache
