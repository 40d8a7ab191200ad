"""Jobs: the whole chain, run daily and from `make run`."""

import dagster as dg

# Everything: ingest → dbt staging and marts (with their tests) → GX gates → summary.
thesis_daily_job = dg.define_asset_job(
    name="thesis_daily",
    selection=dg.AssetSelection.all(),
    description="Refresh every source, rebuild the marts, gate them, and recompute the thesis summary.",
)
