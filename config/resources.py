"""Resources: the DuckDB warehouse, where source bodies come from, and dbt.

Configuration is read when a run starts, never at import: a missing variable cannot break the
code location, and every field can be overridden in the launchpad.
"""

import datetime as dt
import functools
import importlib.metadata
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from packaging.version import Version
from pydantic import Field, PrivateAttr

from config.warehouse_lock import WarehouseLock, lock_path, reap_dead_holder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# Files are created in the v1.5 storage format so the DuckDB CLI (1.5.x, the newest released)
# and other DuckDB-based tools can open the warehouse; duckdb 2.0 keeps the format on later writes.
STORAGE_VERSION = "v1.5.0"
# DuckDB's allocator hands freed memory back to the system after any task that peaked above 16 MB
# (default 128 MB): a 1,000-series load otherwise ended holding 240 MB more it no longer used.
CONNECTION_CONFIG = {
    "storage_compatibility_version": STORAGE_VERSION,
    "autoinstall_known_extensions": False,
    "allocator_flush_threshold": "16MB",
    "allocator_bulk_deallocation_flush_threshold": "16MB",
}


def _from_project(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def _is_remote_or_memory(path: str) -> bool:
    return path.startswith("md:") or path == ":memory:"


def data_dir() -> Path:
    """Everything the pipeline writes besides the warehouse: published copy, reports, Data Docs."""
    return _from_project(os.environ.get("THESIS_DATA_DIR", "data"))


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (schemas raw, staging, marts).

    A run that uses it holds the warehouse's lock from start to end (`warehouse_lock.py`), so
    runs in different processes wait for each other instead of failing on DuckDB's file lock.
    """

    path: str | None = Field(
        default=None,
        description="DuckDB file or `md:` target. Default: $WAREHOUSE_PATH, else data/warehouse.duckdb.",
    )
    _lock: WarehouseLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        path = lock_path(self.resolved_path())
        if path is None or context.run is None:  # runs only: not sensors, nor by-hand use
            return
        self._lock = WarehouseLock(path)
        dead = self._lock.acquire(context.run.run_id, context.log)
        if dead is not None:
            reap_dead_holder(context.instance, dead, context.run.run_id, context.log)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release(context.log)
            self._lock = None

    def resolved_path(self) -> str:
        path = self.path or os.environ.get("WAREHOUSE_PATH") or str(data_dir() / "warehouse.duckdb")
        if _is_remote_or_memory(path):
            return path
        return str(_from_project(path))

    def is_local_file(self) -> bool:
        """A file on this machine (not MotherDuck `md:`, not in memory): it can be copied."""
        return not _is_remote_or_memory(self.resolved_path())

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        path = self.resolved_path()
        if self.is_local_file():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        config = {} if read_only else dict(CONNECTION_CONFIG)
        con = duckdb.connect(path, read_only=read_only, config=config)
        try:
            yield con
        finally:
            con.close()


# A snapshot's recording time, written by `assets.sources.bodies.write_snapshot`. It lives here,
# with the settings, because the replay input's recording date is the run's reference date.
RECORDED_AT = "RECORDED_AT"


def recorded_at(directory: Path) -> dt.datetime | None:
    """When a snapshot was recorded, from its RECORDED_AT file (None when absent)."""
    marker = directory / RECORDED_AT
    if not marker.is_file():
        return None
    stamp = dt.datetime.fromisoformat(marker.read_text().strip())
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


class SourceSettings(dg.ConfigurableResource):
    """Where source bodies come from: demo (synthetic, offline), live (HTTP) or replay (a snapshot).

    Settings only: the ingest asset opens the body source they choose (`assets.ingest.open_bodies`).
    """

    mode: str | None = Field(
        default=None, description="demo, live or replay. Default: $THESIS_SOURCE_MODE, else demo."
    )
    snapshot_dir: str | None = Field(default=None, description="Replay input. Default: $THESIS_SNAPSHOT_DIR.")
    record_dir: str | None = Field(
        default=None, description="Live mode saves every body here. Default: $THESIS_RECORD_DIR."
    )
    as_of: str | None = Field(
        default=None,
        description="Run as of this ISO date (demo end date). Default: $THESIS_AS_OF, else today (UTC).",
    )
    http_timeout_s: float = Field(
        default=30.0,
        description="Seconds allowed to connect, for each read, and for a whole answer (a body still "
        "arriving then is cut off, and the request retried within its budget).",
    )
    force_refetch: bool | None = Field(
        default=None,
        description="Fetch every series, even one loaded recently enough for its frequency "
        "(config/freshness.yaml). Default: $THESIS_FORCE_REFETCH (1/true), else false.",
    )

    def resolved_mode(self) -> str:
        mode = self.mode or os.environ.get("THESIS_SOURCE_MODE") or "demo"
        if mode not in ("demo", "live", "replay"):
            raise dg.Failure(f"THESIS_SOURCE_MODE must be demo, live or replay, not {mode!r}")
        return mode

    def refetch_everything(self) -> bool:
        """Whether the skip rule is off. It saves requests to live sources only: a replay snapshot
        and the demo data are fixed inputs, read whole on every run (a snapshot changed on the same
        day must be read). In live mode it is off when forced, or when recording (a snapshot must
        hold every series)."""
        if self.resolved_mode() != "live":
            return True
        forced = self.force_refetch
        if forced is None:
            forced = os.environ.get("THESIS_FORCE_REFETCH", "").strip().lower() in ("1", "true", "yes")
        return forced or self.record_path() is not None

    def as_of_date(self) -> dt.date:
        value = self.as_of or os.environ.get("THESIS_AS_OF")
        return dt.date.fromisoformat(value) if value else dt.datetime.now(dt.UTC).date()

    def reference_date(self) -> dt.date:
        """The date freshness is judged against: the snapshot's recording date in replay mode."""
        if self.resolved_mode() == "replay":
            snapshot = self.snapshot_path()
            stamp = recorded_at(snapshot) if snapshot else None
            if stamp is not None:
                return stamp.date()
        return self.as_of_date()

    def snapshot_path(self) -> Path | None:
        """The replay input directory, if one is set."""
        return self._dir(self.snapshot_dir, "THESIS_SNAPSHOT_DIR")

    def record_path(self) -> Path | None:
        """Where live mode records every body, if anywhere."""
        return self._dir(self.record_dir, "THESIS_RECORD_DIR")

    def _dir(self, value: str | None, env: str) -> Path | None:
        chosen = value or os.environ.get(env)
        return _from_project(chosen) if chosen else None


class DbtResource(DbtCliResource):
    """dbt, run from this venv.

    dagster-dbt asks `dbt --version` on every run to learn the dbt version, and dbt then queries
    PyPI for newer releases (about 2.4 s per run, and a network call that no setting disables).
    The dbt that runs is the one installed next to this interpreter, so its version is read from
    the package metadata instead. Nor does it load a dbt adapter in this process (see below).
    """

    @functools.cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No dbt adapter in the Dagster process: dagster-dbt builds one on every `cli()` call
        (profile, project, macros: about 1.5 s of the step) only for `fetch_row_counts()` and
        `fetch_column_metadata()`, which this project does not use (the dbt asset counts rows
        itself, after dbt has released the warehouse)."""
        return None


def dbt_executable() -> str:
    """The venv's dbt, found next to the running interpreter when the venv is not activated."""
    return shutil.which("dbt") or str(Path(sys.executable).with_name("dbt"))
