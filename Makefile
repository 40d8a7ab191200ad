# Thesis Warehouse — everything a newcomer needs: `make run`, then `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3.11
UV_VERSION  := 0.13.9
VENV        := .venv
BIN         := $(VENV)/bin
UV          := $(BIN)/uv

# The venv's tools (dbt, dagster, duckdb) first on PATH: dagster-dbt runs `dbt` from PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

# The profile (README, docs/scaling.md): `file` (the default: one DuckDB file, SQLite instance) or
# `team` (Dagster's instance in PostgreSQL, the warehouse a DuckLake with its catalog there too).
export THESIS_PROFILE ?= file
# `make team-up`'s PostgreSQL cluster: project-local, loopback only (orchestration/team_cluster.py).
TEAM_DIR     := $(CURDIR)/.team
TEAM_PG_PORT ?= 54329

# Project-local state: nothing leaks into ~/.dagster or ~/.dbt, and nothing phones home.
ifeq ($(THESIS_PROFILE),team)
export DAGSTER_HOME                 := $(TEAM_DIR)/dagster_home
INSTANCE_YAML                       := orchestration/dagster-team.yaml
export THESIS_DAGSTER_PG_URL        ?= postgresql+psycopg2://thesis@127.0.0.1:$(TEAM_PG_PORT)/thesis_dagster
else
export DAGSTER_HOME                 := $(CURDIR)/.dagster_home
INSTANCE_YAML                       := orchestration/dagster.yaml
endif
export DAGSTER_DISABLE_TELEMETRY    := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK                 := 1
export GX_ANALYTICS_ENABLED         := false
export THESIS_DATA_DIR              ?= $(CURDIR)/data
export WAREHOUSE_PATH               ?= $(THESIS_DATA_DIR)/warehouse.duckdb

# The UI binds loopback only; `make dev DEV_HOST=0.0.0.0` exposes it (it has no authentication).
DEV_HOST    ?= 127.0.0.1
DEV_PORT    ?= 3000
# SIGKILL trials of the crash-safety harness run by `make crash` (`make test` runs a few).
CRASH_TRIALS ?= 50
# `make replay-real`: a folder of real payloads (<source>/<vintage>_<who>/<file>, gzipped or not).
REAL_DATA   ?= tests/fixtures/real
# `make replay`: each snapshot replays into its own warehouse and data folder under here.
REPLAY_DIR  ?= $(THESIS_DATA_DIR)/replay

RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
MANIFEST      := dbt_project/target/manifest.json
DBT_SOURCES   := $(shell find dbt_project/models dbt_project/seeds dbt_project/macros dbt_project/tests -type f 2>/dev/null) \
                 dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: help run replay replay-real test fuzz crash dev sql bench lint fmt lock clean team-up team-down
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: with PYTHONDONTWRITEBYTECODE set (as on our build machines) Python never caches
# bytecode, and every import of dagster, dbt and GX would recompile them: 2-2.5x slower start-ups.
# pyproject.toml too: the editable install maps only the packages it lists (a new package needs it).
$(RUNTIME_STAMP): requirements.lock pyproject.toml | $(UV)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

$(DEV_STAMP): requirements-dev.lock $(RUNTIME_STAMP)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements-dev.lock
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: $(INSTANCE_YAML)
	@mkdir -p $(DAGSTER_HOME)
	cp $< $@

