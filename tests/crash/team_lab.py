"""The crash harness's lab for the team profile: the warehouse a DuckLake (catalog in PostgreSQL,
data files under the lab's folder), the Dagster instance in PostgreSQL.

A saved state is the folder (data files, DAGSTER_HOME, logs) plus a copy of the catalog and
instance databases (`CREATE DATABASE ... TEMPLATE`), restored the same way before each trial.
What analysts read is the newest published snapshot, not a file.
"""

import shutil
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from config import lake
from orchestration.team_cluster import Cluster
from tests.conftest import PROJECT_ROOT
from tests.crash import warehouse_state as ws
from tests.crash.runner import Lab

ROLES = ("lake", "dagster", "ops")
READ_ONLY = 0o444  # a snapshot attached read-only: analysts cannot write it, as the 0444 copy


@dataclass(frozen=True)
class TeamLab(Lab):
    cluster: Cluster | None = None
    prefix: str = "crash"
    # The publish step is one commit, which the hook pauses before and after.
    publish_pauses = 1

    def database(self, role: str, state: Path | None = None) -> str:
        return f"{self.prefix}_{state.name}_{role}" if state else f"{self.prefix}_{role}"

    def lake(self, state: Path | None = None) -> lake.Lake:
        catalog = f"postgres:{self.cluster.dsn(self.database('lake', state))}"
        return lake.Lake(catalog, str((state or self.work) / "lake"))

    @property
    def published(self) -> Path:
        return self.work / "published-snapshot"  # a name only: the trials compare its name

    def _sql(self, *statements: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self.cluster.dsn("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def _copy_database(self, source: str | None, target: str) -> None:
        template = f' template "{source}"' if source else ""
        self._sql(f'drop database if exists "{target}" with (force)', f'create database "{target}"{template}')

    def reset(self, state: Path | None = None) -> None:
        for role in ROLES:
            self._copy_database(self.database(role, state) if state else None, self.database(role))
        shutil.rmtree(self.work, ignore_errors=True)
        if state is not None:
            shutil.copytree(state, self.work, symlinks=True)
            return
        self.dagster_home.mkdir(parents=True)
        shutil.copy(PROJECT_ROOT / "orchestration" / "dagster-team.yaml", self.dagster_home / "dagster.yaml")

    def save(self, state: Path) -> None:
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(self.work, state, symlinks=True)
        for role in ROLES:
            # A template must have no session: end any a killed run's server side still holds.
            self._sql(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                f"where datname = '{self.database(role)}' and pid <> pg_backend_pid()"
            )
            self._copy_database(self.database(role), self.database(role, state))

    def instance_env(self) -> dict[str, str]:
        """What this process needs to open the lab's Dagster instance (its dagster.yaml reads it)."""
        return {"THESIS_DAGSTER_PG_URL": self.cluster.url(self.database("dagster"))}

    def env(self, as_of: str, slow: float | None = None) -> dict[str, str]:
        env = super().env(as_of, slow)
        env.pop("WAREHOUSE_PATH")
        return {
            **env,
            **self.instance_env(),
            "THESIS_PROFILE": "team",
            "THESIS_LAKE_CATALOG": self.lake().catalog,
            "THESIS_LAKE_DATA_PATH": self.lake().data_path,
            "THESIS_ALERTS_DSN": self.cluster.dsn(self.database("ops")),
        }

    @contextmanager
    def open(self, read_only: bool = False):
        with closing(self.lake().connect(read_only=read_only)) as con:
            yield con

    def attach_saved(self, con, state: Path, alias: str) -> None:
        saved = self.lake(state)
        con.execute(
            f"ATTACH {lake.sql_string('ducklake:' + saved.catalog)} AS {ws.quote(alias)} "
            f"(DATA_PATH {lake.sql_string(saved.data_path)}, OVERRIDE_DATA_PATH TRUE, READ_ONLY)"
        )

    def published_token(self) -> str:
        return str(lake.latest_published(self.lake()))

    def published_files(self) -> tuple[list[str], list[str]]:
        """A snapshot is published whole or not at all: nothing half-written to show."""
        return ([self.published.name] if lake.latest_published(self.lake()) is not None else []), []

    def published_copy(self):
        with lake.open_published(self.lake()) as (con, _):
            prints = ws.fingerprints(con)
            runs = {r[0] for r in con.execute("select distinct run_id from marts.thesis_summary").fetchall()}
        return prints, runs, READ_ONLY
