"""The analysts' copy: after every successful run, the warehouse is published read-only.

DuckDB admits one writer process and a reader blocks the writer, so analysts never open the
live file. The live file is checkpointed (the WAL folded in, so the file alone is the whole
database), copied into a staging folder beside the published file, stamped with
`published.run_info` (this run's id and the run id of the summary it carries), checkpointed
again and swapped in with an atomic rename. A reader that connects sees either the previous
complete copy or this one, never half, and one connection keeps reading the file it opened even
if a newer copy is swapped in meanwhile. Readers never block the pipeline.

In the team profile the warehouse is a DuckLake, and nothing is copied: DuckLake keeps every
snapshot. Publishing writes `published.run_info` (the same row, plus the snapshot id of the
run's data) in a commit of its own whose message is `publish`; analysts attach the lake
read-only at the newest such snapshot (time travel), so they see one whole published run while
the next run writes, and a run whose gate failed is never seen (config/lake.py).
"""

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from config import lake
from config.resources import CONNECTION_CONFIG, SourceSettings, WarehouseResource, data_dir

RUN_INFO_DDL = """
create table published.run_info (
    run_id varchar not null,          -- the run that published this copy
    summary_run_id varchar not null,  -- the run that computed marts.thesis_summary (same for a full run)
    as_of date not null,              -- the summary's as-of date
    verdict varchar not null,         -- each thesis' verdict: "<thesis>: <status>; …"
    source_mode varchar not null,     -- demo | live | replay
    published_at timestamptz not null
)
"""
# The team profile's run_info also names the lake snapshot that holds the run's data: the one
# the publish commit follows (the published snapshot itself adds only this row).
RUN_INFO_COLUMNS = "run_id, summary_run_id, as_of, verdict, source_mode, published_at"


def published_path(warehouse: WarehouseResource) -> Path:
    # Same file name as the live warehouse: dbt's views name their catalog after the file stem.
    return data_dir() / "published" / Path(warehouse.resolved_path()).name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _summary(con) -> tuple:
    """(run id, as-of date, each thesis' verdict) of marts.thesis_summary; fails if it is empty."""
    summary = con.execute(
        """
        select
            any_value(run_id),
            any_value(as_of),
            string_agg(thesis || ': ' || status, '; ' order by thesis) filter (row_type = 'verdict')
        from marts.thesis_summary
        """
    ).fetchall()[0]
    if summary[0] is None:
        raise dg.Failure("marts.thesis_summary is empty: nothing to publish")
    return summary


def stamp(copy: Path, run_id: str, source_mode: str) -> None:
    """Write published.run_info into the copy; fails if the copy has no thesis summary."""
    with duckdb.connect(str(copy), config=dict(CONNECTION_CONFIG)) as con:
        summary = _summary(con)
        con.execute("create schema published")
        con.execute(RUN_INFO_DDL)
        con.execute(
            "insert into published.run_info values (?, ?, ?, ?, ?, ?)",
            [run_id, *summary, source_mode, dt.datetime.now(dt.UTC)],
        )
        con.execute("checkpoint")


def publish_snapshot(warehouse: WarehouseResource, run_id: str, source_mode: str) -> tuple[int, int]:
    """Team profile: stamp the lake's current state as published, in one commit of its own.

    Returns (the snapshot holding the run's data, the published snapshot analysts now read)."""
    with warehouse.connect() as con:
        con.execute("begin transaction")
        try:
            data_snapshot = lake.snapshot_id(con)
            summary = _summary(con)
            con.execute("create schema if not exists published")
            con.execute(RUN_INFO_DDL.replace("create table", "create table if not exists"))
            con.execute("alter table published.run_info add column if not exists snapshot_id bigint")
            # One row, as in the file profile's copy: the publishes before it are the lake's history.
            con.execute("delete from published.run_info")
            con.execute(
                f"insert into published.run_info ({RUN_INFO_COLUMNS}, snapshot_id) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                [run_id, *summary, source_mode, dt.datetime.now(dt.UTC), data_snapshot],
            )
            con.execute(
                f"call {lake.ALIAS}.set_commit_message(?, ?, extra_info => ?)",
                [lake.AUTHOR, lake.PUBLISH, f'{{"run_id": "{run_id}"}}'],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        published = lake.published_snapshot(con)
    return data_snapshot, published


@contextmanager
def open_published(target: WarehouseResource | Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only session on what analysts read: a warehouse's published copy, or its lake's
    newest published snapshot (team profile); or the DuckDB file `target` names."""
    if isinstance(target, WarehouseResource) and target.is_lake():
        with lake.open_published(target.lake()) as (con, _):
            yield con
        return
    path = published_path(target) if isinstance(target, WarehouseResource) else target
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


def is_published(warehouse: WarehouseResource) -> bool:
    """Whether analysts have anything to read yet: a published copy, or a published snapshot."""
    if warehouse.is_lake():
        return lake.latest_published(warehouse.lake()) is not None
    return published_path(warehouse).exists()


def publish(warehouse: WarehouseResource, run_id: str, source_mode: str) -> Path:
    """Checkpoint the live file, copy and stamp it beside the published one, fsync, rename it over."""
    source = Path(warehouse.resolved_path())
    with warehouse.connect() as con:
        con.execute("checkpoint")  # fold the WAL in, so the single file is the whole database
    target = published_path(warehouse)
    # Staged under the published file's own name (see published_path), on the same filesystem.
    staging_dir = target.parent / ".staging"
    shutil.rmtree(staging_dir, ignore_errors=True)  # what a crashed publish left behind
    staging_dir.mkdir(parents=True)
    staging = staging_dir / target.name
    shutil.copyfile(source, staging)
    stamp(staging, run_id, source_mode)
    _fsync(staging)
    os.chmod(staging, 0o444)
    os.replace(staging, target)
    _fsync(target.parent)
    staging_dir.rmdir()
    return target


@dg.asset(
    key=["published", "warehouse"],
    deps=[dg.AssetKey(["marts", "thesis_summary"])],
    group_name="summary",
    kinds={"duckdb"},
    pool="warehouse",
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourceSettings
) -> dg.MaterializeResult:
    """A read-only copy of the whole warehouse for analysts (`make sql`), replaced atomically
    after each successful run; `published.run_info` says which run it holds. Reconnect to see a
    newer run. On a DuckLake (team profile) no copy is made: the run's snapshot is published."""
    if warehouse.is_lake():
        data_snapshot, published = publish_snapshot(warehouse, context.run.run_id, sources.resolved_mode())
        return dg.MaterializeResult(
            metadata={
                "published_snapshot": published,
                "data_snapshot": data_snapshot,
                "run_id": context.run.run_id,
            }
        )
    if not warehouse.is_local_file():
        # MotherDuck and the like serve readers themselves (shares, read scaling): see docs/scaling.md.
        return dg.MaterializeResult(metadata={"published": "no copy: the warehouse is not a local file"})
    target = publish(warehouse, context.run.run_id, sources.resolved_mode())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "bytes": target.stat().st_size,
            "run_id": context.run.run_id,
        }
    )
