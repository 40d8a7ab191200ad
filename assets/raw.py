"""The raw layer: keyed upserts that lose nothing.

Each raw table holds the current version of every observation with its lineage (origin,
fetched_at, sha256 of the body it came from). A load of one source is one transaction:
  * a key never seen before is inserted;
  * an unchanged value is left alone (re-running the same payload changes nothing);
  * a revised value replaces the current row, and the old version moves to `<table>_history`
    with the time it was superseded, so `fetched_at`..`superseded_at` is each version's validity.
`raw.load_audit` records, per run and series, what was loaded, why it failed, or that it was
skipped because its last load is recent enough for its frequency (see `assets.ingest`).
"""

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import duckdb
import pyarrow as pa

from assets.sources.base import Body

LINEAGE = pa.schema(
    [("origin", pa.string()), ("fetched_at", pa.timestamp("us", tz="UTC")), ("body_sha256", pa.string())]
)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")

AUDIT_DDL = """
create table if not exists raw.load_audit (
    run_id varchar not null,
    source varchar not null,
    series_id varchar not null,
    status varchar not null,          -- loaded | failed | missing | rejected | skipped
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
    loaded_at timestamptz not null,
    as_of date                        -- the run's reference date (today live, recording date in replay)
)
"""
# The audit rows as Arrow, for one insert per load (row-wise inserts cost ~0.5 ms a row).
AUDIT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("series_id", pa.string()),
        ("status", pa.string()),
        ("origin", pa.string()),
        ("rows_in_body", pa.int64()),
        ("rows_new", pa.int64()),
        ("rows_revised", pa.int64()),
        ("first_date", pa.date32()),
        ("last_date", pa.date32()),
        ("body_sha256", pa.string()),
        ("url", pa.string()),
        ("error", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
        ("as_of", pa.date32()),
    ]
)
AUDIT_COLUMNS = tuple(AUDIT_SCHEMA.names)


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


class RawTable(Protocol):
    """What the raw layer needs to know of a table; every `Connector` is one, so is genai-prices."""

    source: str
    table: str
    schema: pa.Schema
    key: tuple[str, ...]
    series_column: str
    date_column: str
    revision_columns: tuple[str, ...]


def ensure_tables(con: duckdb.DuckDBPyConnection, connector: RawTable) -> None:
    table = ident(connector.table)
    full = pa.unify_schemas([connector.schema, LINEAGE])
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists raw.{table} ({_columns_ddl(full)})")
    con.execute(
        f"create table if not exists raw.{table}_history ({_columns_ddl(full)}, "
        "superseded_at timestamptz, superseded_by_sha256 varchar)"
    )
    con.execute(AUDIT_DDL)
    # Warehouses created before the skip rule lack the column; adding it keeps their audit.
    con.execute("alter table raw.load_audit add column if not exists as_of date")


@dataclass(frozen=True)
class Parsed:
    """A body that parsed cleanly, ready to load."""

    body: Body
    rows: pa.Table


@dataclass(frozen=True)
class Failure:
    """A series that could not be fetched or parsed; nothing of it is written."""

    series_id: str
    status: str  # failed | missing | rejected (corrupt values)
    error: str
    origin: str
    # The error without its series prefix, place last: "an HTML page instead of data (line 1)".
    reason: str = ""


@dataclass(frozen=True)
class SeriesLoad:
    """The latest load of one source series that was not a skip (a skip keeps the status of the
    load before it), and the last date its loaded bodies reached."""

    status: str  # loaded | failed | missing | rejected
    origin: str | None
    error: str | None = None
    last_date: dt.date | None = None

    def reason(self, ref: str, place: bool = True) -> str:
        """Why it did not load, its place last: `an HTML page instead of data (line 1)` from the
        SourceError message `<ref> at line 1: an HTML page instead of data` (no place: without it)."""
        text = (self.error or self.status).removeprefix(ref)
        if text.startswith(" at ") and ": " in text:
            where, problem = text.removeprefix(" at ").split(": ", 1)
            return f"{problem} ({where})" if place else problem
        return text.lstrip(": ")


def latest_loads(con: duckdb.DuckDBPyConnection, source: str | None = None) -> dict[str, SeriesLoad]:
    """`source/series` → its latest load, for every series of `source` (of all sources: None) that
    raw.load_audit has seen."""
    rows = con.execute(
        """
        with
        latest as (
            select source, series_id, status, origin, error
            from raw.load_audit
            where status <> 'skipped' and source = coalesce(?, source)
            qualify row_number() over (partition by source, series_id order by loaded_at desc) = 1
        ),
        reached as (
            select source, series_id, max(last_date) as last_date
            from raw.load_audit
            where status = 'loaded' and source = coalesce(?, source)
            group by all
        )
        select latest.source || '/' || latest.series_id, status, origin, error, reached.last_date
        from latest
        left join reached using (source, series_id)
        """,
        [source, source],
    ).fetchall()
    return {ref: SeriesLoad(*rest) for ref, *rest in rows}


