"""The team profile's warehouse: a DuckLake, its catalog in PostgreSQL and its data files (Parquet)
under a directory that stands in for object storage (DuckLake's DATA_PATH).

DuckDB loads DuckLake and its PostgreSQL client as extension files shipped in PyPI wheels
(`duckdb-extension-ducklake`, `duckdb-extension-postgres-scanner`), by path: nothing is
downloaded at run time, autoinstall stays off, and an extension built for another DuckDB version
is refused with a message naming both versions.

Every process that opens the lake (a run's assets and checks, dbt, analysts) attaches it under
one alias, `lake`: dbt's views store the catalog name of the tables they read, so the alias is
part of the data. Publishing is a commit of its own, with the message `publish` (`assets/publish.py`);
analysts attach the lake read-only at the newest such snapshot, so a reader always sees one
whole published run, never the run being written.
"""

import importlib.util
import os
import re
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

ALIAS = "lake"
# The two extension files: DuckLake, and the PostgreSQL client its catalog needs. The package
# named `duckdb-extension-postgres` holds a file that fails to load (wrong entry point).
EXTENSIONS = {
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "ducklake": "duckdb_extension_ducklake",
}
# The snapshots that publish a run: written by the publish step, read by every analyst.
AUTHOR = "thesis-warehouse"
PUBLISH = "publish"
# The local cluster of `make team-up` (orchestration/team_cluster.py): the defaults of the team
# profile, so `THESIS_PROFILE=team make run` needs nothing else on a laptop.
LOCAL_PG = "host=127.0.0.1 port=54329 user=thesis"
LOCAL_CATALOG = f"postgres:dbname=thesis_lake {LOCAL_PG}"
LOCAL_OPS = f"dbname=thesis_ops {LOCAL_PG}"


class LakeError(RuntimeError):
    """The lake cannot be opened as configured (a missing extension, no published snapshot)."""


def sql_string(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def extension_path(name: str) -> Path:
    """The extension file of `name` for the running DuckDB, from its installed wheel."""
    package = EXTENSIONS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LakeError(f"the Python package {package} is not installed (it is in requirements.lock)")
    root = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    path = root / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        built = sorted(p.name for p in root.glob("v*"))
        raise LakeError(
            f"{package} holds no {name} extension for DuckDB {duckdb.__version__} (it has {built}): "
            "an extension loads only into the DuckDB version it was built for"
        )
    return path


def load_statements() -> list[str]:
    return [f"LOAD {sql_string(extension_path(name))}" for name in EXTENSIONS]


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    for statement in load_statements():
        con.execute(statement)


@dataclass(frozen=True)
class Lake:
    """Where one lake lives: its catalog (what follows `ducklake:` in ATTACH) and its data path."""

    catalog: str
    data_path: str

    def describe(self) -> str:
        """For logs and terminals: the catalog with any password masked, and the data path."""
        catalog = re.sub(r"(password\s*=\s*)\S+", r"\1***", self.catalog)
        return f"DuckLake {catalog} (data {self.data_path})"

    @property
    def postgres_dsn(self) -> str | None:
        """The libpq connection string of a PostgreSQL catalog (None for another kind)."""
        return self.catalog.removeprefix("postgres:") if self.catalog.startswith("postgres:") else None

    def attach_statement(
        self, read_only: bool = False, snapshot: int | None = None, alias: str = ALIAS
    ) -> str:
        options = [f"DATA_PATH {sql_string(self.data_path)}"]
        if read_only:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        return f"ATTACH {sql_string('ducklake:' + self.catalog)} AS {alias} ({', '.join(options)})"

    def statements(self, read_only: bool = False, snapshot: int | None = None) -> list[str]:
        """What a session runs to open the lake: load the extensions, attach, and make it the default."""
        return [*load_statements(), self.attach_statement(read_only, snapshot), f"USE {ALIAS}"]

    def connect(
        self, read_only: bool = False, snapshot: int | None = None, config: dict | None = None
    ) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB session with the lake attached as `lake` and in use.

        Read-only at `snapshot` is how analysts read (time travel); read-write is always the latest."""
        if not read_only:
            Path(self.data_path).mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, **(config or {})})
        try:
            for statement in self.statements(read_only, snapshot):
                con.execute(statement)
        except BaseException:
            con.close()
            raise
        return con


# One attached session per process, lake and mode: loading the extensions and attaching the lake
# cost about half a second, and a run opens the warehouse some fifteen times (each ingest asset and
# check, the gate, the summary, publishing). Each `session()` is a cursor of it, a connection of its
# own over the same attachment; every transaction still starts on the lake's latest snapshot.
_SESSIONS: dict[tuple, duckdb.DuckDBPyConnection] = {}
_SESSIONS_LOCK = threading.Lock()


def session(lake: Lake, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the lake (the latest state), `lake` in use; close it when done."""
    key = (os.getpid(), lake, read_only, tuple(sorted((config or {}).items())))
    with _SESSIONS_LOCK:
        attached = _SESSIONS.get(key)
        if attached is None:
            attached = _SESSIONS[key] = lake.connect(read_only=read_only, config=config)
    cursor = attached.cursor()
    cursor.execute(f"USE {ALIAS}")
    return cursor


def resolved_lake(catalog: str | None, data_path: str | None, default_data_path: Path) -> Lake:
    """The lake of the team profile: fields first, then $THESIS_LAKE_CATALOG and
    $THESIS_LAKE_DATA_PATH, then the local cluster of `make team-up` and <data dir>/lake/."""
    chosen_catalog = catalog or os.environ.get("THESIS_LAKE_CATALOG") or LOCAL_CATALOG
    chosen_data = data_path or os.environ.get("THESIS_LAKE_DATA_PATH") or str(default_data_path)
    if "://" not in chosen_data:  # a local directory: absolute, so every process finds the same files
        chosen_data = str(Path(chosen_data).expanduser().resolve())
    return Lake(chosen_catalog.removeprefix("ducklake:"), chosen_data)


def snapshot_id(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> int:
    """The lake's current snapshot, as this session sees it."""
    return con.execute(f"select id from ducklake_current_snapshot({sql_string(alias)})").fetchall()[0][0]


def published_snapshot(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> int | None:
    """The newest snapshot committed by a publish step (None before the first publish)."""
    return con.execute(
        f"select max(snapshot_id) from ducklake_snapshots({sql_string(alias)}) "
        "where author = ? and commit_message = ?",
        [AUTHOR, PUBLISH],
    ).fetchall()[0][0]


def latest_published(lake: Lake) -> int | None:
    """The newest published snapshot, read from the catalog (read-only, the latest state)."""
    with closing(lake.connect(read_only=True)) as con:
        return published_snapshot(con)


@contextmanager
def open_published(lake: Lake) -> Iterator[tuple[duckdb.DuckDBPyConnection, int]]:
    """A read-only session on the newest published snapshot, and that snapshot's id."""
    snapshot = latest_published(lake)
    if snapshot is None:
        raise LakeError("the lake has no published snapshot yet: run the pipeline first")
    with closing(lake.connect(read_only=True, snapshot=snapshot)) as con:
        yield con, snapshot
