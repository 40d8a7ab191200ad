"""The theses' verdicts: every thesis in config/theses/ evaluated, each run, in polars, into
tables shared by all of them and keyed by `thesis`.

One step evaluates them all (its assets, `marts/thesis_summary` and one `theses/<id>` per file,
are built in `assets/theses.py`): the marts and signals are read once, and every table is
written in one transaction, so a reader never sees one thesis of a run beside another's of the
run before. The step runs only after every mart's Great
Expectations gate and every source's load check have passed (blocking checks), so a truncated or
corrupted table never reaches a verdict; when one fails, the previous summary stays as it was.

Each run writes today's rows of every thesis to `marts.thesis_summary` and its snapshot to
`marts.thesis_summary_history`; recomputes, point in time, every month-end of the thesis' last
`history.backfill_months` whose snapshot no run computed on its own day (`backfilled = true`; a
snapshot computed on its day is the record and is never replaced); recomputes
`marts.thesis_status_flips` over the whole history; and renders each thesis' report
(`assets/report.py`). All three tables are keyed by `thesis` (the file's name). The backfill runs
inside the daily step because it is cheap (pure polars on frames already in memory) and needs no
partitions: `make run`, the schedule and "Materialize" in the UI all keep the history complete,
backfilled snapshots follow the marts' revisions and the thesis files' edits, and a rerun writes
the same rows.

Contract with the alert sensors (`orchestration/sensors.py`), to keep through any rework: every
materialization of marts/thesis_summary carries the metadata key `status_flips`, a JSON list of
`{"thesis", "pillar", "previous_status", "status", "as_of"}` (as_of an ISO date), one entry per
pillar, and for a thesis' overall verdict one with pillar "verdict", whose status differs from the
thesis' latest earlier as-of date in `marts.thesis_summary_history`; an empty list when nothing
flipped. Each thesis asset carries its own entries under the same key. The same flips, over the
whole history, are kept in `marts.thesis_status_flips`.
"""

import datetime as dt
import time

import dagster as dg
import polars as pl

from assets.history import flips_over, month_ends
from assets.ingest import CONNECTORS
from assets.raw import SeriesLoad, ident, latest_loads
from assets.report import CHART_MARTS
from assets.thesis import SUMMARY_SCHEMA, evaluate
from config.theses import Thesis
from expectations.suites import SUITES

STATUS_FLIPS_KEY = "status_flips"
SUMMARY_KEY = dg.AssetKey(["marts", "thesis_summary"])
# The dbt tables the signal metrics read: the theses wait for them too.
SIGNAL_KEYS = [dg.AssetKey(["marts", "signals"]), dg.AssetKey(["marts", "signal_pairs"])]
# Rows written before theses had ids all belong to the essay's thesis.
FIRST_THESIS = "american_exceptionalism"

_DUCKDB_TYPES = {pl.String: "varchar", pl.Date: "date", pl.Float64: "double", pl.Boolean: "boolean"}
STAMP_COLUMNS = {"run_id": "varchar", "computed_at": "timestamptz"}
HISTORY_COLUMNS = {**STAMP_COLUMNS, **{name: _DUCKDB_TYPES[t] for name, t in SUMMARY_SCHEMA.items()}}


def gated_keys() -> list[dg.AssetKey]:
    """What every thesis waits for, so that every blocking check on it can hold the verdicts back:
    every gated mart, not only those a thesis reads (a verdict never rests on a warehouse with a
    known-bad table), every source's raw table, whose load check blocks on corrupt data (the
    summary reads raw.load_audit, and dbt, which checks those tables itself, is not held back by
    another asset's checks on them), and the signal tables (their dbt tests block too)."""
    marts = [dg.AssetKey(["marts", mart]) for mart in SUITES]
    sources = [dg.AssetKey(["raw", connector.table]) for connector in CONNECTORS]
    return sorted([*marts, *sources, *SIGNAL_KEYS])


def _ref_filter(refs: set[str]) -> str:
    """`(source, id) in (…)` for a set of `<source>/<id>`, as SQL literals (ids match the catalog's
    pattern, which has no quote)."""
    pairs = sorted(tuple(r.split("/", 1)) for r in refs)
    return ", ".join(f"('{source}', '{series}')" for source, series in pairs)


def read_frames(con, theses: dict[str, Thesis]) -> dict[str, pl.DataFrame]:
    """What the theses read, through Arrow (DuckDB relation → polars): every mart a metric or an
    extra chart reads, and the signal rows of each series (`signals:<ref>`) and pair
    (`signal_pairs:<ref>:<ref>`) a metric names, all by date."""
    marts = {m for t in theses.values() for m in t.marts()}
    marts |= {m for t in theses.values() for chart in t.charts for m in CHART_MARTS[chart]}
    frames = {
        name: con.sql(f"select * from marts.{ident(name)} order by date").pl() for name in sorted(marts)
    }
    signals = [s for t in theses.values() for s in t.signals()]
    series = {s.series for s in signals if not s.against}
    if series:
        rows = con.sql(
            "select * from marts.signals "
            f"where (source, series_id) in ({_ref_filter(series)}) order by source, series_id, date"
        ).pl()
        for (source, series_id), part in rows.partition_by(["source", "series_id"], as_dict=True).items():
            frames[f"signals:{source}/{series_id}"] = part
    pairs = {(s.series, s.against) for s in signals if s.against}
    if pairs:
        rows = con.sql("select * from marts.signal_pairs order by date").pl()
        for key, part in rows.partition_by(
            ["asset_source", "asset_series_id", "benchmark_source", "benchmark_series_id"], as_dict=True
        ).items():
            frames[f"signal_pairs:{key[0]}/{key[1]}:{key[2]}/{key[3]}"] = part
    return frames