@dataclass(frozen=True)
class SeriesStats:
    series_id: str
    rows_in_body: int
    rows_new: int
    rows_revised: int
    first_date: dt.date | None
    last_date: dt.date | None


BODY = "_body"  # a row's body: its position in the batch, joined to the batch's lineage
_BODIES = pa.schema([(BODY, pa.int32()), *LINEAGE])


def _batch_tables(batch: Sequence[Parsed], schema: pa.Schema) -> tuple[pa.Table, pa.Table]:
    """A batch's rows, each numbered with its body, and one row of lineage per body.

    DuckDB joins the lineage in as it reads the rows. Built in Arrow, a SHA-256 string on every
    row was most of a batch's memory and much of a first load's time, and kept the batches small;
    small batches insert at half the rate of large ones. `python -m bench.worker ingest`, 1,000
    series (2.6 M rows): the load took 5.3-5.7 s with the lineage built in Arrow in batches of
    250,000 rows, 3.3-3.5 s this way in batches of 1 M; a bare insert of the same final rows 2.0 s.
    """
    rows = pa.concat_tables(
        [
            p.rows.cast(schema).append_column(BODY, pa.repeat(pa.scalar(i, pa.int32()), p.rows.num_rows))
            for i, p in enumerate(batch)
        ]
    )
    lineage = zip(*((p.body.origin, p.body.fetched_at, p.body.sha256) for p in batch), strict=True)
    columns = [pa.array(values, field.type) for field, values in zip(LINEAGE, lineage, strict=True)]
    return rows, pa.Table.from_arrays([pa.array(range(len(batch)), pa.int32()), *columns], schema=_BODIES)


def _key_match(connector: RawTable, incoming: pa.Table) -> str:
    """The join condition on the key, `t.k = i.k` wherever it means the same as `is not distinct from`.

    A key part may be NULL (genai-prices' undated price) and must still match itself, which takes
    `is not distinct from`; but where the incoming column holds no NULL the two conditions select
    the same rows, and `=` lets DuckDB's hash join run faster (a fifth of a first load at scale).
    """
    parts = []
    for k in connector.key:
        column = ident(k)
        op = "=" if incoming.column(k).null_count == 0 else "is not distinct from"
        parts.append(f"t.{column} {op} i.{column}")
    return " and ".join(parts)


def _insert_all(con: duckdb.DuckDBPyConnection, table: str, incoming: duckdb.DuckDBPyRelation) -> None:
    """Append every incoming row, its columns matched to the table's by name."""
    columns = [name for (name,) in con.execute(f"select column_name from (describe {table})").fetchall()]
    incoming.select(*columns).insert_into(table)


def upsert(
    con: duckdb.DuckDBPyConnection,
    connector: RawTable,
    incoming: pa.Table,
    *,
    bodies: pa.Table,
    first: bool = False,
) -> list[SeriesStats]:
    """Merge `incoming` (the schema's rows, each with its body's number) into the raw table, with
    the lineage of each row's body from `bodies` (see `_batch_tables`); call inside a transaction.

    `first`: the caller knows that the table holds no row of any incoming series (their first
    load), so every row is new and nothing is joined against the table.
    """
    table = f"raw.{ident(connector.table)}"
    series, day = ident(connector.series_column), ident(connector.date_column)
    full = pa.unify_schemas([connector.schema, LINEAGE])
    # The Arrow tables are read in place (no copy into a temp table first: the copy cost as much
    # as the merge's own scan of the incoming rows). A statement that names them (`run`) does so
    # through a view, `_incoming`, and DuckDB 1.5 keeps each batch's replaced view, and the Arrow
    # tables behind it, until the load commits (44 MB a 250,000-row batch with the lineage built
    # in Arrow, measured). So does `con.register`. The relation's own methods (join, aggregate,
    # select, insert_into) create no view.
    incoming_rows = (
        con.from_arrow(incoming).join(con.from_arrow(bodies), BODY).select(*(ident(n) for n in full.names))
    )
    if first:
        stats = incoming_rows.aggregate(f"{series}, count(*), count(*), 0, min({day}), max({day})", series)
        first_stats = [SeriesStats(*row) for row in stats.order(series).fetchall()]
        _insert_all(con, table, incoming_rows)
        return first_stats

    on = _key_match(connector, incoming)
    changed = " or ".join(f"t.{ident(c)} is distinct from i.{ident(c)}" for c in connector.revision_columns)

    def run(sql: str) -> duckdb.DuckDBPyRelation:
        return incoming_rows.query("_incoming", sql)

    stats = [
        SeriesStats(*row)
        for row in run(
            f"""
            select i.{series}, count(*),
                   count(*) filter (where t.{ident(connector.key[0])} is null),
                   count(*) filter (where t.{ident(connector.key[0])} is not null and ({changed})),
                   min(i.{day}), max(i.{day})
            from _incoming i left join {table} t on {on}
            group by 1 order by 1
            """
        ).fetchall()
    ]
    # The counts say which writes have work to do, and each join left out is a scan of the whole
    # raw table saved: DuckDB 1.5 joins every batch against all of it (2.0 prunes by the key's
    # range), and on a first load the history join and the merge took 5 times the insert's time.
    new = sum(s.rows_new for s in stats)
    revised = sum(s.rows_revised for s in stats)
    if revised:
        run(
            f"""
            insert into {table}_history
            select t.*, now(), i.body_sha256 from {table} t join _incoming i on {on} where {changed}
            """
        )
    if new == sum(s.rows_in_body for s in stats):
        _insert_all(con, table, incoming_rows)
    elif new or revised:
        run(
            f"""
            merge into {table} t using _incoming i on {on}
            when matched and ({changed}) then update set *
            when not matched then insert *
            """
        )
    return stats


