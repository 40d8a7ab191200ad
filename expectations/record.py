"""The gate's own record, kept in the warehouse it gates: `audit.gate_runs`, one row per check
evaluation (the GX suites and each source's load integrity check).

Baselines are read from here, never from the Dagster instance: an instance may run several
warehouses (a demo and a replay, a test's temporary copy), and a baseline taken from another
warehouse's run would block this one forever. So each check compares with the last evaluation
of the same check, on the same asset, of this warehouse, that raised no error:
  * completeness: that evaluation's row count (a table may not lose rows against it);
  * revisions: that evaluation's time (values revised since then are measured against the
    version they replaced).
"""

import datetime as dt
from dataclasses import dataclass

import duckdb

DDL = """
create table if not exists audit.gate_runs (
    run_id varchar not null,
    check_name varchar not null,
    asset_key varchar not null,       -- the checked asset, e.g. marts/mart_dollar
    passed boolean not null,
    failed integer not null,          -- expectations that failed at ERROR (0: a good run)
    warnings integer not null,        -- expectations that failed at WARN
    rows bigint,                      -- rows validated (completeness' baseline)
    as_of date,                       -- the run's reference date
    checked_at timestamptz not null
)
"""


@dataclass(frozen=True)
class Evaluation:
    """One check's outcome, as recorded."""

    check_name: str
    asset_key: str
    passed: bool
    failed: int
    warnings: int
    rows: int | None


@dataclass(frozen=True)
class Baseline:
    """The last evaluation of a check on this warehouse that raised no error."""

    rows: int | None
    checked_at: dt.datetime


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    query = "select 1 from duckdb_tables() where schema_name = 'audit' and table_name = 'gate_runs'"
    return bool(con.execute(query).fetchall())


def last_good(con: duckdb.DuckDBPyConnection, check_name: str, asset_key: str) -> Baseline | None:
    """The newest error-free evaluation of `check_name` on `asset_key` (None before the first)."""
    if not _exists(con):
        return None
    rows = con.execute(
        """
        select rows, checked_at from audit.gate_runs
        where check_name = ? and asset_key = ? and failed = 0
        order by checked_at desc limit 1
        """,
        [check_name, asset_key],
    ).fetchall()
    return Baseline(*rows[0]) if rows else None


def record(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date, evaluations: list[Evaluation]
) -> None:
    """Append this run's evaluations, in one transaction."""
    now = dt.datetime.now(dt.UTC)
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists audit")
        con.execute(DDL)
        con.executemany(
            "insert into audit.gate_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [run_id, e.check_name, e.asset_key, e.passed, e.failed, e.warnings, e.rows, as_of, now]
                for e in evaluations
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
