"""Load integrity: one blocking asset check per raw ingest asset (one per connector), run after
the load, in its source's checks step (expectations/source_checks.py).

It tells corruption from absence, series by series, from the latest real load of each catalog
series (`raw.load_audit`; a skip keeps the status of the load before it):
  * corruption blocks (ERROR): a body refused as corrupt (`rejected`: a duplicate date, a date in
    the future, NaN, an absurd or non-positive value), or a value already loaded that the source
    has since revised beyond gate.yaml's `revisions` limits, measured against the version that
    was current at this check's last good run on this warehouse (`audit.gate_runs`). The summary
    (which depends on every raw table for this) then does not run, and the last summary and the
    published copy stay as they were; dbt still builds (its own source tests check these tables,
    which exempts it from other checks' blocking), and the marts' gate sees the damage too;
  * absence warns (WARN): a series that failed (an outage, an error page, a partial answer) or is
    missing (not in a replay snapshot), or was never loaded. The summary marks what it feeds
    stale or no_data, with this reason and the series' last observation date.
"""

import datetime as dt
from dataclasses import asdict, dataclass

import dagster as dg
import duckdb
import polars as pl

from assets import raw
from assets.markdown import md_table
from assets.raw import SeriesLoad
from assets.sources.base import Connector
from config.catalog import Series, load_catalog
from config.gate import Allowances, load_allowances
from expectations import record

CHECK = "loads"
# Statuses of raw.load_audit, by what they mean for the verdict.
CORRUPT = "rejected"
ABSENT = ("failed", "missing")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Revision:
    """A series' largest revision beyond its limit since the last good check."""

    series_id: str
    obs_date: dt.date
    previous_value: float
    value: float
    size: float  # percent (levels) or points (series in percent)
    unit: str
    limit: float
    revised: int  # values of the series revised beyond the limit


def revisions(
    con: duckdb.DuckDBPyConnection,
    connector: Connector,
    series: list[Series],
    since: dt.datetime,
    allowances: Allowances,
) -> list[Revision]:
    """Series whose values were revised beyond gate.yaml's limits since `since`, each with its worst."""
    if connector.checked_value is None:
        return []
    table = raw.ident(connector.table)
    key, day, value = (
        raw.ident(c) for c in (connector.series_column, connector.date_column, connector.checked_value)
    )
    changed = con.sql(
        f"""
        with baseline as (
            -- The version that was current at `since`: the first one superseded after it.
            select {key} as series_id, {day} as obs_date, {value} as previous_value, superseded_at
            from raw.{table}_history
            where superseded_at > ?
            qualify row_number() over (partition by {key}, {day} order by superseded_at) = 1
        )
        select baseline.series_id, baseline.obs_date, baseline.previous_value,
               current.{value} as value, baseline.superseded_at
        from baseline
        inner join raw.{table} as current
            on current.{key} = baseline.series_id and current.{day} = baseline.obs_date
        where baseline.previous_value is not null and current.{value} is not null
            and baseline.previous_value <> current.{value}
        """,
        params=[since],
    ).pl()
    if changed.is_empty():
        return []
    limits = allowances.settings.revisions
    out = []
    for s in series:
        ref = f"{connector.source}/{s.key}"
        rows = changed.filter(pl.col("series_id") == s.key)
        accepted = allowances.revisions_accepted_through(ref)
        if accepted is not None:
            rows = rows.filter(pl.col("superseded_at").dt.date() > accepted)
        if rows.is_empty():
            continue
        in_points = s.unit.startswith("percent")
        limit, unit = (limits.percent_pp.limit, "pp") if in_points else (limits.level_pct.limit, "%")
        size = (
            (pl.col("value") - pl.col("previous_value")).abs()
            if in_points
            else ((pl.col("value") / pl.col("previous_value") - 1).abs() * 100)
        )
        beyond = rows.with_columns(size=size).filter(pl.col("size") > limit).sort("size", descending=True)
        if beyond.height:
            worst = beyond.row(0, named=True)
            out.append(
                Revision(
                    s.key,
                    worst["obs_date"],
                    worst["previous_value"],
                    worst["value"],
                    worst["size"],
                    unit,
                    limit,
                    beyond.height,
                )
            )
    return out


