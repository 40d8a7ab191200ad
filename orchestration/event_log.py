"""Dagster's SQLite event log, keeping its database connections open.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine, connects, commits and disposes of
the engine for every event it stores or reads. A demo run stores about 930 events (each of the
260 dbt tests and GX suites is an asset check: planned, then evaluated), and that cost 8-10 s of
a 34 s warm run, in Python, on the run's own thread. This subclass keeps one engine, with one
pooled connection, per database file (the index and the most recently used runs); every event is
still committed on its own, so a killed run loses nothing it had stored.

Configured in orchestration/dagster.yaml as the instance's `event_log_storage`; its files are
where Dagster's default puts them (`$DAGSTER_HOME/history/runs/`), so an instance that used the
default keeps its history. The folder comes from $DAGSTER_HOME (an instance's config cannot name
its own folder): code that loads an instance from a folder uses `instance_at`, not
`DagsterInstance.from_config` alone, which would take another instance's event log.
"""

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# The index and the runs read or written last: the web server reads many runs' files, each of
# which would otherwise hold a file handle for the life of the process.
MAX_OPEN_FILES = 16


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SQLite event log storage that reuses one connection per database file (see the module)."""

    def __init__(self, dagster_home: str, inst_data: ConfigurableClassData | None = None):
        # Before the base class's set-up, which already connects (a new index is created and indexed).
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(os.path.join(dagster_home, "history", "runs"), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "PooledSqliteEventLogStorage":
        home = config_value["dagster_home"]
        if not (Path(home) / "dagster.yaml").exists():
            raise dg.DagsterInvariantViolationError(
                f"DAGSTER_HOME={home} holds no dagster.yaml: this instance was loaded from another "
                "folder, whose event log would be missed; load it with orchestration.event_log.instance_at"
            )
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, created (and its database initialised) on first use."""
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=QueuePool,
            pool_size=1,
            # Every use holds self._db_lock, so threads (the event log watcher) never share it at once.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > MAX_OPEN_FILES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # Its files are deleted: no connection may keep writing to an unlinked one.
        self._close_all()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


def instance_at(home: Path | str) -> dg.DagsterInstance:
    """The instance whose dagster.yaml is in `home`, as Dagster's own processes load it with
    DAGSTER_HOME=home (the variable is read while the instance loads, then restored)."""
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        return dg.DagsterInstance.from_config(str(home))
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved
