# Everything runs in the project's own virtualenv, created on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
WAREHOUSE ?= data/warehouse.duckdb
START ?= 2021-10-01
END ?= 2024-05-01
WORKERS ?= 15
JOB := backfill_jobs/analytics/player_game_summary/player_game_summary_analytics_backfill.py
FEATURES_JOB := backfill_jobs/precompute/player_shot_zone_analysis/player_shot_zone_analysis_backfill.py

export NO_GCE_CHECK := True
export PYTHONPATH := $(CURDIR)

.PHONY: venv demo seed test lint bench chaos bigquery-test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

$(WAREHOUSE): | $(VENV)/.installed
	$(PY) -m shared.nba.sample_data --warehouse $(WAREHOUSE) --start-date $(START) --end-date $(END) --seed 7

seed: $(WAREHOUSE)

# The summary first, then the features that read it, over the same range.
demo: $(VENV)/.installed $(WAREHOUSE)
	$(PY) $(JOB) --warehouse $(WAREHOUSE) --start-date $(START) --end-date $(END) --parallel --workers $(WORKERS)
	$(PY) $(FEATURES_JOB) --warehouse $(WAREHOUSE) --start-date $(START) --end-date $(END) --parallel --workers $(WORKERS)

# Two workers: many tests wait on processes and signals, so they overlap well on 2 cores.
test: $(VENV)/.installed
	$(PY) -m pytest -q -m "not bigquery" -n 2

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check shared backfill_jobs bench tests
	$(VENV)/bin/ruff format --check shared backfill_jobs bench tests
	$(VENV)/bin/mypy shared backfill_jobs tests/doubles

# The figures page (bench/README.md) is regenerated from the results even when a target fails.
bench: $(VENV)/.installed
	$(PY) -m bench; status=$$?; $(PY) -m bench.report && exit $$status

# Kill/signal rounds and every known fault (full disks need root); CHAOS_ARGS=--quick etc.;
# then 25 mutations of a vendor file over its loaded game (INGEST_CHAOS_ARGS=--seed N).
chaos: $(VENV)/.installed
	$(PY) -m bench.chaos $(CHAOS_ARGS)
	$(PY) -m bench.chaos.ingest $(INGEST_CHAOS_ARGS)

bigquery-test: $(VENV)/.installed
	$(PY) -m pytest -q -m bigquery

clean:
	rm -rf $(VENV) data checkpoints
