"""Source freshness: one non-blocking asset check per raw ingest asset (one per connector).

For every catalog series of the source, the latest observation (a row that has a value) is
compared with the run's reference date, `SourceSettings.reference_date()`: today in live mode,
the snapshot's recording date in replay, and the as-of date in demo, so the demo calendar is
judged by the same rule. A series whose latest observation is older than its frequency's
allowance (`max_lag_days` in `config/freshness.yaml`), or that was never loaded, is stale.
The check then fails at severity WARN: visible in the UI, blocking nothing (the summary applies
its own age rule per metric). It runs in its source's checks step (expectations/source_checks.py).
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import dagster as dg
import polars as pl

from assets import raw
from assets.markdown import md_table
from assets.sources.base import Connector
from config.catalog import Series, load_catalog
from config.freshness import FreshnessPolicy, load_freshness


@dataclass(frozen=True)
class SeriesFreshness:
    series_id: str
    frequency: str
    last_date: dt.date | None
    lag_days: int | None
    allowed_days: int

    @property
    def stale(self) -> bool:
        return self.lag_days is None or self.lag_days > self.allowed_days


def assess(
    series: Iterable[Series], latest: Mapping[str, dt.date], reference: dt.date, policy: FreshnessPolicy
) -> list[SeriesFreshness]:
    """Each series' latest observation against the reference date and its frequency's allowance."""
    out = []
    for s in series:
        last = latest.get(s.key)
        lag = (reference - last).days if last is not None else None
        out.append(SeriesFreshness(s.key, s.frequency, last, lag, policy[s.frequency].max_lag_days))
    return out


def latest_observations(con, connector: Connector) -> dict[str, dt.date]:
    """The date of each series' latest row with a value (a NULL row is a holiday, not data)."""
    table = raw.ident(connector.table)
    present = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
        [table],
    ).fetchall()[0][0]
    if not present:
        return {}
    series, day = raw.ident(connector.series_column), raw.ident(connector.date_column)
    has_value = " or ".join(f"{raw.ident(c)} is not null" for c in connector.revision_columns)
    rows = con.execute(f"select {series}, max({day}) from raw.{table} where {has_value} group by 1")
    return dict(rows.fetchall())


def spec(connector: Connector) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "freshness",
        asset=dg.AssetKey(["raw", connector.table]),
        blocking=False,
        description=f"Every {connector.source} series has an observation recent enough for its "
        "frequency (config/freshness.yaml), judged against the run's reference date. "
        "Warns; never blocks.",
    )


def result(con, connector: Connector, reference: dt.date) -> dg.AssetCheckResult:
    """The freshness check's evaluation of `connector`'s raw table on `con`."""
    latest = latest_observations(con, connector)
    assessed = assess(load_catalog().for_source(connector.source), latest, reference, load_freshness())
    stale = [a for a in assessed if a.stale]
    table = pl.DataFrame([asdict(a) | {"stale": a.stale} for a in assessed], strict=False)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["raw", connector.table]),
        check_name="freshness",
        passed=not stale,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "reference_date": str(reference),
            "series_checked": len(assessed),
            "stale_count": len(stale),
            "stale_series": dg.MetadataValue.json(
                [{**asdict(a), "last_date": str(a.last_date) if a.last_date else None} for a in stale]
            ),
            "series": dg.MetadataValue.md(md_table(table)),
        },
    )
