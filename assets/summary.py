"""The thesis summary: a verdict per pillar with its evidence, computed in polars from the marts.

Runs only after every mart's Great Expectations gate has passed (the checks are blocking), so a
stale, truncated or corrupted mart never reaches a verdict; when a gate fails this asset does
not run and the previous summary stays as it was.
"""

import datetime as dt

import dagster as dg
import polars as pl

from assets.markdown import md_table
from assets.raw import ident
from assets.thesis import SeriesLoad, evaluate
from orchestration.resources import SourceSettings, WarehouseResource
from orchestration.thesis_config import load_thesis

SUMMARY_COLUMNS_DDL = """
    run_id varchar, computed_at timestamptz, row_type varchar, pillar varchar, metric varchar,
    as_of date, observation_date date, value double, unit varchar, "window" varchar,
    direction varchar, threshold double, band double, status varchar, score double, weight double,
    evidence varchar, origin varchar, source_series varchar
"""


def mart_keys() -> list[dg.AssetKey]:
    return sorted({dg.AssetKey(["marts", m.mart]) for p in load_thesis().pillars.values() for m in p.metrics})


def read_marts(con) -> dict[str, pl.DataFrame]:
    """Every mart the thesis reads, through Arrow (DuckDB relation → polars, no pandas)."""
    names = sorted({m.mart for p in load_thesis().pillars.values() for m in p.metrics})
    return {name: con.sql(f"select * from marts.{ident(name)}").pl() for name in names}


def read_loads(con) -> dict[str, SeriesLoad]:
    """The latest load status and origin of every source series, from raw.load_audit."""
    rows = con.sql(
        """
        select source || '/' || series_id as ref, status, origin
        from raw.load_audit
        qualify row_number() over (partition by source, series_id order by loaded_at desc) = 1
        """
    ).fetchall()
    return {ref: SeriesLoad(status, origin) for ref, status, origin in rows}


def write_summary(con, summary: pl.DataFrame, run_id: str, as_of: dt.date) -> None:
    """Replace marts.thesis_summary and this as-of date's snapshot in the history, atomically."""
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
        con.execute("insert into marts.thesis_summary_history by name select * from summary_arrow")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("summary_arrow")


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
        write_summary(con, summary, context.run.run_id, as_of)
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
        }
    )
