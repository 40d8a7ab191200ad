"""`dagster dev` as a user starts it (`make dev`), for the tests that need a real webserver and
daemon: a fresh DAGSTER_HOME with the project's instance config, GraphQL access, and a stop that
takes down the whole process group (webserver, daemon, code server, run workers)."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT

LOCATION = "thesis_warehouse"  # workspace.yaml's location_name
# The command `make dev` runs, on another port (checked against the Makefile by tests/test_browser.py).
DEV_COMMAND = ["dev", "-w", "workspace.yaml", "-h", "127.0.0.1"]
AS_OF = "2026-11-24"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals() -> None:
    # A parent started in the background may ignore SIGINT/SIGTERM; dagster dev must not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Dagster:
    """A `dagster dev` server and GraphQL access to it."""

    def __init__(self, url: str, proc: subprocess.Popen, log: Path, home: Path):
        self.url, self.proc, self.log, self.home = url, proc, log, home
        # A launch asks the code server for the execution plan: seconds on a busy machine.
        self.http = httpx.Client(base_url=url, timeout=120, trust_env=False)

    def graphql(self, query: str, **variables) -> dict:
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def wait_until_loaded(self, deadline_s: float = 240) -> None:
        query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"dagster dev exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                entries = self.graphql(query)["workspaceOrError"]["locationEntries"]
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    return
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(0.5)
        pytest.fail(f"dagster dev not ready after {deadline_s} s:\n{self.tail()}")

    def wait_for_run(self, run_id: str, deadline_s: float = 300) -> str:
        query = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            status = self.graphql(query, id=run_id)["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                return status
            time.sleep(0.5)
        pytest.fail(f"run {run_id} not finished after {deadline_s} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def dagster_dev(tmp_path: Path) -> Iterator[Dagster]:
    """A server on a fresh instance (the project's dagster.yaml) and a fresh demo warehouse in
    `tmp_path`; stopped, with everything it started, on exit."""
    home = tmp_path / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    venv_bin = Path(sys.executable).parent
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"THESIS_SNAPSHOT_DIR", "THESIS_RECORD_DIR", "FRED_API_KEY", "THESIS_ALERT_WEBHOOK_URL"}
    }
    env.update(
        DAGSTER_HOME=str(home),
        DAGSTER_DISABLE_TELEMETRY="1",
        WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"),
        THESIS_DATA_DIR=str(tmp_path / "data"),
        THESIS_SOURCE_MODE="demo",
        THESIS_AS_OF=AS_OF,
        PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
    )
    port, log = free_port(), tmp_path / "dagster-dev.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(venv_bin / "dagster"), *DEV_COMMAND, "-p", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_default_signals,
        )
    server = Dagster(f"http://127.0.0.1:{port}", proc, log, home)
    started = time.monotonic()
    try:
        server.wait_until_loaded()
        print(f"\ndagster dev loaded in {time.monotonic() - started:.1f} s")
        yield server
    finally:
        server.http.close()
        os.killpg(proc.pid, signal.SIGTERM)  # our own group only: webserver, daemon, code server, runs
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
