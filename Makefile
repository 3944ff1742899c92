# cqreport: `make` alone lists the targets.  On a fresh machine use ./run <target>,
# which first installs make, python3-venv and the PDF renderer's system libraries.

PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
QUARTER ?=
LANGS   ?= all

.DEFAULT_GOAL := help
.PHONY: help install report reports preview test test-fast test-lab lint fmt validate quarters bench lab screenshots clean

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

preview: $(STAMP) ## serve the latest quarter's report on 127.0.0.1, rebuilt on every save (QUARTER=, LANGS=zh|en)
	$(BIN)/cqreport preview $(if $(QUARTER),--quarter $(QUARTER),) --lang $(if $(filter all,$(LANGS)),zh,$(LANGS))

test: $(STAMP) ## run the whole test suite (lint, unit, data, notebooks, PDF)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n 2 -q -m 'not lab'

test-fast: $(STAMP) ## run the tests that do not execute notebooks
	$(BIN)/pytest -q -m 'not slow and not lab'

test-lab: $(STAMP) ## open both notebooks in JupyterLab in Chromium, run them, check the committed files stay clean
	$(BIN)/pytest -q -m lab

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

# JupyterLab opens working copies, never the committed notebooks: autosave and edited parameters
# then land in reports/lab/ (not committed), and notebooks/*.ipynb stay as committed.
LAB_DIR  ?= reports/lab
LAB_ARGS ?=
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP) ## open JupyterLab on working copies of the notebooks (reports/lab/), on 127.0.0.1
	@mkdir -p $(LAB_DIR)
	@for nb in notebooks/*.ipynb; do \
	  copy=$(LAB_DIR)/$$(basename $$nb); \
	  if [ ! -e $$copy ]; then cp $$nb $$copy; echo "lab: working copy $$copy"; \
	  elif [ $$nb -nt $$copy ]; then echo "lab: $$nb changed since $$copy was made; delete the copy to start again from it"; fi; \
	done
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(LAB_DIR) $(LAB_ROOT) $(LAB_ARGS)

screenshots: $(STAMP) ## render built reports to PNG (installs chromium and poppler-utils)
	$(BIN)/python bench/screenshots.py

clean: ## remove the virtual environment and built reports
	rm -rf $(VENV) reports/*/ reports/index.html .pytest_cache
