"""What a run left behind: table fingerprints, lost rows, audit consistency, the published copy.

Everything is generic over whatever the warehouse holds: every base table of `raw` and `marts`,
every raw table's `body_sha256` lineage, every step of the job.
"""

import hashlib
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from config.resources import CONNECTION_CONFIG
from orchestration.event_log import instance_at

SCHEMAS = ("raw", "marts")
# A log of runs, not data: a killed run's rows in it are history, not a divergence.
LOG_TABLES = {"raw.load_audit"}
DBT_DEBRIS = ("__dbt_tmp", "__dbt_backup")

Fingerprint = tuple[int, int]  # (rows, sum of row hashes): row-for-row, order-independent


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def opened(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Opened as the pipeline opens it (read-write replays a killed run's WAL) or read-only."""
    con = duckdb.connect(str(path), read_only=read_only, config={} if read_only else dict(CONNECTION_CONFIG))
    try:
        yield con
    finally:
        con.close()


def tables(con, catalog: str | None = None) -> list[str]:
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and table_schema in ('raw', 'marts') "
        "and table_catalog = coalesce(?, current_database()) order by 1",
        [catalog],
    ).fetchall()
    return [r[0] for r in rows]


def columns(con, table: str, catalog: str | None = None) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? "
        "and table_name = ? and table_catalog = coalesce(?, current_database()) order by ordinal_position",
        [schema, name, catalog],
    ).fetchall()


def value_columns(con, table: str, catalog: str | None = None) -> list[str]:
    """The columns a re-run must reproduce: all but timestamps (fetch, load and run times) and run ids."""
    return [
        c
        for c, kind in columns(con, table, catalog)
        if not kind.upper().startswith("TIMESTAMP") and c != "run_id" and not c.endswith("_run_id")
    ]


def _relation(table: str, catalog: str | None) -> str:
    schema, name = table.split(".")
    return ".".join(quote(p) for p in ([catalog] if catalog else []) + [schema, name])


def fingerprints(con) -> dict[str, Fingerprint]:
    result = {}
    for table in tables(con):
        if table in LOG_TABLES:
            continue
        cols = ", ".join(quote(c) for c in value_columns(con, table))
        rows, total = con.execute(
            f"select count(*), coalesce(sum(hash({cols})::hugeint), 0) from {_relation(table, None)}"
        ).fetchone()
        result[table] = (rows, int(total))
    return result


def missing_rows(con, table: str, other: str, with_history: bool = False) -> int:
    """Rows of `other.table` that `table` here does not have (value columns, as a multiset).

    With `with_history`, a row that moved to `<table>_history` (a revision) is not missing.
    """
    cols = ", ".join(quote(c) for c in value_columns(con, table, other))
    here = f"select {cols} from {_relation(table, None)}"
    if with_history and f"{table}_history" in tables(con):
        here += f" union all select {cols} from {_relation(table + '_history', None)}"
    sql = f"select count(*) from (select {cols} from {_relation(table, other)} except all ({here}))"
    return con.execute(sql).fetchone()[0]


def attach(con, path: Path, alias: str) -> None:
    con.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as {quote(alias)} (read_only)")


def raw_rows_lost(con, before: str) -> int:
    """Rows the raw layer held before the run that it no longer holds (raw is never deleted from)."""
    lost = 0
    for table in tables(con, before):
        if table.startswith("raw."):
            present = table in tables(con)
            lost += (
                missing_rows(con, table, before, with_history=True) if present else _count(con, table, before)
            )
    return lost


def _count(con, table: str, catalog: str) -> int:
    return con.execute(f"select count(*) from {_relation(table, catalog)}").fetchone()[0]


def audit_problems(con, run_id: str | None, table_of_source: dict[str, str]) -> list[str]:
    """Loads and their audit rows commit together: no raw row without a `loaded` audit row, and
    every `loaded` audit row of `run_id` with its new and revised rows present."""
    problems = []
    if "raw.load_audit" not in tables(con):
        return problems
    for table in tables(con):
        if table in LOG_TABLES or "body_sha256" not in dict(columns(con, table)):
            continue
        orphans = con.execute(
            f"select count(*), count(distinct body_sha256) from {_relation(table, None)} "
            "where body_sha256 not in (select body_sha256 from raw.load_audit where status = 'loaded' "
            "and body_sha256 is not null)"
        ).fetchone()
        if orphans[0]:
            problems.append(f"{table}: {orphans[0]} rows from {orphans[1]} bodies with no 'loaded' audit row")
    audited = con.execute(
        "select source, series_id, body_sha256, rows_new + rows_revised from raw.load_audit "
        "where run_id = ? and status = 'loaded'",
        [run_id],
    ).fetchall()
    for source, series, sha, changed in audited:
        table = table_of_source[source]
        present = con.execute(
            f"select count(*) from {_relation(table, None)} where body_sha256 = ?", [sha]
        ).fetchone()[0]
        if present < changed:
            problems.append(f"{table}: audit of {source}/{series} says {changed} rows, {present} are there")
    return problems


def dbt_debris(con) -> list[str]:
    return [t for t in tables(con) if t.endswith(DBT_DEBRIS)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_files(published: Path) -> tuple[list[str], list[str]]:
    """(what readers can see, the hidden staging folder a killed publish left) in the published folder."""
    names = sorted(p.name for p in published.parent.iterdir()) if published.parent.is_dir() else []
    debris = [n for n in names if n == ".staging"]
    return [n for n in names if n not in debris], debris


def published_copy(published: Path) -> tuple[dict[str, Fingerprint], set[str], int]:
    """Fingerprints, summary run ids and file mode of the analysts' copy, opened as `make sql` opens it."""
    with opened(published, read_only=True) as con:
        prints = fingerprints(con)
        runs = {r[0] for r in con.execute("select distinct run_id from marts.thesis_summary").fetchall()}
    return prints, runs, stat.S_IMODE(published.stat().st_mode)


def step_phases() -> dict[str, str]:
    """Each step of the daily job → its phase, from the asset graph (new sources and marts included)."""
    from orchestration.definitions import defs

    phases = {}
    for assets_def in defs.resolve_asset_graph().assets_defs:
        kinds = {kind for spec in assets_def.specs for kind in spec.kinds}
        tops = {key.path[0] for key in assets_def.keys}
        if not assets_def.keys:
            phase = "checks"
        elif "dbt" in kinds:
            phase = "dbt"
        elif tops == {"raw"}:
            phase = "ingest"
        elif tops == {"published"}:
            phase = "publish"
        else:
            phase = "summary"
        phases[assets_def.node_def.name] = phase
    return phases


def last_step_started(home: Path, known: set[str]) -> tuple[str | None, str | None]:
    """(run id, step key) of the last STEP_START of the run not in `known`, from the event storage."""
    with instance_at(home) as instance:
        runs = [r for r in instance.get_runs() if r.run_id not in known]
        assert len(runs) == 1, f"expected one new run, found {[r.run_id for r in runs]}"
        starts = instance.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.STEP_START)
        return runs[0].run_id, (starts[-1].step_key if starts else None)


def unfinished_runs(home: Path) -> list[str]:
    with instance_at(home) as instance:
        return [f"{r.run_id} ({r.status.value})" for r in instance.get_runs() if not r.is_finished]


def run_ids(home: Path) -> set[str]:
    with instance_at(home) as instance:
        return {r.run_id for r in instance.get_runs()}
