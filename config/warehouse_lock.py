"""One run at a time on a warehouse file, whichever process started it.

DuckDB admits one writer process per file and fails at once when a second one opens it. The
Dagster run queue and the `warehouse` pool serialise runs of one instance, but two `make run`s,
or a `make run` beside `dagster dev`, are separate processes (and may use separate instances).
So a run holds an exclusive `flock` on `<warehouse>.lock` from its start to its end: a second
run waits, saying which run it waits for, and the kernel drops the lock when the holder exits,
however it dies. dbt, a subprocess of the holder, never takes the lock, so it is never blocked.

The holder writes who it is into the file and a clean release marks the record released. A run
that takes the lock and finds an unreleased record therefore knows the previous holder died
mid-run: it marks that run failed and frees its concurrency-pool slots, which a killed run never
gives back and which would otherwise block every later run of the instance forever.
"""

import datetime as dt
import fcntl
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import dagster as dg


def lock_path(warehouse_path: str) -> Path | None:
    """`<file>.lock` beside a local warehouse; None for MotherDuck and in-memory databases."""
    if warehouse_path.startswith("md:") or warehouse_path == ":memory:":
        return None
    return Path(f"{warehouse_path}.lock")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) the warehouse."""

    run_id: str | None
    pid: int
    host: str
    acquired_at: str
    released_at: str | None = None

    def describe(self) -> str:
        return f"run {self.run_id or '(no run id)'} (pid {self.pid} on {self.host}, since {self.acquired_at})"


def _read(fd: int) -> Holder | None:
    data = os.pread(fd, 4096, 0)
    try:
        return Holder(**json.loads(data))
    except (ValueError, TypeError):  # empty (a new file) or written by something else
        return None


def _write(fd: int, holder: Holder) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
    os.fsync(fd)


class WarehouseLock:
    """An exclusive lock on one warehouse file, held by one run at a time."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._holder: Holder | None = None

    def acquire(self, run_id: str | None, log) -> Holder | None:
        """Block until this process holds the lock; return the previous holder if it died holding it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                other = _read(fd)
                who = other.describe() if other else "another run"
                log.info(f"waiting for {who} to release the warehouse ({self.path})")
                started = time.monotonic()
                fcntl.flock(fd, fcntl.LOCK_EX)
                log.info(f"the warehouse was released; waited {time.monotonic() - started:.1f}s")
            previous = _read(fd)
            self._holder = Holder(run_id, os.getpid(), socket.gethostname(), _now())
            _write(fd, self._holder)
        except BaseException:
            os.close(fd)  # closing drops the lock too
            raise
        self._fd = fd
        log.debug(f"holding the warehouse lock {self.path} for run {run_id}")
        return previous if previous is not None and previous.released_at is None else None

    def release(self, log) -> None:
        if self._fd is None:
            return
        try:
            # Logged and marked released while still held: the log's holding..releasing spans of
            # two runs never overlap, and the next holder never takes this run for a dead one in
            # the moment between this release and the run's success event.
            log.debug(f"releasing the warehouse lock {self.path}")
            _write(self._fd, replace(self._holder, released_at=_now()))
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


def reap_dead_holder(instance: dg.DagsterInstance | None, dead: Holder, run_id: str | None, log) -> None:
    """Mark the run that died holding the warehouse as failed and free its pool slots."""
    if instance is None or dead.run_id is None or dead.run_id == run_id:
        return
    run = instance.get_run_by_id(dead.run_id)
    if run is None or run.is_finished:  # another instance's run, or already closed by someone
        return
    message = (
        f"Run {dead.run_id} died while holding the warehouse (pid {dead.pid} on {dead.host}); "
        f"marked failed by run {run_id}, which took the warehouse after it."
    )
    instance.report_run_failed(run, message=message)
    instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)
    log.warning(message + " Its concurrency-pool slots were freed.")


class PostgresWarehouseLock:
    """The same lock for a lake whose catalog is a PostgreSQL database (the team profile).

    A flock does not span machines; a session-level advisory lock in the catalog's database does,
    and keeps the flock's best property: PostgreSQL drops it when the holder's session ends,
    however the holder dies (SIGKILL closes its socket at once; a machine lost is noticed by the
    TCP keepalives set here). The holder record is one row of `thesis_warehouse_lock`, beside the
    catalog's tables, written and read under the lock.
    """

    KEY = 0x74686573697377  # one lock per catalog database: advisory locks are per database
    TABLE = "thesis_warehouse_lock"

    def __init__(self, dsn: str):
        self.dsn = dsn
        self._conn = None
        self._holder: Holder | None = None

    def _read(self, cur) -> Holder | None:
        cur.execute("select to_regclass(%s) is not null", [self.TABLE])
        if not cur.fetchone()[0]:
            return None
        cur.execute(f"select holder from {self.TABLE} where id = 1")
        row = cur.fetchone()
        try:
            return Holder(**json.loads(row[0])) if row else None
        except (ValueError, TypeError):
            return None

    def _write(self, cur, holder: Holder) -> None:
        cur.execute(f"create table if not exists {self.TABLE} (id int primary key, holder text not null)")
        cur.execute(
            f"insert into {self.TABLE} values (1, %s) "
            "on conflict (id) do update set holder = excluded.holder",
            [json.dumps(asdict(holder))],
        )

    def acquire(self, run_id: str | None, log) -> Holder | None:
        """Block until this process holds the lock; return the previous holder if it died holding it."""
        import psycopg2

        conn = psycopg2.connect(self.dsn, keepalives=1, keepalives_idle=30, keepalives_interval=10)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("select pg_try_advisory_lock(%s)", [self.KEY])
                if not cur.fetchone()[0]:
                    other = self._read(cur)
                    who = other.describe() if other else "another run"
                    log.info(f"waiting for {who} to release the warehouse (advisory lock in its catalog)")
                    started = time.monotonic()
                    cur.execute("select pg_advisory_lock(%s)", [self.KEY])
                    log.info(f"the warehouse was released; waited {time.monotonic() - started:.1f}s")
                previous = self._read(cur)
                self._holder = Holder(run_id, os.getpid(), socket.gethostname(), _now())
                self._write(cur, self._holder)
        except BaseException:
            conn.close()  # ending the session drops the lock too
            raise
        self._conn = conn
        log.debug(f"holding the warehouse lock (advisory lock in the catalog) for run {run_id}")
        return previous if previous is not None and previous.released_at is None else None

    def release(self, log) -> None:
        if self._conn is None:
            return
        try:
            log.debug("releasing the warehouse lock (advisory lock in the catalog)")
            with self._conn.cursor() as cur:
                self._write(cur, replace(self._holder, released_at=_now()))
                cur.execute("select pg_advisory_unlock(%s)", [self.KEY])
        finally:
            self._conn.close()
            self._conn = None
