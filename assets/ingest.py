"""Ingest assets: one per source family, each loading every catalog series of that source, and
one for the genai-prices package data (not an HTTP source: the same rows in every mode).

A series that fails is recorded in `raw.load_audit` and skipped; the others still load, and the
summary marks the pillars it feeds as stale. Whatever is raised while one series is fetched or
parsed fails that series alone: a SourceError (an HTTP error, a body that is not data, a snapshot
without it) with its own status, and any other exception (a parser bug, an error the HTTP layer
did not expect) as `failed` with its type and message, so a bug is never taken for an outage.
Only a failure of the warehouse itself fails the asset (its load is one transaction, so nothing
is half-loaded; the step is retried). KeyboardInterrupt and SystemExit are not exceptions of a
series: they stop the run.

Slow series are not asked for again while their last successful load is recent enough for
their frequency (`config/freshness.yaml`: quarterly and annual at most weekly, monthly at
most daily, daily series on every run). A skip is audited as `skipped`: it is not a failure and
the series keeps the status of its last real load. `SourceSettings.force_refetch` fetches all.
"""

import datetime as dt
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from assets import raw
from assets.markdown import md_table
from assets.sources import fred, genai_prices, imf, openrouter, worldbank, yahoo
from assets.sources.base import Body, Connector, CorruptData, SeriesMissing, SourceError, Window
from assets.sources.bodies import BodySource, DemoBodies, LiveBodies, ReplayBodies
from assets.sources.http import HttpClient
from config.catalog import DEMO_START, Series, load_catalog
from config.freshness import load_freshness
from config.resources import SourceSettings, WarehouseResource

CONNECTORS: tuple[Connector, ...] = (
    fred.CONNECTOR,
    yahoo.CONNECTOR,
    worldbank.CONNECTOR,
    imf.CONNECTOR,
    openrouter.CONNECTOR,
)
# Every table the raw layer holds: the HTTP sources and the package data.
RAW_TABLES: tuple[raw.RawTable, ...] = (*CONNECTORS, genai_prices.TABLE)
# A failure of the warehouse itself (a lock held too long, a full disk) is worth two more tries;
# source errors never reach it: they are recorded per series and the asset succeeds.
INGEST_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)

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


def fetch_due(
    last_success: dt.date | None, reference: dt.date, refetch_after_days: int, force: bool = False
) -> bool:
    """Whether to fetch a series whose last successful load was as of `last_success`.

    Days are counted on the reference calendar (today live, the recording date in replay, the
    as-of date in demo), so replaying the same snapshot twice or re-running a demo day skips,
    while a later snapshot or demo day fetches. A reference date before the last load (a
    backfill) always fetches.
    """
    if force or last_success is None:
        return True
    age = (reference - last_success).days
    return age < 0 or age >= refetch_after_days


def _last_success(con, source: str) -> dict[str, dt.date]:
    """The reference date of each series' last successful load (series never loaded are absent)."""
    rows = con.execute(
        """
        select series_id, max(as_of) from raw.load_audit
        where source = ? and status = 'loaded' and as_of is not null group by 1
        """,
        [source],
    ).fetchall()
    return dict(rows)


def _split_due(
    context, connector: Connector, succeeded: dict[str, dt.date], reference: dt.date, force: bool
) -> tuple[list[Series], list[str]]:
    """The source's catalog series to fetch now, and the keys of those skipped (each logged)."""
    policy = load_freshness()
    due: list[Series] = []
    skipped: list[str] = []
    for series in load_catalog().for_source(connector.source):
        every = policy[series.frequency].refetch_after_days
        if fetch_due(succeeded.get(series.key), reference, every, force):
            due.append(series)
            continue
        skipped.append(series.key)
        context.log.info(
            f"skipped {connector.source}/{series.key}: loaded as of {succeeded[series.key]}; "
            f"{series.frequency} series are fetched every {every} days (force_refetch overrides)"
        )
    return due, skipped


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


class ParserContractError(Exception):
    """A parser returned a table the raw layer cannot load: a bug in the parser, not the source."""


def conform(connector: Connector, body: Body, rows: pa.Table) -> pa.Table:
    """The parser's table as the raw layer loads it: the connector's columns and types, one row or
    more, every row for the body's series, no key twice (the merge would refuse it). Checked here,
    per series, a parser that breaks this fails its own series; found in the load, it would fail
    the whole source's transaction."""
    if rows.num_rows == 0:
        raise ParserContractError("the parser returned no rows, and no SourceError saying why")
    missing = [name for name in connector.schema.names if name not in rows.column_names]
    if missing:
        raise ParserContractError(f"the parser's table has no column {', '.join(missing)}")
    rows = rows.select(connector.schema.names).cast(connector.schema)
    series = rows.column(connector.series_column)
    if series.null_count or not pc.all(pc.equal(series, body.key)).as_py():
        raise ParserContractError(f"the parser returned rows of another series than {body.key!r}")
    if rows.group_by(list(connector.key)).aggregate([]).num_rows != rows.num_rows:
        raise ParserContractError("the parser returned a key twice, and no CorruptData saying so")
    return rows


# An exception's message is kept whole up to here (a long one is some library's dump of its input).
MAX_ERROR_CHARS = 400


