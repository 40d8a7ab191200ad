"""The single Definitions of the thesis warehouse code location."""

import dagster as dg

from assets.dbt import dbt_models, dbt_project
from assets.ingest import ingest_assets
from assets.publish import published_warehouse
from assets.summary import thesis_summary
from config.resources import DbtResource, SourceSettings, WarehouseResource, dbt_executable
from expectations.checks import gx_checks
from expectations.source_checks import source_checks
from orchestration.alerts import AlertResource
from orchestration.jobs import thesis_daily_job
from orchestration.schedules import thesis_daily_schedule
from orchestration.sensors import thesis_run_failure_alert, thesis_status_flip_alert

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
