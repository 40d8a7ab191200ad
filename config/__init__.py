"""The configuration layer: every file a user edits, and the small package that validates them.

The bottom layer of the project: `assets/`, `expectations/` and `orchestration/` read their
settings through it, and it imports none of them (tests/test_layers.py keeps it so).

- catalog.yaml, catalog.py: every series the warehouse loads (source, pillar, frequency, demo)
- freshness.yaml, freshness.py: per frequency, how often to refetch and how old data may be
- gate.yaml, gate.py: the quality gate's allowances (row drops, moves, gaps, agreement)
- theses/<id>.yaml, theses.py: one thesis per file (all evaluated): its pillars, metrics,
  thresholds and weights; `python -m config.theses` checks them
- signals.py: what a metric's signal may ask of dbt (series, transform, window) and its column
- loading.py: a YAML file read into a pydantic model, with errors that name the key
- resources.py: the Dagster resources, read from the environment when a run starts: the
  warehouse (WarehouseResource), where source bodies come from (SourceSettings), dbt (DbtResource)
- warehouse_lock.py: the warehouse resource's lock, one run at a time on a warehouse (a flock
  on the file; in the team profile an advisory lock in the lake catalog's PostgreSQL)
- lake.py: the team profile's warehouse, a DuckLake: its extension files, ATTACH, the published
  snapshot; dbt_lake_plugin.py: dbt-duckdb loads the same extension files
"""
