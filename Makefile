# Everyday entry points. Each target sets up its own virtual environment from the pinned requirements.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ADDR   ?= 127.0.0.1:8000

export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

BROWSER_STAMP := tests/browser/node_modules/.installed-stamp
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup sample browser-setup office-setup serve build build-offline validate test lint schema screenshots bench wheel bundle clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (mkdocs-material 9)") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)             ## create .venv with everything pinned

# The sample's story: the sample plan's 2020 history as its departments committed it, with the monthly snapshots
# of April to August, in a repository of its own (scripts/sample_history.py; made again when its inputs change).
SAMPLE := .cache/sample

sample: $(STAMP)            ## the sample's scripted 2020 history and its snapshots, in .cache/sample
	$(BIN)/python scripts/sample_history.py $(SAMPLE)

serve: sample               ## the portal on the sample plan as it stood on 2020-09-30, rebuilt on every save
	$(BIN)/mkdocs serve -f $(SAMPLE)/mkdocs.yml --dev-addr $(ADDR)

build: sample               ## build site/ from the sample's story (the old site stays unless the build succeeds)
	$(BIN)/portal build --strict -f $(SAMPLE)/mkdocs.yml -d site

build-offline: $(STAMP)     ## a copy that works from file:// (a USB stick): site-offline/ and site-offline.zip
	$(BIN)/portal build --strict -f mkdocs.offline.yml -d site-offline
	rm -f site-offline.zip && $(BIN)/python -m zipfile -c site-offline.zip site-offline/

validate: $(STAMP)          ## check the ledger: every problem at once, as file:line:column
	$(BIN)/portal validate

# The browser tests use Debian's chromium and CJK fonts (apt) and axe-core (npm), never a downloaded browser.
$(BROWSER_STAMP): tests/browser/package.json tests/browser/package-lock.json
	@if [ ! -x "$(CHROMIUM)" ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  echo "installing Debian's chromium and CJK fonts for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

browser-setup: $(BROWSER_STAMP)

# The monthly report and the Excel 台账 are printed to PDF by LibreOffice in the tests (tests/test_report.py,
# tests/test_xlsx.py): Debian's Writer and Calc without a GUI, and Carlito (Calibri's metrics, which Excel's
# column widths are measured in); about 40 s with apt. Where they cannot be installed, those tests are skipped,
# saying why.
OFFICE_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui fonts-crosextra-carlito
office-setup:
	@if ! command -v soffice >/dev/null 2>&1 || [ ! -e /usr/lib/libreoffice/program/libsclo.so ] \
	    || ! fc-match Calibri 2>/dev/null | grep -q Carlito; then \
	  echo "installing Debian's LibreOffice Writer and Calc for the PDF tests"; \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    $(OFFICE_PACKAGES) >/dev/null; } || echo "LibreOffice not installed: the PDF tests are skipped"; \
	fi

test: $(STAMP) $(BROWSER_STAMP) office-setup   ## lint and the whole test suite, browser tests included
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

schema: $(STAMP)            ## regenerate the committed JSON Schemas from the declared schema
	$(BIN)/portal schema

screenshots: $(STAMP) $(BROWSER_STAMP)  ## the README's screenshots, made by the browser tests
	PORTAL_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py -k screenshots

# The scale benchmark (scripts/bench.py): build time against plain MkDocs, history, serve, memory, page weight.
# `make bench BENCH=quick` runs a tiny size that only checks the benchmark works (as CI does).
BENCH ?= full
bench: $(STAMP)             ## the scale benchmark; ends with one NAME VALUE TARGET PASS|MISS line per target
	$(BIN)/python scripts/bench.py $(if $(filter quick,$(BENCH)),--quick)

wheel: $(STAMP)             ## the portal as a wheel: dist/progress_portal-VERSION-py3-none-any.whl
	$(BIN)/python scripts/bundle.py wheel

# The offline bundle for an intranet without a package index: the portal's wheel and every pinned requirement's
# wheels for Linux x86_64 and Windows x64 on Python 3.11-3.13, install scripts, a sample project, SHA256SUMS.
# Wheels are downloaded once into .cache/bundle/wheels and reused (nothing is downloaded when they are all there).
bundle: $(STAMP)            ## dist/progress-portal-offline-VERSION.tar.gz and .zip (docs/deploy.md)
	$(BIN)/python scripts/bundle.py bundle

clean:
	rm -rf site site-offline site-offline.zip .site.* .pytest_cache .ruff_cache
