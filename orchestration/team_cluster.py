"""`make team-up` / `make team-down`: a local PostgreSQL cluster for the team profile.

It stands in for the team's managed PostgreSQL: one cluster in a project-local directory
(`.team/pg`, git-ignored), listening on 127.0.0.1 only, trust authentication on loopback, run by
an unprivileged user. PostgreSQL refuses to run as root, and CI runs as root: then the cluster
belongs to the system user `postgres` (Debian's package creates it; created here if absent);
anyone else runs it as themselves. Its databases:

- `thesis_lake`: the DuckLake catalog (the warehouse's tables, snapshots, file list);
- `thesis_dagster`: the Dagster instance (runs, event log, schedules, the run queue and pools);
- `thesis_ops`: alerts, never in the warehouse.

The tests start a throwaway cluster of their own with the same code (tests/team/conftest.py).
"""

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DATABASES = ("thesis_lake", "thesis_dagster", "thesis_ops")
SUPERUSER = "thesis"
DEFAULT_DIR = Path(".team/pg")
DEFAULT_PORT = 54329
SERVICE_USER = "postgres"


class ClusterError(RuntimeError):
    """PostgreSQL is missing or the cluster would not start."""


def pg_bin() -> Path | None:
    """The directory of initdb/pg_ctl: $THESIS_PG_BIN, else Debian's newest, else the PATH."""
    chosen = os.environ.get("THESIS_PG_BIN")
    if chosen:
        return Path(chosen)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def service_user() -> str | None:
    """Who runs the server: the current user, or `postgres` (created if absent) when root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(  # noqa: S603 (fixed arguments)
            [
                "/usr/sbin/useradd",
                "--system",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
        )
    return SERVICE_USER


@dataclass(frozen=True)
class Cluster:
    """One cluster: `root` holds the data directory and the server log; loopback on `port`."""

    root: Path
    port: int = DEFAULT_PORT

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def dsn(self, database: str) -> str:
        """libpq key/value form (DuckDB's postgres extension, psycopg2)."""
        return f"dbname={database} host=127.0.0.1 port={self.port} user={SUPERUSER}"

    def url(self, database: str) -> str:
        """URL form (Dagster's postgres_url). SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3;
        dagster-postgres brings psycopg2, so the URL names it."""
        return f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        binary = pg_bin()
        if binary is None:
            raise ClusterError("PostgreSQL is not installed: `apt-get install -y postgresql` (Debian 12: 15)")
        user = service_user()
        return subprocess.run(  # noqa: S603 (PostgreSQL's own tools, arguments from this module)
            [str(binary / args[0]), *args[1:]],
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            cwd="/",  # the service user may not be able to enter the caller's directory
            capture_output=True,
            text=True,
            check=check,
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and self._run(
            "pg_ctl", "-D", str(self.data), "status", check=False
        ).returncode == 0

    def init(self, fast: bool = False) -> None:
        """initdb once (about a second). `fast`: no fsync, for throwaway test clusters."""
        self.root.mkdir(parents=True, exist_ok=True)
        user = service_user()
        if user:
            shutil.chown(self.root, user)
        self.root.chmod(0o700)
        if (self.data / "PG_VERSION").exists():
            return
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            "unix_socket_directories = ''",  # TCP on loopback only
            "max_connections = 200",
        ]
        if fast:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.write("\n".join(settings) + "\n")

    def start(self) -> None:
        if self.running():
            return
        result = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start", check=False
        )
        if result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise ClusterError(f"the cluster did not start: {result.stderr or result.stdout}\n{log}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def create_databases(self, names: tuple[str, ...] = DATABASES) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(self.dsn("postgres"))
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for name in names:
                    cur.execute("select 1 from pg_database where datname = %s", [name])
                    if not cur.fetchone():
                        cur.execute(f'create database "{name}"')
        finally:
            conn.close()

    def up(self, fast: bool = False) -> None:
        self.init(fast)
        self.start()
        self.create_databases()


def instructions(cluster: Cluster) -> str:
    databases = ", ".join(DATABASES)
    return f"""PostgreSQL is up: {cluster.data} on 127.0.0.1:{cluster.port} (databases {databases}).

Run the pipeline on the team profile (Dagster on PostgreSQL, the warehouse a DuckLake):
  THESIS_PROFILE=team make run      # the daily job; publishes a snapshot of the lake
  THESIS_PROFILE=team make sql      # analysts: the newest published snapshot, read-only
  THESIS_PROFILE=team make dev      # the UI and the daemon (run queue, schedule, sensors)

The settings it uses (the defaults match this cluster; a deployment sets its own):
  THESIS_LAKE_CATALOG='postgres:{cluster.dsn("thesis_lake")}'
  THESIS_LAKE_DATA_PATH=data/lake
  THESIS_DAGSTER_PG_URL={cluster.url("thesis_dagster")}
  THESIS_ALERTS_DSN='{cluster.dsn("thesis_ops")}'
Stop it with `make team-down` (the data stay in {cluster.root}; delete it to start afresh)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.team_cluster")
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="cluster directory (default .team/pg)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    cluster = Cluster(args.dir.resolve(), args.port)
    try:
        if args.command == "up":
            cluster.up()
            print(instructions(cluster))
        elif args.command == "down":
            cluster.stop()
            print(f"PostgreSQL stopped ({cluster.data}).")
        else:
            print("running" if cluster.running() else "stopped")
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