# A million rows a batch: small batches insert slowly (2.6 M rows, lineage joined in: batches of
# 250,000 4.8 s, of 1 M 3.4 s; one bare insert 2.3 s). With the lineage built in Arrow a 1 M-row
# batch was most of a large load's peak memory; joined in, it costs a number per row.
UPSERT_BATCH_ROWS = 1_000_000


def _batches(parsed: Iterable[Parsed], rows: int) -> Iterator[list[Parsed]]:
    """Consecutive runs of whole bodies holding about `rows` rows each (a larger body alone)."""
    batch: list[Parsed] = []
    size = 0
    for p in parsed:
        if batch and size + p.rows.num_rows > rows:
            yield batch
            batch, size = [], 0
        batch.append(p)
        size += p.rows.num_rows
    if batch:
        yield batch


def load(
    con: duckdb.DuckDBPyConnection,
    connector: RawTable,
    parsed: Iterable[Parsed],
    failures: Iterable[Failure],
    run_id: str,
    *,
    as_of: dt.date | None = None,
    skipped: Sequence[str] = (),
) -> list[SeriesStats]:
    """Upsert every parsed body of one source and write the audit, in one transaction.

    `parsed` may be a generator that fetches and parses as it goes: it is consumed a batch at a
    time, so a source of thousands of series never holds all its bodies in memory, and only then
    is `failures` read (the generator may record its failures there). `skipped` series were not
    fetched (their last load is recent enough): audited, nothing written.
    """
    ensure_tables(con, connector)
    now = dt.datetime.now(dt.UTC)

    def record(series_id: str, status: str, **fields) -> dict:
        known = {"run_id": run_id, "source": connector.source, "series_id": series_id, "status": status}
        return {**known, **fields, "loaded_at": now, "as_of": as_of}

    con.execute("begin transaction")
    try:
        stats: list[SeriesStats] = []
        audit = []
        # The series the table holds: a batch of none of them is a first load, inserted without a
        # join. Read once (one column), and kept up to date as the batches merge.
        series_ids = con.table(f"raw.{ident(connector.table)}").select(ident(connector.series_column))
        held = {series for (series,) in series_ids.distinct().fetchall()}
        # Bodies are merged a batch at a time, still in the one transaction: a source of thousands
        # of series is never held in memory at once (the bodies may arrive from a generator). A
        # series is never split, so the batches touch disjoint keys and merge as one would.
        for batch in _batches(parsed, UPSERT_BATCH_ROWS):
            rows, bodies = _batch_tables(batch, connector.schema)
            keys = {p.body.key for p in batch}
            first = held.isdisjoint(keys)
            merged = {s.series_id: s for s in upsert(con, connector, rows, bodies=bodies, first=first)}
            held |= keys
            stats += merged.values()
            for p in batch:
                s = merged[p.body.key]
                audit.append(
                    record(
                        p.body.key,
                        "loaded",
                        origin=p.body.origin,
                        rows_in_body=s.rows_in_body,
                        rows_new=s.rows_new,
                        rows_revised=s.rows_revised,
                        first_date=s.first_date,
                        last_date=s.last_date,
                        body_sha256=p.body.sha256,
                        url=p.body.url,
                        fetched_at=p.body.fetched_at,
                    )
                )
        audit += [record(f.series_id, f.status, origin=f.origin, error=f.error) for f in failures]
        audit += [record(series_id, "skipped") for series_id in skipped]
        if audit:
            con.register("_audit", pa.Table.from_pylist(audit, AUDIT_SCHEMA))
            try:
                con.execute(f"insert into raw.load_audit ({', '.join(AUDIT_COLUMNS)}) select * from _audit")
            finally:
                con.unregister("_audit")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return stats
