"""The thesis summary: a verdict per pillar with its evidence, computed in polars from the marts.

Runs only after every mart's Great Expectations gate has passed (the checks are blocking), so a
stale, truncated or corrupted mart never reaches a verdict; when a gate fails this asset does
not run and the previous summary stays as it was.

Each run writes today's summary and its snapshot in `marts.thesis_summary_history`; recomputes,
point in time, every month-end of the last `history.backfill_months` (the thesis file) whose
snapshot no run computed on its own day (`backfilled = true`; a snapshot computed on its day is
the record and is never replaced); recomputes `marts.thesis_status_flips` over the whole
history; and renders the report (`assets/report.py`). The backfill runs inside the daily asset
because it is cheap (pure polars on the marts already in memory: 36 month-ends in 0.4-1.1 s on
2 cores) and needs no partitions or launch config: `make run`, the schedule and "Materialize" in
the UI all keep the history complete, backfilled snapshots follow the marts' revisions and
the thesis file's edits, and a rerun writes the same rows.

Contract with the alert sensors (`orchestration/sensors.py`), to keep through any rework: every
materialization carries the metadata key `status_flips`, a JSON list of
`{"pillar", "previous_status", "status", "as_of"}` (as_of an ISO date), one entry per pillar, and
for the overall verdict one with pillar "verdict", whose status differs from the latest earlier
as-of date in `marts.thesis_summary_history`; an empty list when nothing flipped. The same flips,
over the whole history, are kept in `marts.thesis_status_flips`.
"""

import datetime as dt
import time

import dagster as dg
import polars as pl

from assets.history import flips_over, month_ends
from assets.ingest import CONNECTORS
from assets.markdown import md_table
from assets.raw import SeriesLoad, ident, latest_loads
from assets.report import render_report
from assets.thesis import SUMMARY_SCHEMA, evaluate
from config.resources import SourceSettings, WarehouseResource, data_dir
from config.theses import load_thesis
from expectations.suites import SUITES

STATUS_FLIPS_KEY = "status_flips"

_DUCKDB_TYPES = {pl.String: "varchar", pl.Date: "date", pl.Float64: "double", pl.Boolean: "boolean"}
STAMP_COLUMNS = {"run_id": "varchar", "computed_at": "timestamptz"}
HISTORY_COLUMNS = {**STAMP_COLUMNS, **{name: _DUCKDB_TYPES[t] for name, t in SUMMARY_SCHEMA.items()}}


def gated_keys() -> list[dg.AssetKey]:
    """What the summary waits for, so that every blocking check on it can hold the summary back:
    every gated mart, not only those the thesis reads (a verdict never rests on a warehouse with a
    known-bad table), and every source's raw table, whose load check blocks on corrupt data (the
    summary reads raw.load_audit, and dbt, which checks those tables itself, is not held back by
    another asset's checks on them)."""
    marts = [dg.AssetKey(["marts", mart]) for mart in SUITES]
    sources = [dg.AssetKey(["raw", connector.table]) for connector in CONNECTORS]
    return sorted([*marts, *sources])


def read_marts(con) -> dict[str, pl.DataFrame]:
    """Every mart the thesis reads, through Arrow (DuckDB relation → polars, no pandas)."""
    return {
        name: con.sql(f"select * from marts.{ident(name)} order by date").pl()
        for name in sorted(load_thesis().marts())
    }


def read_loads(con) -> dict[str, SeriesLoad]:
    """The latest load of every source series (raw.load_audit): its status, origin and error."""
    return latest_loads(con)


def ensure_history(con) -> None:
    """Create the history table, or add the columns a newer summary has to an older one."""
    ddl = ", ".join(f'"{name}" {kind}' for name, kind in HISTORY_COLUMNS.items())
    con.execute("create schema if not exists marts")
    con.execute(f"create table if not exists marts.thesis_summary_history ({ddl})")
    for name, kind in HISTORY_COLUMNS.items():
        con.execute(f'alter table marts.thesis_summary_history add column if not exists "{name}" {kind}')


def days_computed_on_the_day(con) -> set[dt.date]:
    """As-of dates whose snapshot a run computed on that day: a backfill never replaces them."""
    exists = (
        "select 1 from duckdb_tables() where schema_name = 'marts' and table_name = 'thesis_summary_history'"
    )
    if not con.sql(exists).fetchall():
        return set()
    rows = con.sql(
        "select distinct as_of from marts.thesis_summary_history where not coalesce(backfilled, false)"
    ).fetchall()
    return {r[0] for r in rows}


def backfill(thesis, marts, loads, as_of: dt.date, skip: set[dt.date]) -> pl.DataFrame:
    """The month-ends of the backfill window no run computed on its day, each point in time."""
    dates = [d for d in month_ends(as_of, thesis.history.backfill_months) if d not in skip]
    frames = [evaluate(thesis, marts, d, loads, backfilled=True) for d in dates]
    return pl.concat(frames) if frames else pl.DataFrame(schema=SUMMARY_SCHEMA)


