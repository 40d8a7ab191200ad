"""Ingest assets: one per source family, each loading every catalog series of that source, and
one for the genai-prices package data (not an HTTP source: the same rows in every mode).

A series that fails (HTTP error, a body that is not data, a snapshot without it) is recorded in
`raw.load_audit` and skipped; the others still load, and the summary marks the pillars it feeds
as stale. Only a failure of the warehouse itself fails the asset (and is retried).
"""

import datetime as dt

import dagster as dg
import polars as pl

from assets import raw
from assets.markdown import md_table
from assets.sources import fred, genai_prices, imf, openrouter, worldbank, yahoo
from assets.sources.base import Connector, SeriesMissing, SourceError, Window
from orchestration.catalog import DEMO_START, Series, load_catalog
from orchestration.resources import SourceSettings, WarehouseResource

CONNECTORS: tuple[Connector, ...] = (
    fred.CONNECTOR,
    yahoo.CONNECTOR,
    worldbank.CONNECTOR,
    imf.CONNECTOR,
    openrouter.CONNECTOR,
)

# How far back an incremental fetch re-reads, so revisions land (CPI seasonal factors move for
# years; daily market data is final within days).
LOOKBACK = {
    "business_daily": dt.timedelta(days=30),
    "daily": dt.timedelta(days=30),
    "weekly": dt.timedelta(weeks=13),
    "monthly": dt.timedelta(days=2 * 366),
    "quarterly": dt.timedelta(days=3 * 366),
    "annual": dt.timedelta(days=5 * 366),
}


def fetch_window(series: Series, last_loaded: dt.date | None, as_of: dt.date, mode: str) -> Window:
    """From the series' first date (demo: 2015-01-01) on a first load, else a lookback window."""
    first = DEMO_START if mode == "demo" else series.start
    if last_loaded is None:
        return Window(first, as_of)
    return Window(max(first, last_loaded - LOOKBACK[series.frequency]), as_of)


def _last_loaded(con, connector: Connector) -> dict[str, dt.date]:
    raw.ensure_tables(con, connector)
    table, series, day = (
        raw.ident(connector.table),
        raw.ident(connector.series_column),
        raw.ident(connector.date_column),
    )
    return dict(con.execute(f"select {series}, max({day}) from raw.{table} group by 1").fetchall())


def _series_metadata(con, connector: Connector, run_id: str) -> pl.DataFrame:
    return con.sql(
        """
        select series_id, status, origin, rows_in_body, rows_new, rows_revised, first_date, last_date, error
        from raw.load_audit where run_id = ? and source = ? order by series_id
        """,
        params=[run_id, connector.source],
    ).pl()


def ingest(
    context, connector: Connector, warehouse: WarehouseResource, sources: SourceSettings
) -> dg.MaterializeResult:
    """Fetch, parse and load every series of one source; shared by all ingest assets."""
    series_list = load_catalog().for_source(connector.source)
    mode, as_of = sources.resolved_mode(), sources.as_of_date()
    with warehouse.connect() as con:
        last = _last_loaded(con, connector)
    parsed: list[raw.Parsed] = []
    failures: list[raw.Failure] = []
    with sources.bodies() as bodies:
        for series in series_list:
            window = fetch_window(series, last.get(series.key), as_of, mode)
            try:
                body = bodies.get(connector, series, window)
                parsed.append(raw.Parsed(body, connector.parse(body)))
            except SourceError as exc:
                status = "missing" if isinstance(exc, SeriesMissing) else "failed"
                context.log.warning(f"{status}: {exc}")
                failures.append(raw.Failure(series.key, status, str(exc), bodies.origin))
    with warehouse.connect() as con:
        raw.load(con, connector, parsed, failures, context.run.run_id)
        table = raw.ident(connector.table)
        total = con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
        per_series = _series_metadata(con, connector, context.run.run_id)
    loaded = per_series.filter(pl.col("status") == "loaded")
    origins = sorted({p.body.origin for p in parsed}) or [bodies.origin]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(total),
            "series_loaded": len(parsed),
            "series_failed": dg.MetadataValue.json([f.series_id for f in failures]),
            "rows_new": int(loaded["rows_new"].sum() or 0),
            "rows_revised": int(loaded["rows_revised"].sum() or 0),
            "first_date": str(loaded["first_date"].min()) if len(loaded) else "",
            "last_date": str(loaded["last_date"].max()) if len(loaded) else "",
            "origin": ", ".join(origins),
            "series": dg.MetadataValue.md(md_table(per_series)),
        }
    )


def _build(connector: Connector) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", connector.table],
        group_name="ingest",
        kinds={"duckdb", "python"},
        pool="warehouse",
        description=connector.description,
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
        metadata={"dagster/table_name": f"raw.{connector.table}"},
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourceSettings):
        return ingest(context, connector, warehouse, sources)

    return _ingest


@dg.asset(
    key=["raw", genai_prices.TABLE.table],
    group_name="ingest",
    kinds={"duckdb", "python"},
    pool="warehouse",
    description=genai_prices.TABLE.description,
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
    metadata={"dagster/table_name": f"raw.{genai_prices.TABLE.table}"},
)
def genai_prices_ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    version = genai_prices.package_version()
    rows = genai_prices.extract(genai_prices.providers(), version)
    bodies = genai_prices.bodies(rows, version, dt.datetime.now(dt.UTC))
    parsed = [raw.Parsed(body, part) for body, part in bodies]
    table = raw.ident(genai_prices.TABLE.table)
    with warehouse.connect() as con:
        stats = raw.load(con, genai_prices.TABLE, parsed, [], context.run.run_id)
        total = con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(total),
            "package_version": version,
            "providers": dg.MetadataValue.json(sorted(b.key for b, _ in bodies)),
            "rows_in_package": rows.num_rows,
            "rows_new": sum(s.rows_new for s in stats),
            "rows_revised": sum(s.rows_revised for s in stats),
            "origin": "package",
        }
    )


ingest_assets = [*(_build(c) for c in CONNECTORS), genai_prices_ingest]