# With the runs' vars (config/theses/), so a run's `dbt build` reuses this parse, even in a new warehouse.
$(MANIFEST): $(DBT_SOURCES) $(wildcard config/theses/*.yaml) $(RUNTIME_STAMP)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --vars "$$(../$(BIN)/python -m config.theses --dbt-vars)"
	@touch $@

run: $(RUNTIME_STAMP) $(DAGSTER_HOME)/dagster.yaml $(MANIFEST) ## run the whole pipeline on the demo data and print the thesis summary
	$(BIN)/python -m orchestration.cli run

replay: $(RUNTIME_STAMP) $(DAGSTER_HOME)/dagster.yaml $(MANIFEST) ## replay a snapshot (SNAPSHOT=<dir>) into its own warehouse and print its verdict
	@test -n "$(SNAPSHOT)" || { echo "usage: make replay SNAPSHOT=<snapshot folder>"; exit 2; }
	THESIS_SOURCE_MODE=replay THESIS_SNAPSHOT_DIR=$(abspath $(SNAPSHOT)) \
	THESIS_DATA_DIR=$(REPLAY_DIR)/$(notdir $(abspath $(SNAPSHOT))) \
	WAREHOUSE_PATH=$(REPLAY_DIR)/$(notdir $(abspath $(SNAPSHOT)))/warehouse.duckdb \
	$(BIN)/python -m orchestration.cli run

replay-real: $(RUNTIME_STAMP) ## the real payloads (REAL_DATA=, default tests/fixtures/real), newest vintage per series, replayed
	$(BIN)/python -m orchestration.cli snapshot --from $(REAL_DATA) --to $(THESIS_DATA_DIR)/snapshots/real
	$(MAKE) --no-print-directory replay SNAPSHOT=$(THESIS_DATA_DIR)/snapshots/real

test: $(DEV_STAMP) $(DAGSTER_HOME)/dagster.yaml $(MANIFEST) ## lint and run every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# `make fuzz`: the parser fuzzing at 10,000 bodies a parser (`make test` runs 300); the smallest
# body of each distinct failure is saved under FUZZ_FAILURES, to become a regression fixture.
FUZZ_FAILURES ?= $(THESIS_DATA_DIR)/fuzz-failures
fuzz: $(DEV_STAMP) ## fuzz every parser with 10,000 bodies mutated from the real payloads
	HYPOTHESIS_PROFILE=fuzz THESIS_FUZZ_FAILURES=$(FUZZ_FAILURES) $(BIN)/pytest -p no:cacheprovider tests/test_fuzz.py

crash: $(DEV_STAMP) $(MANIFEST) ## SIGKILL the pipeline at random points 50 times (CRASH_TRIALS); nothing may be lost
	THESIS_CRASH_TRIALS=$(CRASH_TRIALS) THESIS_CRASH_RECORD=$(CURDIR)/bench/results/crash-$$(date -u +%Y-%m-%d).json \
	$(BIN)/pytest -m crash

dev: $(RUNTIME_STAMP) $(DAGSTER_HOME)/dagster.yaml $(MANIFEST) ## the Dagster UI on http://127.0.0.1:3000 (DEV_HOST, DEV_PORT)
	$(BIN)/dagster dev -w workspace.yaml -h $(DEV_HOST) -p $(DEV_PORT)

sql: $(RUNTIME_STAMP) ## read-only SQL shell on the analysts' published copy
	$(BIN)/python -m orchestration.cli sql

bench: $(DEV_STAMP) $(DAGSTER_HOME)/dagster.yaml $(MANIFEST) ## benchmark suite; writes bench/results/<date>.json and .md
	$(BIN)/python -m bench $(BENCH_ARGS)

team-up: $(RUNTIME_STAMP) ## start the team profile's local PostgreSQL (.team/pg, 127.0.0.1:TEAM_PG_PORT) and create its databases
	$(BIN)/python -m orchestration.team_cluster up --dir $(TEAM_DIR)/pg --port $(TEAM_PG_PORT)

team-down: $(RUNTIME_STAMP) ## stop it (its data stay in .team/pg)
	$(BIN)/python -m orchestration.team_cluster down --dir $(TEAM_DIR)/pg --port $(TEAM_PG_PORT)

fmt: $(DEV_STAMP) ## format and fix lint
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: $(UV) ## re-pin requirements*.lock from pyproject.toml
	$(UV) pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 --generate-hashes -q -o requirements-dev.lock

clean: ## remove build outputs and the local warehouse (keeps the venv)
	rm -rf data dbt_project/target dbt_project/logs .dagster_home .pytest_cache bench/.work .team/dagster_home