def failure(connector: Connector, series: Series, exc: Exception, origin: str) -> raw.Failure:
    """How a series that raised `exc` is audited: a SourceError by its kind (`missing` not there,
    `rejected` corrupt values, which the load check blocks on, else `failed`); any other
    exception is `failed`, with its type in the error so an operator can tell a bug from an outage."""
    if isinstance(exc, SourceError):
        status = (
            "missing"
            if isinstance(exc, SeriesMissing)
            else "rejected"
            if isinstance(exc, CorruptData)
            else "failed"
        )
        reason = f"{exc.problem} ({exc.where})" if exc.where else exc.problem
        return raw.Failure(series.key, status, str(exc), origin, reason)
    named = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    return raw.Failure(
        series.key,
        "failed",
        f"{connector.source}/{series.key}: {named}",
        origin,
        f"{named} (unexpected: a bug to fix, not an outage)",
    )


def _fetch_and_parse(
    context,
    connector: Connector,
    due: list[Series],
    last: dict[str, dt.date],
    mode: str,
    as_of: dt.date,
    bodies: BodySource,
    failures: list[raw.Failure],
) -> Iterator[raw.Parsed]:
    """Each due series fetched and parsed in turn. Anything one of them raises is kept in
    `failures` and logged (see the module docstring); the next series is then fetched."""
    for series in due:
        window = fetch_window(series, last.get(series.key), as_of, mode)
        try:
            body = bodies.get(connector, series, window)
            parsed = raw.Parsed(body, conform(connector, body, connector.parse(body)))
        # Exception, not BaseException: KeyboardInterrupt, SystemExit and GeneratorExit (the load
        # closing this generator when the warehouse failed) must still stop the run.
        except Exception as exc:
            lost = failure(connector, series, exc, bodies.origin)
            failures.append(lost)
            if isinstance(exc, SourceError):
                context.log.warning(f"{lost.status}: {exc}")
            else:
                # The traceback goes to the run's log: the bug is found from there.
                trace = "".join(traceback.format_exception(exc)).rstrip()
                context.log.error(f"{lost.status}: {lost.error}\n{trace}")
            continue
        yield parsed


@contextmanager
def open_bodies(sources: SourceSettings) -> Iterator[BodySource]:
    """The body source of the run's mode: synthetic (demo), a snapshot (replay) or HTTP (live)."""
    mode = sources.resolved_mode()
    if mode == "demo":
        yield DemoBodies()
        return
    if mode == "replay":
        snapshot = sources.snapshot_path()
        if snapshot is None or not snapshot.is_dir():
            raise dg.Failure(f"replay mode needs THESIS_SNAPSHOT_DIR to be a directory (got {snapshot})")
        yield ReplayBodies(snapshot)
        return
    client = HttpClient(timeout=sources.http_timeout_s)
    try:
        # The key is read here, at run time, and never becomes run config: config is stored
        # in the event log, and a key must not be stored anywhere.
        key = os.environ.get("FRED_API_KEY") or None
        yield LiveBodies(client, fred_api_key=key, record_dir=sources.record_path())
    finally:
        client.close()


def ingest(
    context, connector: Connector, warehouse: WarehouseResource, sources: SourceSettings
) -> dg.MaterializeResult:
    """Fetch, parse and load every series of one source; shared by all ingest assets.

    Bodies stream into the load (`raw.load`), which merges them a batch at a time inside its one
    transaction, so memory holds one batch of bodies, not the whole source.
    """
    mode, as_of, reference = sources.resolved_mode(), sources.as_of_date(), sources.reference_date()
    failures: list[raw.Failure] = []
    with warehouse.connect() as con, open_bodies(sources) as bodies:
        last = _last_loaded(con, connector)
        succeeded = _last_success(con, connector.source)
        due, skipped = _split_due(context, connector, succeeded, reference, sources.refetch_everything())
        parsed = _fetch_and_parse(context, connector, due, last, mode, as_of, bodies, failures)
        raw.load(con, connector, parsed, failures, context.run.run_id, as_of=reference, skipped=skipped)
        table = raw.ident(connector.table)
        total = con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
        per_series = _series_metadata(con, connector, context.run.run_id)
    loaded = per_series.filter(pl.col("status") == "loaded")
    origins = sorted(set(loaded["origin"].to_list())) or [bodies.origin]
    # Live mode: how many attempts each host took (retries included), to spot a host in trouble.
    http = (
        {"http_attempts": dg.MetadataValue.json(dict(bodies.client.attempts_per_host))}
        if isinstance(bodies, LiveBodies)
        else {}
    )
    return dg.MaterializeResult(
        metadata={
            **http,
            "dagster/row_count": dg.MetadataValue.int(total),
            "series_loaded": len(loaded),
            "series_failed": dg.MetadataValue.json([f.series_id for f in failures]),
            "series_skipped": dg.MetadataValue.json(skipped),
            # One line per series not loaded, with why (the console prints them under the step).
            "failures": dg.MetadataValue.json(
                [f"{connector.source}/{f.series_id} {f.status}: {f.reason}" for f in failures]
            ),
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
        retry_policy=INGEST_RETRY,
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
    retry_policy=INGEST_RETRY,
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
