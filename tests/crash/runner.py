"""Run the pipeline exactly as users do (`python -m orchestration.cli run`), and kill it.

Every run of a harness happens in one fixed folder (`Lab.work`), reset from a saved state before
each trial, dbt's last parse (the data folder's dbt-target) included.
"""

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import PROJECT_ROOT

HOOK_DIR = Path(__file__).with_name("hook")
# The CLI's progress lines: "▶ <step>" when a step starts; at its end "✓ <step> (1.2s)", "⚠ <step>
# (1.2s): ..." (an ingest step that could not load every series) or "✗ <step> FAILED" (a check's
# own line reads "✗ check <asset>:<check> ...").
_STEP_STARTED = re.compile(r"▶ (\S+)\s*$")
_STEP_ENDED = re.compile(r"[✓⚠✗] (?!check )(\S+)")


@dataclass(frozen=True)
class Lab:
    """A folder holding a warehouse, its data directory and its DAGSTER_HOME, as `make run` sees them.

    The file profile's. The trials reach the warehouse and the analysts' copy only through the
    methods below, which the team profile's lab (tests/crash/team_lab.py) answers for a lake.
    """

    work: Path
    # The publish step's window in the calibration run must exceed this many hook pauses: the hook
    # slows the copy (ten chunks) and the rename, so kills can land inside the publish step.
    publish_pauses = 5

    @property
    def warehouse(self) -> Path:
        return self.work / "warehouse.duckdb"

    @property
    def data_dir(self) -> Path:
        return self.work / "data"

    @property
    def dagster_home(self) -> Path:
        return self.work / "dagster_home"

    @property
    def published(self) -> Path:
        return self.data_dir / "published" / self.warehouse.name

    def reset(self, state: Path | None = None) -> None:
        """Empty (a first run), or a copy of a saved state."""
        shutil.rmtree(self.work, ignore_errors=True)
        if state is not None:
            shutil.copytree(state, self.work, symlinks=True)
            return
        self.dagster_home.mkdir(parents=True)
        shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", self.dagster_home / "dagster.yaml")

    def save(self, state: Path) -> None:
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(self.work, state, symlinks=True)

    def open(self, read_only: bool = False):
        """The warehouse, as the pipeline opens it (read-write replays a killed run's WAL)."""
        from tests.crash import warehouse_state as ws

        return ws.opened(self.warehouse, read_only)

    def attach_saved(self, con, state: Path, alias: str) -> None:
        """A saved state's warehouse, attached read-only as `alias`."""
        from tests.crash import warehouse_state as ws

        ws.attach(con, state / self.warehouse.name, alias)

    def published_token(self) -> str:
        """What identifies the analysts' current copy (its bytes' hash)."""
        from tests.crash import warehouse_state as ws

        return ws.sha256(self.published)

    def published_files(self) -> tuple[list[str], list[str]]:
        from tests.crash import warehouse_state as ws

        return ws.published_files(self.published)

    def published_copy(self):
        """(fingerprints, summary run ids, file mode) of what analysts read."""
        from tests.crash import warehouse_state as ws

        return ws.published_copy(self.published)

    def env(self, as_of: str, slow: float | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("THESIS_") and k != "FRED_API_KEY"}
        env.update(
            WAREHOUSE_PATH=str(self.warehouse),
            THESIS_DATA_DIR=str(self.data_dir),
            DAGSTER_HOME=str(self.dagster_home),
            THESIS_AS_OF=as_of,
            THESIS_SOURCE_MODE="demo",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        )
        if slow:
            env["THESIS_CRASH_SLOW"] = str(slow)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HOOK_DIR), env.get("PYTHONPATH")]))
        return env


class Launched:
    """One `python -m orchestration.cli run` in its own process group, its output read as it comes."""

    def __init__(self, env: dict[str, str]):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "run"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        self.step_seen: dict[str, float] = {}
        self.step_ended: dict[str, float] = {}
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            now = time.monotonic() - self.started
            if started := _STEP_STARTED.search(line):
                self.step_seen.setdefault(started.group(1), now)
            elif ended := _STEP_ENDED.search(line):
                self.step_ended[ended.group(1)] = now
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def wait_for_step(self, steps: set[str], timeout: float) -> bool:
        """Until the CLI reports one of `steps` started; False if the run ended first."""
        deadline = time.monotonic() + timeout
        while not steps & self.step_seen.keys():
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no step of {sorted(steps)} started in {timeout}s") from None
            if line is None:
                return bool(steps & self.step_seen.keys())
        return True

    def kill(self) -> bool:
        """SIGKILL the whole process group (the CLI and its dbt); False if the run had already ended."""
        if self.proc.poll() is not None:
            return False
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 5
        while survivors(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not survivors(self.proc.pid), f"processes outlived SIGKILL: {survivors(self.proc.pid)}"
        return True

    def finish(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"the run did not finish in {timeout}s:\n{self.text()}") from None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def text(self) -> str:
        return "".join(self.output[-60:])


def survivors(pgid: int) -> list[int]:
    """Live (not zombie) processes left in a process group."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def run_to_end(lab: Lab, as_of: str, timeout: float = 300, slow: float | None = None) -> Launched:
    run = Launched(lab.env(as_of, slow))
    code = run.finish(timeout)
    assert code == 0, f"run as of {as_of} failed (exit {code}):\n{run.text()}"
    return run
