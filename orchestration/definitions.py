"""The single Definitions of the thesis warehouse code location.

The theses' assets are built here from config/theses/ (one per file, read and validated when the
definitions load: YAML only, no network, no dbt): a bad file fails the load, `dg check defs`
included, with an error naming the file, the line and the key.
"""

import dagster as dg

from assets.dbt import dbt_models, dbt_project
from assets.ingest import ingest_assets
from assets.publish import published_warehouse
from assets.theses import build_thesis_assets
from config.resources import DbtResource, SourceSettings, WarehouseResource, dbt_executable
from config.theses import load_theses
from expectations.checks import gx_checks
from expectations.source_checks import source_checks
from orchestration.alerts import AlertResource
from orchestration.jobs import thesis_daily_job
from orchestration.schedules import thesis_daily_schedule
from orchestration.sensors import thesis_run_failure_alert, thesis_status_flip_alert

thesis_summary = build_thesis_assets(load_theses())

defs = dg.Definitions(
    assets=[*ingest_assets, dbt_models, thesis_summary, published_warehouse],
    asset_checks=[*gx_checks, *source_checks],
    jobs=[thesis_daily_job],
    schedules=[thesis_daily_schedule],
    sensors=[thesis_run_failure_alert, thesis_status_flip_alert],
    resources={
        "warehouse": WarehouseResource(),
        "sources": SourceSettings(),
        "alerts": AlertResource(),
        "dbt": DbtResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    },
    # One process, steps in order: on 2 cores this is twice as fast as a process per step, and
    # it keeps a single writer on the DuckDB file.
    executor=dg.in_process_executor,
)
