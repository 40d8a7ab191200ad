"""The raw layer: keyed upserts that lose nothing.

Each raw table holds the current version of every observation with its lineage (origin,
fetched_at, sha256 of the body it came from). A load of one source is one transaction:
  * a key never seen before is inserted;
  * an unchanged value is left alone (re-running the same payload changes nothing);
  * a revised value replaces the current row, and the old version moves to `<table>_history`
    with the time it was superseded, so `fetched_at`..`superseded_at` is each version's validity.
`raw.load_audit` records, per run and series, what was loaded or why it failed.
"""

import datetime as dt
import re
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from assets.sources.base import Body, Connector

LINEAGE = pa.schema(
    [("origin", pa.string()), ("fetched_at", pa.timestamp("us", tz="UTC")), ("body_sha256", pa.string())]
)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")

AUDIT_DDL = """
create table if not exists raw.load_audit (
    run_id varchar not null,
    source varchar not null,
    series_id varchar not null,
    status varchar not null,          -- loaded | failed | missing
    origin varchar,
    rows_in_body bigint,
    rows_new bigint,
    rows_revised bigint,
    first_date date,
    last_date date,
    body_sha256 varchar,
    url varchar,
    error varchar,
    fetched_at timestamptz,
    loaded_at timestamptz not null
)
"""


def ident(name: str) -> str:
    """A table or column name from code, checked before it is spliced into SQL."""
    # fullmatch, not match with `$`: `$` also matches before a trailing newline.
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"refusing unsafe SQL identifier {name!r}")
    return name


_DUCK_TYPES = {
    pa.string(): "varchar",
    pa.date32(): "date",
    pa.float64(): "double",
    pa.int64(): "bigint",
    pa.bool_(): "boolean",
    pa.timestamp("us", tz="UTC"): "timestamptz",
}


def _columns_ddl(schema: pa.Schema) -> str:
    return ", ".join(f"{ident(f.name)} {_DUCK_TYPES[f.type]}" for f in schema)


def ensure_tables(con: duckdb.DuckDBPyConnection, connector: Connector) -> None:
    table = ident(connector.table)
    full = pa.unify_schemas([connector.schema, LINEAGE])
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists raw.{table} ({_columns_ddl(full)})")
    con.execute(
        f"create table if not exists raw.{table}_history ({_columns_ddl(full)}, "
        "superseded_at timestamptz, superseded_by_sha256 varchar)"
    )
    con.execute(AUDIT_DDL)


@dataclass(frozen=True)
class Parsed:
    """A body that parsed cleanly, ready to load."""

    body: Body
    rows: pa.Table


@dataclass(frozen=True)
class Failure:
    """A series that could not be fetched or parsed; nothing of it is written."""

    series_id: str
    status: str  # failed | missing
    error: str
    origin: str


@dataclass(frozen=True)
class SeriesStats:
    series_id: str
    rows_in_body: int
    rows_new: int
    rows_revised: int
    first_date: dt.date | None
    last_date: dt.date | None


def _with_lineage(parsed: Parsed, schema: pa.Schema) -> pa.Table:
    n = parsed.rows.num_rows
    rows = parsed.rows.cast(schema)
    lineage = [
        pa.array([parsed.body.origin] * n, pa.string()),
        pa.array([parsed.body.fetched_at] * n, pa.timestamp("us", tz="UTC")),
        pa.array([parsed.body.sha256] * n, pa.string()),
    ]
    for field, column in zip(LINEAGE, lineage, strict=True):
        rows = rows.append_column(field, column)
    return rows


def upsert(con: duckdb.DuckDBPyConnection, connector: Connector, incoming: pa.Table) -> list[SeriesStats]:
    """Merge `incoming` (schema + lineage) into the raw table; call inside a transaction."""
    table = f"raw.{ident(connector.table)}"
    on = " and ".join(f"t.{ident(k)} = i.{ident(k)}" for k in connector.key)
    changed = " or ".join(f"t.{ident(c)} is distinct from i.{ident(c)}" for c in connector.revision_columns)
    series, day = ident(connector.series_column), ident(connector.date_column)
    con.register("incoming_arrow", incoming)
    try:
        con.execute("create or replace temp table _incoming as select * from incoming_arrow")
    finally:
        con.unregister("incoming_arrow")
    stats = con.execute(
        f"""
        select i.{series}, count(*),
               count(*) filter (where t.{ident(connector.key[0])} is null),
               count(*) filter (where t.{ident(connector.key[0])} is not null and ({changed})),
               min(i.{day}), max(i.{day})
        from _incoming i left join {table} t on {on}
        group by 1 order by 1
        """
    ).fetchall()
    con.execute(
        f"""
        insert into {table}_history
        select t.*, now(), i.body_sha256 from {table} t join _incoming i on {on} where {changed}
        """
    )
    con.execute(
        f"""
        merge into {table} t using _incoming i on {on}
        when matched and ({changed}) then update set *
        when not matched then insert *
        """
    )
    con.execute("drop table _incoming")
    return [SeriesStats(*row) for row in stats]


def load(
    con: duckdb.DuckDBPyConnection,
    connector: Connector,
    parsed: list[Parsed],
    failures: list[Failure],
    run_id: str,
) -> list[SeriesStats]:
    """Upsert every parsed body of one source and write the audit, in one transaction."""
    ensure_tables(con, connector)
    full = pa.unify_schemas([connector.schema, LINEAGE])
    now = dt.datetime.now(dt.UTC)
    con.execute("begin transaction")
    try:
        stats: list[SeriesStats] = []
        if parsed:
            incoming = pa.concat_tables([_with_lineage(p, connector.schema) for p in parsed]).cast(full)
            stats = upsert(con, connector, incoming)
        by_series = {s.series_id: s for s in stats}
        audit = []
        for p in parsed:
            s = by_series[p.body.key]
            audit.append(
                (
                    run_id,
                    connector.source,
                    p.body.key,
                    "loaded",
                    p.body.origin,
                    s.rows_in_body,
                    s.rows_new,
                    s.rows_revised,
                    s.first_date,
                    s.last_date,
                    p.body.sha256,
                    p.body.url,
                    None,
                    p.body.fetched_at,
                    now,
                )
            )
        for f in failures:
            audit.append(
                (
                    run_id,
                    connector.source,
                    f.series_id,
                    f.status,
                    f.origin,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    f.error,
                    None,
                    now,
                )
            )
        if audit:
            con.executemany("insert into raw.load_audit values (" + ", ".join(["?"] * 15) + ")", audit)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return stats
