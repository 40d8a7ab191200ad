"""The run launcher: Dagster's default one, which run monitoring can watch.

Dagster's `DefaultRunLauncher` starts each run worker as a process on this machine (the code
server spawns it), but tells run monitoring nothing about it: a worker killed by the OOM killer
or a SIGKILL leaves its run STARTED forever, and `run_retries` never sees a failure to retry.
This launcher answers monitoring's health check from the worker's own record: every run worker
reports its pid in the run's event log as it starts ("Started process for run (pid: N)"), so a
worker is alive while that process exists, is not a zombie, and started before it reported (not
a reuse of its pid). A dead one is reported FAILED; monitoring then fails the run, and the
instance retries it once from the failure (orchestration/dagster.yaml).

It only sees workers on its own machine, which is where the default launcher starts them; a
deployment that launches runs elsewhere (Kubernetes, Docker, ECS) uses that launcher's own check.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterEventType, DefaultRunLauncher
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun

STARTED_PROCESS = "Started process for run"
_PID = re.compile(r"\(pid: (\d+)\)")


@dataclass(frozen=True)
class Worker:
    pid: int
    reported_at: float  # when it reported itself (epoch seconds)


def run_worker(instance, run_id: str) -> Worker | None:
    """The run's latest worker (a resumed run starts a new one), as it reported itself."""
    records = instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
    found = [
        Worker(int(match[1]), r.timestamp)
        for r in records
        if (r.message or "").startswith(STARTED_PROCESS) and (match := _PID.search(r.message))
    ]
    return found[-1] if found else None


def _started_at(proc: Path) -> float:
    """When a process started (epoch seconds): /proc gives clock ticks after boot."""
    ticks = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[19])
    stat = Path("/proc/stat").read_text().splitlines()
    boot = next(float(line.split()[1]) for line in stat if line.startswith("btime"))
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def is_alive(worker: Worker) -> bool:
    """Whether the worker's process exists, is not a zombie, and is the one that reported: a pid
    the system reused for a process started after the report is not the worker."""
    proc = Path("/proc") / str(worker.pid)
    try:
        status = (proc / "status").read_text().splitlines()
        state = next(line for line in status if line.startswith("State:"))
        started = _started_at(proc)
    except (OSError, StopIteration):  # no such process (or it exited between the reads)
        return False
    return "zombie" not in state and started <= worker.reported_at + 1


class LocalProcessRunLauncher(DefaultRunLauncher):
    """`DefaultRunLauncher` with a run worker health check, so run monitoring can fail and retry
    a run whose worker died."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        worker = run_worker(self._instance, run.run_id)
        if worker is None:
            # Not started yet: monitoring's start timeout covers a worker that never reports.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "the worker has not reported its pid yet")
        if is_alive(worker):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"worker pid {worker.pid} is alive")
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"worker pid {worker.pid} is gone (killed, or the machine lost it)"
        )
