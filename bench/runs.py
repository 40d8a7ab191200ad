"""The measured commands: a pipeline run (through `make run` or the CLI it calls), a worker task,
a bare `dbt build`, `dagster dev` until its UI answers, and `make test`."""

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from bench import events, proc
from bench.sandbox import PROJECT_ROOT, PYTHON, VENV_BIN, Sandbox

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
_WORKSPACE_QUERY = (
    "{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus } } } }"
)


class Runner:
    """Runs commands with their output in numbered log files under `logs`, optionally under py-spy."""

    def __init__(self, logs: Path, profile_dir: Path | None = None):
        self.logs, self.profile_dir, self.count = logs, profile_dir, 0
        self.profiles: list[str] = []

    def log(self, label: str) -> Path:
        self.count += 1
        return self.logs / f"{self.count:03d}-{label}.log"

    def pipeline(self, box: Sandbox, as_of: dt.date, *, via_make: bool, label: str, **env) -> dict:
        """One run of the daily job; its wall, memory, and stages from the event log."""
        cmd = (
            ["make", "--no-print-directory", "run", *box.make_vars()]
            if via_make
            else [str(PYTHON), "-m", "orchestration.cli", "run"]
        )
        if self.profile_dir is not None and not via_make:
            out = self.profile_dir / f"{label}.pyspy.txt"
            cmd = [
                str(VENV_BIN / "py-spy"),
                "record",
                "--subprocesses",
                "-r",
                "50",
                "-f",
                "raw",
                "-o",
                str(out),
                "--",
                *cmd,
            ]
            self.profiles.append(str(out))
        log = self.log(label)
        measured = proc.check(
            proc.run(
                cmd, box.env(THESIS_AS_OF=as_of.isoformat(), **env), PROJECT_ROOT, log, keep_samples=True
            ),
            f"pipeline run {label}",
            log,
        )
        line = events.read(box.dagster_home)
        if line.status != "SUCCESS":
            raise RuntimeError(f"pipeline run {label} ended {line.status}; see {log}")
        end = measured.started_at + measured.wall_s
        stages = events.breakdown(line, measured.started_at, end)
        _stage_memory(stages, line, measured)
        return {
            "label": label,
            "as_of": as_of.isoformat(),
            **_without_samples(measured),
            "run_id": line.run_id,
            "stages": stages,
            "steps": {k: round(s.seconds, 3) for k, s in line.steps.items()},
            "dbt_command": line.dbt_command,
            "events": dict(line.event_types),
            "log": str(log),
        }

    def worker(self, task: str, env: dict[str, str], **args: str) -> dict:
        """A `bench.worker` task in a fresh interpreter: its inner timings plus wall and memory."""
        cmd = [str(PYTHON), "-m", "bench.worker", task]
        for key, value in args.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        log = self.log(task)
        measured = proc.check(proc.run(cmd, env, PROJECT_ROOT, log), f"bench.worker {task}", log)
        last = [ln for ln in log.read_text().splitlines() if ln.strip()][-1]
        return {**json.loads(last), **_without_samples(measured)}

    def dbt_build(self, box: Sandbox, command: str, target: Path) -> dict:
        """The dbt command the Dagster step ran, bare: same args and the env dagster-dbt sets."""
        env = box.env(
            DBT_LOG_FORMAT="json",
            DBT_TARGET_PATH=str(target),
            DBT_LOG_PATH=str(target),
            DBT_PROFILES_DIR=str(DBT_PROJECT),
            DBT_PROJECT_DIR=str(DBT_PROJECT),
            PYTHONUNBUFFERED="1",
        )
        log = self.log("dbt-build")
        measured = proc.check(proc.run(command.split(), env, DBT_PROJECT, log), "bare dbt build", log)
        results = json.loads((target / "run_results.json").read_text())
        return {**_without_samples(measured), "dbt_elapsed_s": round(results["elapsed_time"], 3)}

    def dagster_dev(self, box: Sandbox, timeout_s: float = 180) -> dict:
        """`dagster dev` (as `make dev` starts it) until /server_info answers and every code
        location is LOADED; then stopped with SIGINT to its session, as Ctrl-C would."""
        port = _free_port()
        cmd = [str(VENV_BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
        log = self.log("dagster-dev")
        t0 = time.monotonic()
        child = proc.start(cmd, box.env(), PROJECT_ROOT, log)
        peak, server_info, loaded = 0.0, None, None
        base = f"http://127.0.0.1:{port}"
        try:
            while loaded is None:
                if time.monotonic() - t0 > timeout_s or child.poll() is not None:
                    raise RuntimeError(f"dagster dev did not come up in {timeout_s}s; see {log}")
                peak = max(peak, proc.tree_rss_mb(child.pid))
                if server_info is None and _get(f"{base}/server_info") is not None:
                    server_info = time.monotonic() - t0
                if server_info is not None and _all_loaded(base):
                    loaded = time.monotonic() - t0
                time.sleep(0.1)
            peak = max(peak, proc.tree_rss_mb(child.pid))
        finally:
            stop_started = time.monotonic()
            os.killpg(child.pid, signal.SIGINT)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            stopped = time.monotonic() - stop_started
        return {
            "server_info_s": round(server_info, 3),
            "wall_s": round(loaded, 3),
            "stop_s": round(stopped, 3),
            "rss_mb": round(peak, 1),
            "log": str(log),
        }

    def make_test(self, env: dict[str, str]) -> dict:
        log = self.log("make-test")
        measured = proc.run(["make", "--no-print-directory", "test"], env, PROJECT_ROOT, log, timeout_s=3600)
        summary = [
            ln for ln in log.read_text(errors="replace").splitlines() if " passed" in ln or " failed" in ln
        ]
        return {
            **_without_samples(measured),
            "pytest": summary[-1].strip("= ") if summary else "",
            "log": str(log),
        }


def _without_samples(measured: proc.Measured) -> dict:
    out = measured.as_dict()
    out.pop("rss_samples")
    return out


def _stage_memory(stages: list[dict], line: events.Timeline, measured: proc.Measured) -> None:
    """Peak summed RSS of the process tree while each stage's steps ran (from the 50 ms samples)."""
    for row in stages:
        windows = [
            (s.start, s.end or s.start)
            for s in line.steps.values()
            if events.stage_of(s.key, line.dbt_step) == row["stage"]
        ]
        seen = [
            rss
            for t, rss in measured.rss_samples
            if any(a <= measured.started_at + t <= b for a, b in windows)
        ]
        if windows:
            row["rss_mb"] = max(seen, default=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, data: bytes | None = None) -> bytes | None:
    headers = {"Content-Type": "application/json"} if data else {}
    try:
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (loopback only)
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return answer.read()
    except OSError:
        return None


def _all_loaded(base: str) -> bool:
    body = _get(f"{base}/graphql", json.dumps({"query": _WORKSPACE_QUERY}).encode())
    if body is None:
        return False
    workspace = json.loads(body).get("data", {}).get("workspaceOrError", {})
    entries = workspace.get("locationEntries") or []
    return bool(entries) and all(e.get("loadStatus") == "LOADED" for e in entries)
