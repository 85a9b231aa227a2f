# Stockton homicides and the CHP partnership: did it change violent crime, or is it too early to tell?
# `make help` lists the targets. Each target sets up what it needs on first use.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
CITY ?=
AS_OF ?= today
INTERVENTION ?=
# extra notebook parameters, e.g. PARAMS="-p family=negbin -p n_simulations=400"
PARAMS ?=
export MPLBACKEND := Agg
# The run's variables reach the program through the environment, as text: $(value ...) takes
# them unexpanded and unexport keeps make from expanding them for the environment, so
# $(shell ...), backticks and quotes in them are never run by make or by a shell.
export ANALYSIS_RUN_CITY := $(value CITY)
export ANALYSIS_RUN_AS_OF := $(value AS_OF)
export ANALYSIS_RUN_INTERVENTION := $(value INTERVENTION)
export ANALYSIS_RUN_PARAMS := $(value PARAMS)
export ANALYSIS_BATCH_ARGS := $(value BATCH)
export ANALYSIS_RUN_REFRESH := $(value REFRESH)
export ANALYSIS_REPLAY_FROM := $(value REPLAY_FROM)
export ANALYSIS_REPLAY_TO := $(value REPLAY_TO)
unexport CITY AS_OF INTERVENTION PARAMS BATCH REPLAY_FROM REPLAY_TO REFRESH

.DEFAULT_GOAL := help
.PHONY: help setup data run batch replay test test-quick lint format bench lab clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: CITY, AS_OF (default today), INTERVENTION (default: the registry's), PARAMS"
	@echo "  offline: ANALYSIS_DATA_MIRROR=/folder/with/the/upstream/files make run"

$(VENV)/.installed: pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name analysis --display-name "Python (stockton-its)" >/dev/null
	@touch $@

setup: $(VENV)/.installed ## create .venv with the package, the dev tools and the Jupyter kernel

data: setup ## fetch the data sources into data/raw (from the ANALYSIS_DATA_MIRROR folder if set)
	$(PY) -m analysis.cli fetch

run: setup ## run the notebooks for CITY and AS_OF through papermill; print where the briefing is
	$(PY) -m analysis.cli run --from-environment

test: setup ## run the whole test suite (what CI runs; real data from ANALYSIS_DATA_MIRROR or ../shared/data)
	$(PY) -m pytest

test-quick: setup ## the inner loop: every test but the slow simulations and notebook runs
	$(PY) -m pytest -m "not slow and not notebook" -q

batch: setup ## every city x every as-of month 2012-12..2016-12 on Dask; more options: BATCH="--spec family=negbin"
	$(PY) -m analysis.cli batch --from 2012-12 --to 2016-12 --from-environment

replay: setup ## what could be said on each date: CITY (default the registry's), REPLAY_FROM..REPLAY_TO (2012-12..2016-12)
	$(PY) -m analysis.cli replay --from-environment

lint: setup ## ruff lint and format check of code and notebooks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup ## ruff format code and notebooks
	$(VENV)/bin/ruff format .

bench: setup ## print speed: fits, a full verdict, a batch on Dask vs serial, each against one GLM fit
	$(PY) benchmarks/bench_models.py
	$(PY) benchmarks/bench_verdict.py

lab: setup ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks

clean: ## remove outputs (data/processed, figures, reports, build); data/raw is kept
	rm -rf build data/processed/* figures/* reports/*
	git checkout -- data/processed/README.md figures/README.md reports/README.md 2>/dev/null || true
