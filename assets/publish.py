"""The analysts' copy: after every successful run, the warehouse is published read-only.

DuckDB admits one writer process and a reader blocks the writer, so analysts never open the
live file. The published copy is built next to its final place and swapped in with an atomic
rename: a reader that connects sees either the previous complete run or this one, never half.
"""

import os
import shutil
import tempfile
from pathlib import Path

import dagster as dg

from orchestration.resources import WarehouseResource, data_dir


def published_path(warehouse: WarehouseResource) -> Path:
    # Same file name as the live warehouse: dbt's views name their catalog after the file stem.
    return data_dir() / "published" / Path(warehouse.resolved_path()).name


def publish(warehouse: WarehouseResource) -> Path:
    """Checkpoint the live file, copy it beside the published one, fsync, and rename it over."""
    source = Path(warehouse.resolved_path())
    with warehouse.connect() as con:
        con.execute("checkpoint")  # fold the WAL in, so the single file is the whole database
    target = published_path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A publish killed before its rename leaves its read-only staging file behind. Each publish
    # stages into a fresh file (never into an existing one, which for a non-root user would be a
    # PermissionError forever after) and sweeps what killed ones left. The names are hidden and
    # end in .tmp, so no reader opening or globbing `*.duckdb` can pick one up.
    for debris in target.parent.glob(f".{target.name}.*.tmp"):
        debris.unlink()
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    staging = Path(name)
    shutil.copyfile(source, staging)
    with staging.open("rb") as handle:
        os.fsync(handle.fileno())
    os.chmod(staging, 0o444)
    os.replace(staging, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target


@dg.asset(
    key=["published", "warehouse"],
    deps=[dg.AssetKey(["marts", "thesis_summary"])],
    group_name="summary",
    kinds={"duckdb"},
    pool="warehouse",
)
def published_warehouse(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """A read-only copy of the whole warehouse for analysts (`make sql`), replaced atomically
    after each successful run. Reconnect to see a newer run."""
    target = publish(warehouse)
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(target)), "bytes": target.stat().st_size}
    )
