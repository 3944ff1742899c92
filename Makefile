# cqreport: `make` alone lists the targets.  On a fresh machine use ./run <target>,
# which first installs make, python3-venv and the PDF renderer's system libraries.

PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
QUARTER ?=
LANGS   ?= all

.DEFAULT_GOAL := help
.PHONY: help install report reports test test-fast lint fmt validate quarters bench lab screenshots clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name cqreport --display-name "cqreport (Python 3)" >/dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv and install cqreport with its test tools

report: $(STAMP) ## build the latest quarter's report (zh and en, HTML and PDF) into reports/
	$(BIN)/cqreport build $(if $(QUARTER),--quarter $(QUARTER),) --lang $(LANGS) --format html,pdf

reports: $(STAMP) ## build every quarter that has data
	$(BIN)/cqreport build --all --lang all --format html,pdf

test: $(STAMP) ## run the whole test suite (lint, unit, data, notebooks, PDF)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n 2 -q

test-fast: $(STAMP) ## run the tests that do not execute notebooks
	$(BIN)/pytest -q -m 'not slow'

lint: $(STAMP) ## ruff check
	$(BIN)/ruff check src tests bench

fmt: $(STAMP) ## ruff format and fix imports
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

validate: $(STAMP) ## validate the curated data in data/
	$(BIN)/cqreport validate

quarters: $(STAMP) ## list the quarters that have data
	$(BIN)/cqreport quarters

bench: $(STAMP) ## time the build against the plain papermill/nbconvert chain
	$(BIN)/python bench/bench_build.py

lab: $(STAMP) ## open JupyterLab on notebooks/ with the cqreport kernel
	$(BIN)/jupyter lab notebooks/

screenshots: $(STAMP) ## render built reports to PNG (installs chromium and poppler-utils)
	$(BIN)/python bench/screenshots.py

clean: ## remove the virtual environment and built reports
	rm -rf $(VENV) reports/*/ reports/index.html .pytest_cache
