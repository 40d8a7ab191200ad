"""Each source's checks in one step: its freshness (expectations/freshness.py: warns) and its
load integrity (expectations/loads.py: blocks on corruption), both on the raw table the source's
ingest asset loads.

One step per source rather than one per check: each step costs the run its own start, pool slot
and events (about 0.15 s on 2 cores), and both checks read the same table right after the same
load. The UI still shows, and can run, each check on its own (`can_subset`); a source's checks
still run apart from the other sources', so one failed load leaves the others' checks standing.
"""

import dagster as dg

from assets.ingest import CONNECTORS
from assets.sources.base import Connector
from config.resources import SourceSettings, WarehouseResource
from expectations import freshness, loads


def _build(connector: Connector) -> dg.AssetChecksDefinition:
    fresh, load = freshness.spec(connector), loads.spec(connector)

    @dg.multi_asset_check(
        name=f"{connector.table}_checks",
        specs=[fresh, load],
        can_subset=True,
        pool="warehouse",
        description=f"The {connector.source} load's freshness (warns) and integrity (blocks on corruption).",
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, sources: SourceSettings
    ):
        reference = sources.reference_date()
        selected = context.selected_asset_check_keys
        with warehouse.connect() as con:
            if fresh.key in selected:
                yield freshness.result(con, connector, reference)
            if load.key in selected:
                yield loads.result(con, connector, context.run.run_id, reference)

    return _checks


source_checks = [_build(c) for c in CONNECTORS]
