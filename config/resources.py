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

from config.lake import Lake, resolved_lake
from config.lake import session as lake_session
from config.warehouse_lock import PostgresWarehouseLock, WarehouseLock, lock_path, reap_dead_holder

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


def dbt_target_dir(data: Path | None = None) -> Path:
    """dbt's artifacts and logs for the runs of one data folder (`data`, else `data_dir()`):
    manifest, run_results.json, compiled SQL, dbt.log. One folder per data folder, so two
    warehouses (a replay beside the daily run, the tests' temporary ones) never write each other's
    artifacts. A new one starts from `make`'s parse (dagster-dbt copies it in), which holds in any
    folder: the profile names the warehouse file alone (config/dbt_file_plugin.py)."""
    return (data or data_dir()) / "dbt-target"


# `file`: one DuckDB file on this machine (the default, offline). `team`: a DuckLake whose
# catalog is in PostgreSQL, with Dagster's instance in PostgreSQL too (docs/scaling.md).
PROFILES = ("file", "team")


def resolved_profile(value: str | None = None) -> str:
    """The profile: `value`, else $THESIS_PROFILE, else file."""
    profile = value or os.environ.get("THESIS_PROFILE") or "file"
    if profile not in PROFILES:
        raise dg.Failure(f"THESIS_PROFILE must be one of {', '.join(PROFILES)}, not {profile!r}")
    return profile


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse (schemas raw, staging, marts): a DuckDB file (profile `file`) or a DuckLake
    (profile `team`). Either way `connect()` gives a DuckDB session whose default catalog is it.

    A run that uses it holds the warehouse's lock from start to end (`warehouse_lock.py`), so
    runs in different processes wait for each other instead of failing on DuckDB's file lock
    (file) or interleaving their writes (team: the lock is in the catalog's PostgreSQL, so it
    spans machines).
    """

    path: str | None = Field(
        default=None,
        description="DuckDB file or `md:` target. Default: $WAREHOUSE_PATH, else data/warehouse.duckdb.",
    )
    profile: str | None = Field(
        default=None, description="file or team. Default: $THESIS_PROFILE, else file."
    )
    lake_catalog: str | None = Field(
        default=None,
        description="team: the DuckLake catalog, as after `ducklake:` in ATTACH. Default: "
        "$THESIS_LAKE_CATALOG, else the local cluster of `make team-up`.",
    )
    lake_data_path: str | None = Field(
        default=None,
        description="team: the lake's data files (a directory, or object storage). Default: "
        "$THESIS_LAKE_DATA_PATH, else <THESIS_DATA_DIR>/lake.",
    )
    _lock: WarehouseLock | PostgresWarehouseLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.run is None:  # runs only: not sensors, nor by-hand use
            return
        if self.is_lake():
            dsn = self.lake().postgres_dsn
            if dsn is None:
                raise dg.Failure(f"the team profile needs a PostgreSQL catalog, not {self.lake().catalog!r}")
            self._lock = PostgresWarehouseLock(dsn)
        else:
            path = lock_path(self.resolved_path())
            if path is None:
                return
            self._lock = WarehouseLock(path)
        dead = self._lock.acquire(context.run.run_id, context.log)
        if dead is not None:
            reap_dead_holder(context.instance, dead, context.run.run_id, context.log)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release(context.log)
            self._lock = None

    def is_lake(self) -> bool:
        return resolved_profile(self.profile) == "team"

    def lake(self) -> Lake:
        """The team profile's lake (catalog and data path), resolved now."""
        return resolved_lake(self.lake_catalog, self.lake_data_path, data_dir() / "lake")

    def resolved_path(self) -> str:
        """The file (or `md:` target); in the team profile, `ducklake:<catalog>`."""
        if self.is_lake():
            return f"ducklake:{self.lake().catalog}"
        path = self.path or os.environ.get("WAREHOUSE_PATH") or str(data_dir() / "warehouse.duckdb")
        if _is_remote_or_memory(path):
            return path
        return str(_from_project(path))

    def is_local_file(self) -> bool:
        """A file on this machine (not a lake, not MotherDuck `md:`, not in memory): it can be copied."""
        return not self.is_lake() and not _is_remote_or_memory(self.resolved_path())

    def describe(self) -> str:
        """One line for people: which warehouse this is."""
        return self.lake().describe() if self.is_lake() else self.resolved_path()

    def dbt_env(self) -> dict[str, str]:
        """What dbt's profile (dbt_project/profiles.yml) reads to open this same warehouse."""
        if self.is_lake():
            lake = self.lake()
            return {
                "THESIS_PROFILE": "team",
                "THESIS_LAKE_CATALOG": lake.catalog,
                "THESIS_LAKE_DATA_PATH": lake.data_path,
            }
        return {"THESIS_PROFILE": "file", "WAREHOUSE_PATH": self.resolved_path()}

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB session on the warehouse (read-only: the latest state, never written)."""
        if self.is_lake():
            con = lake_session(self.lake(), read_only=read_only, config=dict(CONNECTION_CONFIG))
        else:
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
