"""The team profile's tests share one throwaway PostgreSQL cluster per session (initdb about a
second), each test on databases of its own. No PostgreSQL, or no DuckLake extension for the
installed DuckDB (a venv with duckdb 2.0 swapped in to benchmark the file profile): CI fails (it
must run these tests; `.ci/run` installs Debian's package), elsewhere they are skipped, saying why."""

import itertools
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from config import lake
from orchestration.team_cluster import Cluster, ClusterError, pg_bin

_names = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cannot_run(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)  # CI must run these tests, never skip them
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_cluster() -> Cluster:
    if pg_bin() is None:
        _cannot_run("PostgreSQL is not installed: apt-get install -y postgresql (the team profile's tests)")
    try:
        for name in lake.EXTENSIONS:
            lake.extension_path(name)
    except lake.LakeError as exc:
        _cannot_run(f"the team profile cannot run here: {exc}")
    # Under /tmp itself, not pytest's 0700 tmp folders: when the tests run as root the server runs
    # as the unprivileged `postgres` user, who must reach its own directory.
    root = Path(tempfile.mkdtemp(prefix="thesis-pg-"))
    cluster = Cluster(root, free_port())
    try:
        cluster.init(fast=True)
        cluster.start()
    except ClusterError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(str(exc))
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class Team:
    """One team-profile setting: its lake, Dagster instance and alert databases, and folders."""

    cluster: Cluster
    root: Path
    prefix: str

    def database(self, role: str) -> str:
        return f"{self.prefix}_{role}"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def lake_data(self) -> Path:
        return self.root / "lake"

    def env(self, as_of: str = "2026-11-24") -> dict[str, str]:
        """What a user exports for the team profile (README), for runs as of `as_of`."""
        return {
            "THESIS_PROFILE": "team",
            "THESIS_LAKE_CATALOG": f"postgres:{self.cluster.dsn(self.database('lake'))}",
            "THESIS_LAKE_DATA_PATH": str(self.lake_data),
            "THESIS_ALERTS_DSN": self.cluster.dsn(self.database("ops")),
            "THESIS_DAGSTER_PG_URL": self.cluster.url(self.database("dagster")),
            "DAGSTER_HOME": str(self.dagster_home),
            "THESIS_DATA_DIR": str(self.data_dir),
            "THESIS_SOURCE_MODE": "demo",
            "THESIS_AS_OF": as_of,
        }


def new_team(cluster: Cluster, root: Path) -> Team:
    """Fresh databases and folders, the instance configured as `make` configures it."""
    from tests.conftest import PROJECT_ROOT

    team = Team(cluster, root, f"t{os.getpid()}_{next(_names)}")
    cluster.create_databases(tuple(team.database(r) for r in ("lake", "dagster", "ops")))
    team.dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster-team.yaml", team.dagster_home / "dagster.yaml")
    return team


@pytest.fixture
def team(pg_cluster, tmp_path) -> Team:
    return new_team(pg_cluster, tmp_path)