def write_summary(
    con, summary: pl.DataFrame, run_id: str, as_of: dt.date, backfilled: pl.DataFrame | None = None
) -> list[dict]:
    """In one transaction: replace marts.thesis_summary, this as-of date's snapshot and the
    backfilled snapshots in the history, and recompute marts.thesis_status_flips over the whole
    history. Returns this as-of date's flips (the `status_flips` contract)."""
    now = dt.datetime.now(dt.UTC)

    def stamped(frame: pl.DataFrame):
        stamp = [pl.lit(run_id).alias("run_id"), pl.lit(now).alias("computed_at")]
        return frame.with_columns(stamp).select(list(HISTORY_COLUMNS)).to_arrow()

    backfilled = pl.DataFrame(schema=SUMMARY_SCHEMA) if backfilled is None else backfilled
    con.register("summary_arrow", stamped(summary))
    con.register("backfill_arrow", stamped(backfilled))
    try:
        con.execute("begin transaction")
        ensure_history(con)
        con.execute("create or replace table marts.thesis_summary as select * from summary_arrow")
        con.execute(
            "delete from marts.thesis_summary_history where as_of = ? "
            "or as_of in (select as_of from backfill_arrow)",
            [as_of],
        )
        con.execute("insert into marts.thesis_summary_history by name select * from backfill_arrow")
        con.execute("insert into marts.thesis_summary_history by name select * from summary_arrow")
        history = con.sql(
            """
            select
                as_of, row_type, pillar, status, run_id, computed_at,
                coalesce(backfilled, false) as backfilled
            from marts.thesis_summary_history
            where row_type in ('pillar', 'verdict')
            """
        ).pl()
        flips = flips_over(history)
        con.register("flips_arrow", flips.to_arrow())
        con.execute("create or replace table marts.thesis_status_flips as select * from flips_arrow")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for name in ("summary_arrow", "backfill_arrow", "flips_arrow"):
            con.unregister(name)
    today = flips.filter(pl.col("as_of") == as_of)
    return [
        {
            "pillar": f["pillar"],
            "previous_status": f["previous_status"],
            "status": f["status"],
            "as_of": f["as_of"].isoformat(),
        }
        for f in today.iter_rows(named=True)
    ]


def read_history(con) -> pl.DataFrame:
    """Pillar and verdict rows of every snapshot, for the report's chart."""
    return con.sql(
        """
        select as_of, row_type, pillar, status, score, coalesce(backfilled, false) as backfilled
        from marts.thesis_summary_history
        where row_type in ('pillar', 'verdict')
        order by as_of
        """
    ).pl()


@dg.asset(
    key=["marts", "thesis_summary"],
    deps=gated_keys(),
    group_name="summary",
    kinds={"polars", "duckdb"},
    pool="warehouse",
    metadata={"dagster/table_name": "marts.thesis_summary"},
)
def thesis_summary(context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourceSettings):
    """Today's verdict on the thesis "the American-exceptionalism trade is ending".

    One row per metric (value, observation and as-of dates, window and baseline, threshold and
    band, status, an evidence sentence with the numbers, data origin and source series), one
    row per pillar (weighted score and status) and one overall verdict. Statuses: confirms,
    contradicts, neutral, stale, no_data. Each day's summary is kept in
    marts.thesis_summary_history, with month-ends backfilled point in time (`backfilled`), and
    the status changes between snapshots in marts.thesis_status_flips. The report (markdown and
    charts) is attached below and written to <data>/reports/.
    """
    as_of = sources.reference_date()
    thesis = load_thesis()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with warehouse.connect() as con:
        ensure_history(con)
        marts, loads = read_marts(con), read_loads(con)
        summary = evaluate(thesis, marts, as_of, loads)
        timings["summary_s"] = time.perf_counter() - started
        started = time.perf_counter()
        backfilled = backfill(thesis, marts, loads, as_of, days_computed_on_the_day(con))
        timings["backfill_s"] = time.perf_counter() - started
        flips = write_summary(con, summary, context.run.run_id, as_of, backfilled)
        history = read_history(con)
        flips_table = con.sql("select * from marts.thesis_status_flips order by as_of").pl()
    started = time.perf_counter()
    report = render_report(thesis, summary, history, flips_table, marts, data_dir() / "reports")
    timings["report_s"] = time.perf_counter() - started
    verdict = summary.filter(pl.col("row_type") == "verdict").row(0, named=True)
    pillars = summary.filter(pl.col("row_type") == "pillar").select("pillar", "status", "score", "evidence")
    metrics = summary.filter(pl.col("row_type").is_in(["metric", "part"])).select(
        "pillar", "metric", "observation_date", "value", "status", "evidence"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.height,
            "as_of": str(as_of),
            "verdict": verdict["status"],
            "verdict_score": verdict["score"],
            "evidence": verdict["evidence"],
            "origin": verdict["origin"],
            "pillars": dg.MetadataValue.md(md_table(pillars)),
            "metrics": dg.MetadataValue.md(md_table(metrics)),
            "snapshots": history["as_of"].n_unique(),
            "snapshots_backfilled_this_run": backfilled["as_of"].n_unique(),
            "report": dg.MetadataValue.md(report.markdown_inline),
            "report_path": dg.MetadataValue.path(str(report.path)),
            **{k: round(v, 3) for k, v in timings.items()},
            STATUS_FLIPS_KEY: dg.MetadataValue.json(flips),
        }
    )
