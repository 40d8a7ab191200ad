"""Replays of real payloads through the daily job, shared by the real-data tests."""

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.sources import real_payloads
from orchestration.definitions import defs
from tests.conftest import PROJECT_ROOT

# The essay's thesis: the real payloads are checked against its pillars.
SUMMARY = (
    "select row_type, pillar, metric, status, reason, evidence from marts.thesis_summary "
    "where thesis = 'american_exceptionalism'"
)


@dataclass(frozen=True)
class Replay:
    warehouse: Path
    data_dir: Path
    result: dg.ExecuteInProcessResult

    def rows(self, published: bool = False) -> list[dict]:
        path = self.data_dir / "published" / self.warehouse.name if published else self.warehouse
        with duckdb.connect(str(path), read_only=True) as con:
            cursor = con.execute(f"{SUMMARY} order by all")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def pillars(self) -> dict[str, dict]:
        return {r["pillar"]: r for r in self.rows() if r["row_type"] == "pillar"}

    def metrics(self) -> dict[str, dict]:
        return {r["metric"]: r for r in self.rows() if r["row_type"] in ("metric", "part")}

    def errors(self) -> list[str]:
        """Every check evaluation that failed at ERROR: corruption, in a replay of real data."""
        return [
            f"{e.asset_key.to_user_string()}:{e.check_name} {e.metadata.get('failures')}"
            for e in self.result.get_asset_check_evaluations()
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
        ]


def replay(
    snapshot: Path, work: Path, instance: dg.DagsterInstance, assets: Sequence[dg.AssetKey] | None = None
) -> Replay:
    """The daily job on `snapshot`, into the warehouse in `work` (created, or kept from a last
    run); only `assets` of it when given."""
    env = {
        "THESIS_SOURCE_MODE": "replay",
        "THESIS_SNAPSHOT_DIR": str(snapshot),
        "WAREHOUSE_PATH": str(work / "warehouse.duckdb"),
        "THESIS_DATA_DIR": str(work / "data"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        for name in ("THESIS_AS_OF", "THESIS_RECORD_DIR", "FRED_API_KEY", "THESIS_FORCE_REFETCH"):
            patch.delenv(name, raising=False)
        result = defs.resolve_job_def("thesis_daily").execute_in_process(
            instance=instance, raise_on_error=False, asset_selection=assets
        )
    return Replay(work / "warehouse.duckdb", work / "data", result)


def ingest_assets() -> list[dg.AssetKey]:
    """The ingest group's assets: the raw tables, loaded from the sources (or a snapshot)."""
    return sorted(dg.AssetSelection.groups("ingest").resolve(defs.resolve_asset_graph()))


def snapshot_of(payloads, out: Path, keep=lambda p: True) -> Path:
    return real_payloads.write_snapshot(real_payloads.newest([p for p in payloads if keep(p)]), out)


def cli_run(snapshot: Path, work: Path) -> subprocess.CompletedProcess:
    """`python -m orchestration.cli run` as `make replay` runs it, in a fresh process."""
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "THESIS_SOURCE_MODE": "replay",
        "THESIS_SNAPSHOT_DIR": str(snapshot),
        "WAREHOUSE_PATH": str(work / "warehouse.duckdb"),
        "THESIS_DATA_DIR": str(work / "data"),
    }
    for name in ("THESIS_AS_OF", "THESIS_RECORD_DIR", "FRED_API_KEY", "THESIS_FORCE_REFETCH"):
        env.pop(name, None)
    command = [sys.executable, "-m", "orchestration.cli", "run"]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