def describe(ref: str, load: SeriesLoad | None) -> str:
    """One line for the console and the metadata: the series, its status, why, and its last date."""
    if load is None:
        return f"{ref} was never loaded: no data of it in the warehouse"
    reached = f"; its data end {load.last_date}" if load.last_date else "; none of its data loaded"
    return f"{ref} {load.status}: {load.reason(ref)}{reached}"


def describe_revision(source: str, r: Revision) -> str:
    change = f"{r.previous_value:g} -> {r.value:g} on {r.obs_date} ({r.size:,.1f} {r.unit})"
    return (
        f"{source}/{r.series_id} revised {r.revised} loaded value(s) beyond ±{r.limit:g} {r.unit}, "
        f"the worst {change}: a unit or decimal error rewritten into history"
    )


def evaluate(
    con: duckdb.DuckDBPyConnection, connector: Connector, allowances: Allowances
) -> tuple[dict[str, SeriesLoad | None], list[Revision]]:
    """Each catalog series of the source (`source/id`) and its latest load (None: never loaded),
    and the source's revisions beyond the limits since the last good run of this check here."""
    raw.ensure_tables(con, connector)
    series = load_catalog().for_source(connector.source)
    latest = raw.latest_loads(con, connector.source)
    loads = {f"{connector.source}/{s.key}": latest.get(f"{connector.source}/{s.key}") for s in series}
    baseline = record.last_good(con, CHECK, _asset(connector).to_user_string())
    since = baseline.checked_at if baseline else _EPOCH
    return loads, revisions(con, connector, series, since, allowances)


def _asset(connector: Connector) -> dg.AssetKey:
    return dg.AssetKey(["raw", connector.table])


def spec(connector: Connector) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        CHECK,
        asset=_asset(connector),
        blocking=True,
        description=f"Tells corruption from absence in the latest {connector.source} loads. Blocks "
        "(ERROR) on a body refused as corrupt or a value revised beyond gate.yaml's limits; warns "
        "on a series that failed, is missing or was never loaded (the summary marks what it feeds "
        "stale or no_data, with the reason).",
    )


def result(con, connector: Connector, run_id: str, as_of: dt.date) -> dg.AssetCheckResult:
    """The load integrity check's evaluation of `connector`'s latest loads on `con`, recorded in
    the warehouse's gate record (its next baseline)."""
    loads, revised = evaluate(con, connector, load_allowances())
    corrupt = [describe(ref, x) for ref, x in loads.items() if x is not None and x.status == CORRUPT]
    absent = [describe(ref, x) for ref, x in loads.items() if x is None or x.status in ABSENT]
    blocking = [*corrupt, *(describe_revision(connector.source, r) for r in revised)]
    evaluation = record.Evaluation(
        CHECK,
        _asset(connector).to_user_string(),
        passed=not (blocking or absent),
        failed=len(blocking),
        warnings=len(absent),
        rows=None,
    )
    record.record(con, run_id, as_of, [evaluation])
    table = pl.DataFrame(
        [{"series": ref, **(asdict(x) if x else {"status": "never loaded"})} for ref, x in loads.items()],
        strict=False,
    )
    return dg.AssetCheckResult(
        asset_key=_asset(connector),
        check_name=CHECK,
        passed=evaluation.passed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "failed": len(blocking),
            "warnings": len(absent),
            # What blocks, one line each (the console prints these under the check's line).
            "failures": dg.MetadataValue.json([{"summary": line} for line in blocking]),
            # What is absent, one line each (the console prints these under the ingest step).
            "absent": dg.MetadataValue.json(absent),
            "revisions": dg.MetadataValue.json([{**asdict(r), "obs_date": str(r.obs_date)} for r in revised]),
            "series": dg.MetadataValue.md(md_table(table)),
        },
    )