def read_loads(con) -> dict[str, SeriesLoad]:
    """The latest load of every source series (raw.load_audit): its status, origin and error."""
    return latest_loads(con)


def ensure_history(con) -> None:
    """Create the history table, or add the columns a newer summary has to an older one; rows
    from before theses had ids belong to the essay's thesis."""
    ddl = ", ".join(f'"{name}" {kind}' for name, kind in HISTORY_COLUMNS.items())
    con.execute("create schema if not exists marts")
    con.execute(f"create table if not exists marts.thesis_summary_history ({ddl})")
    for name, kind in HISTORY_COLUMNS.items():
        con.execute(f'alter table marts.thesis_summary_history add column if not exists "{name}" {kind}')
    con.execute("update marts.thesis_summary_history set thesis = ? where thesis is null", [FIRST_THESIS])


def days_computed_on_the_day(con) -> dict[str, set[dt.date]]:
    """Per thesis, the as-of dates whose snapshot a run computed on that day (never replaced by a
    backfill)."""
    exists = (
        "select 1 from duckdb_tables() where schema_name = 'marts' and table_name = 'thesis_summary_history'"
    )
    if not con.sql(exists).fetchall():
        return {}
    rows = con.sql(
        "select distinct thesis, as_of from marts.thesis_summary_history "
        "where not coalesce(backfilled, false)"
    ).fetchall()
    days: dict[str, set[dt.date]] = {}
    for thesis, as_of in rows:
        days.setdefault(thesis, set()).add(as_of)
    return days


def backfill(thesis: Thesis, frames, loads, as_of: dt.date, skip: set[dt.date]) -> pl.DataFrame:
    """The month-ends of the thesis' backfill window no run computed on its day, each point in time."""
    dates = [d for d in month_ends(as_of, thesis.history.backfill_months) if d not in skip]
    parts = [evaluate(thesis, frames, d, loads, backfilled=True) for d in dates]
    return pl.concat(parts) if parts else pl.DataFrame(schema=SUMMARY_SCHEMA)


def write_summary(
    con, summary: pl.DataFrame, run_id: str, as_of: dt.date, backfilled: pl.DataFrame | None = None
) -> list[dict]:
    """In one transaction: replace marts.thesis_summary (every thesis evaluated), each thesis'
    snapshot of this as-of date and its backfilled snapshots in the history, and recompute
    marts.thesis_status_flips over the whole history. Returns this as-of date's flips (the
    `status_flips` contract)."""
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
            """
            delete from marts.thesis_summary_history
            where (thesis, as_of) in (select distinct thesis, as_of from summary_arrow)
                or (thesis, as_of) in (select distinct thesis, as_of from backfill_arrow)
            """
        )
        con.execute("insert into marts.thesis_summary_history by name select * from backfill_arrow")
        con.execute("insert into marts.thesis_summary_history by name select * from summary_arrow")
        history = con.sql(
            """
            select
                thesis, as_of, row_type, pillar, status, run_id, computed_at,
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
            "thesis": f["thesis"],
            "pillar": f["pillar"],
            "previous_status": f["previous_status"],
            "status": f["status"],
            "as_of": f["as_of"].isoformat(),
        }
        for f in today.iter_rows(named=True)
    ]


def read_history(con) -> pl.DataFrame:
    """Metric, pillar and verdict rows of every snapshot of every thesis, for the reports' charts."""
    return con.sql(
        """
        select
            thesis, as_of, row_type, pillar, metric, status, score,
            coalesce(backfilled, false) as backfilled
        from marts.thesis_summary_history
        where row_type in ('metric', 'pillar', 'verdict')
        order by thesis, as_of
        """
    ).pl()


def evaluate_theses(con, theses: dict[str, Thesis], as_of: dt.date, run_id: str) -> dict:
    """Evaluate every thesis today and backfill its month-ends, write the tables, and return what
    the assets report: the frames read, the summary, backfill, history and flips, and timings."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    ensure_history(con)
    frames, loads = read_frames(con, theses), read_loads(con)
    timings["read_s"] = time.perf_counter() - started
    started = time.perf_counter()
    summary = pl.concat([evaluate(t, frames, as_of, loads) for t in theses.values()])
    timings["summary_s"] = time.perf_counter() - started
    started = time.perf_counter()
    skip = days_computed_on_the_day(con)
    backfilled = pl.concat([backfill(t, frames, loads, as_of, skip.get(i, set())) for i, t in theses.items()])
    timings["backfill_s"] = time.perf_counter() - started
    flips = write_summary(con, summary, run_id, as_of, backfilled)
    return {
        "frames": frames,
        "summary": summary,
        "backfilled": backfilled,
        "flips": flips,
        "history": read_history(con),
        "flips_table": con.sql("select * from marts.thesis_status_flips order by as_of").pl(),
        "timings": timings,
    }
