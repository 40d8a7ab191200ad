"""A throwaway home for one measured run: its own warehouse, data folder and DAGSTER_HOME.

The folder is always the same (`bench/.work/`, git-ignored), wiped before each use.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
WORK = PROJECT_ROOT / "bench" / ".work"
# The same offline settings as the Makefile's exports.
OFFLINE = {
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
}
# Variables of the caller's shell that would point a run somewhere else.
_CLEARED = (
    "WAREHOUSE_PATH",
    "THESIS_DATA_DIR",
    "THESIS_AS_OF",
    "THESIS_SOURCE_MODE",
    "THESIS_SNAPSHOT_DIR",
    "THESIS_RECORD_DIR",
    "THESIS_CATALOG",
    "THESIS_FORCE_REFETCH",
    "THESIS_DBT_MEMORY_LIMIT",
    "THESIS_ALERT_WEBHOOK_URL",
    "FRED_API_KEY",
    "DAGSTER_HOME",
)


@dataclass(frozen=True)
class Sandbox:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def warehouse(self) -> Path:
        return self.data / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a run here: offline, this sandbox's paths, the venv first on PATH."""
        env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        env.update(OFFLINE)
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        env["DAGSTER_HOME"] = str(self.dagster_home)
        env["THESIS_DATA_DIR"] = str(self.data)
        env["WAREHOUSE_PATH"] = str(self.warehouse)
        env.update(extra)
        return env

    def make_vars(self) -> list[str]:
        """The same paths as `make` command-line variables (they override the Makefile's exports)."""
        return [
            f"DAGSTER_HOME={self.dagster_home}",
            f"THESIS_DATA_DIR={self.data}",
            f"WAREHOUSE_PATH={self.warehouse}",
        ]


def fresh(name: str = "run") -> Sandbox:
    """An empty sandbox with the project's instance config in its DAGSTER_HOME (as `make` copies it)."""
    root = WORK / name
    if root.exists():
        shutil.rmtree(root)
    box = Sandbox(root)
    box.dagster_home.mkdir(parents=True)
    box.data.mkdir(parents=True)
    box.logs.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", box.dagster_home / "dagster.yaml")
    return box
