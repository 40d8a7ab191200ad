"""The thesis summary: a verdict per pillar with its evidence, computed in polars from the marts.

Runs only after every mart's Great Expectations gate has passed (the checks are blocking), so a
stale, truncated or corrupted mart never reaches a verdict; when a gate fails this asset does
not run and the previous summary stays as it was.

Contract with the alert sensors (`orchestration/sensors.py`), to keep through any rework: every
materialization carries the metadata key `status_flips`, a JSON list of
`{"pillar", "previous_status", "status", "as_of"}` (as_of an ISO date), one entry per pillar, and
for the overall verdict one with pillar "verdict", whose status differs from the latest earlier
as-of date in `marts.thesis_summary_history`; an empty list when nothing flipped. The same flips
are kept in `marts.thesis_status_flips`.
"""

import datetime as dt

import dagster as dg
import polars as pl

from assets.markdown import md_table
from assets.thesis import SeriesLoad, evaluate
from expectations.suites import SUITES
from orchestration.resources import SourceSettings, WarehouseResource
from orchestration.thesis_config import load_thesis

SUMMARY_COLUMNS_DDL = """
    run_id varchar, computed_at timestamptz, row_type varchar, pillar varchar, metric varchar,
    as_of date, observation_date date, value double, unit varchar, "window" varchar,
    direction varchar, threshold double, band double, status varchar, score double, weight double,
    evidence varchar, origin varchar, source_series varchar
"""
STATUS_FLIPS_KEY = "status_flips"
VERDICT = "verdict"
FLIPS_COLUMNS_DDL = """
    as_of date, pillar varchar, previous_as_of date, previous_status varchar, status varchar,
    run_id varchar, computed_at timestamptz
"""


def mart_keys() -> list[dg.AssetKey]:
    """Every gated mart, not only those the thesis reads: a blocking gate failing on any mart
    stops the summary, so a verdict never rests on a warehouse with a known-bad table."""
    return sorted(dg.AssetKey(["marts", mart]) for mart in SUITES)


def read_marts(con) -> dict[str, pl.DataFrame]:
    """Every mart the thesis reads, through Arrow (DuckDB relation → polars, no pandas)."""
    names = sorted({m.mart for p in load_thesis().pillars.values() for m in p.metrics})
    return {name: con.sql(f"select * from marts.{name}").pl() for name in names}


def read_loads(con) -> dict[str, SeriesLoad]:
    """The latest load status and origin of every source series, from raw.load_audit.

    A skipped series (loaded recently enough, not fetched again) keeps its last real status.
    """
    rows = con.sql(
        """
        select source || '/' || series_id as ref, status, origin
        from raw.load_audit
        where status <> 'skipped'
        qualify row_number() over (partition by source, series_id order by loaded_at desc) = 1
        """
    ).fetchall()
    return {ref: SeriesLoad(status, origin) for ref, status, origin in rows}


def statuses(summary: pl.DataFrame) -> dict[str, str]:
    """Status of each pillar, and of the overall verdict under the name "verdict"."""
    rows = summary.filter(pl.col("row_type").is_in(["pillar", "verdict"])).iter_rows(named=True)
    return {VERDICT if r["row_type"] == "verdict" else r["pillar"]: r["status"] for r in rows}


def status_flips(current: dict[str, str], previous: dict[str, str], as_of: dt.date) -> list[dict]:
    """The `status_flips` contract: what changed since the previous snapshot (new pillars are not flips)."""
    return [
        {"pillar": name, "previous_status": previous[name], "status": status, "as_of": as_of.isoformat()}
        for name, status in current.items()
        if name in previous and previous[name] != status
    ]


def record_status_flips(con, summary: pl.DataFrame, run_id: str, as_of: dt.date) -> list[dict]:
    """Compare with the latest earlier snapshot and replace this as-of date's rows in
    marts.thesis_status_flips; call inside write_summary's transaction."""
    con.execute(f"create table if not exists marts.thesis_status_flips ({FLIPS_COLUMNS_DDL})")
    previous = con.sql(
        """
        select * from marts.thesis_summary_history
        where as_of = (select max(as_of) from marts.thesis_summary_history where as_of < ?)
        """,
        params=[as_of],
    ).pl()
    flips = status_flips(statuses(summary), statuses(previous), as_of)
    con.execute("delete from marts.thesis_status_flips where as_of = ?", [as_of])
    previous_as_of = previous["as_of"].max() if previous.height else None
    now = dt.datetime.now(dt.UTC)
    for flip in flips:
        con.execute(
            "insert into marts.thesis_status_flips values (?, ?, ?, ?, ?, ?, ?)",
            [as_of, flip["pillar"], previous_as_of, flip["previous_status"], flip["status"], run_id, now],
        )
    return flips


def write_summary(con, summary: pl.DataFrame, run_id: str, as_of: dt.date) -> list[dict]:
    """Replace marts.thesis_summary, this as-of date's snapshot in the history and its status
    flips, atomically; returns the flips."""
    stamped = summary.with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(dt.datetime.now(dt.UTC)).alias("computed_at")
    ).select(["run_id", "computed_at", *summary.columns])
    con.register("summary_arrow", stamped.to_arrow())
    try:
        con.execute("begin transaction")
        con.execute("create schema if not exists marts")
        con.execute(f"create table if not exists marts.thesis_summary_history ({SUMMARY_COLUMNS_DDL})")
        con.execute("create or replace table marts.thesis_summary as select * from summary_arrow")
        con.execute("delete from marts.thesis_summary_history where as_of = ?", [as_of])
        flips = record_status_flips(con, summary, run_id, as_of)
        con.execute("insert into marts.thesis_summary_history by name select * from summary_arrow")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("summary_arrow")
    return flips


@dg.asset(
    key=["marts", "thesis_summary"],
    deps=mart_keys(),
    group_name="summary",
    kinds={"polars", "duckdb"},
    pool="warehouse",
    metadata={"dagster/table_name": "marts.thesis_summary"},
)
def thesis_summary(context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourceSettings):
    """Today's verdict on the thesis "the American-exceptionalism trade is ending".

    One row per metric (value, as-of date, threshold, status, an evidence sentence with the
    numbers, data origin and source series), one row per pillar (weighted score and status) and
    one overall verdict. Statuses: confirms, contradicts, neutral, stale, no_data. Each day's
    summary is also kept in marts.thesis_summary_history.
    """
    as_of = sources.reference_date()
    with warehouse.connect() as con:
        summary = evaluate(load_thesis(), read_marts(con), as_of, read_loads(con))
        flips = write_summary(con, summary, context.run.run_id, as_of)
    verdict = summary.filter(pl.col("row_type") == "verdict").row(0, named=True)
    pillars = summary.filter(pl.col("row_type") == "pillar").select("pillar", "status", "score", "evidence")
    metrics = summary.filter(pl.col("row_type") == "metric").select(
        "pillar", "metric", "observation_date", "value", "status", "evidence"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.height,
            "as_of": str(as_of),
            "verdict": verdict["status"],
            "verdict_score": verdict["score"],
            "evidence": verdict["evidence"],
            "pillars": dg.MetadataValue.md(md_table(pillars)),
            "metrics": dg.MetadataValue.md(md_table(metrics)),
            STATUS_FLIPS_KEY: dg.MetadataValue.json(flips),
        }
    )
