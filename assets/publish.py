"""The analysts' copy: after every successful run, the warehouse is published read-only.

DuckDB admits one writer process and a reader blocks the writer, so analysts never open the
live file. The live file is checkpointed (the WAL folded in, so the file alone is the whole
database), copied into a staging folder beside the published file, stamped with
`published.run_info` (this run's id and the run id of the summary it carries), checkpointed
again and swapped in with an atomic rename. A reader that connects sees either the previous
complete copy or this one, never half, and one connection keeps reading the file it opened even
if a newer copy is swapped in meanwhile. Readers never block the pipeline.
"""

import datetime as dt
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb

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


def published_path(warehouse: WarehouseResource) -> Path:
    # Same file name as the live warehouse: dbt's views name their catalog after the file stem.
    return data_dir() / "published" / Path(warehouse.resolved_path()).name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stamp(copy: Path, run_id: str, source_mode: str) -> None:
    """Write published.run_info into the copy; fails if the copy has no thesis summary."""
    with duckdb.connect(str(copy), config=dict(CONNECTION_CONFIG)) as con:
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
        con.execute("create schema published")
        con.execute(RUN_INFO_DDL)
        con.execute(
            "insert into published.run_info values (?, ?, ?, ?, ?, ?)",
            [run_id, *summary, source_mode, dt.datetime.now(dt.UTC)],
        )
        con.execute("checkpoint")


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
    newer run."""
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
