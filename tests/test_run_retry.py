"""A daemon-launched run whose worker dies is detected and retried once, from the failure.

A real `dagster dev` (webserver, daemon, code server) on the project's instance config: the daily
job is launched as the UI launches it, its run worker is SIGKILLed (with everything it started)
while dbt runs, and then, with no hand on it: run monitoring fails the run within a poll, the
instance retries it once, the retry re-executes only the steps that had not finished, and its
marts are row for row those of a run nobody killed.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.launcher.base import WorkerStatus

from orchestration.definitions import defs
from orchestration.event_log import instance_at
from orchestration.run_launcher import LocalProcessRunLauncher, Worker, is_alive, run_worker
from tests.crash.warehouse_state import fingerprints
from tests.dagster_dev import AS_OF, LOCATION, Dagster, dagster_dev

pytestmark = pytest.mark.e2e

LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
KILL_DURING = "dbt_models"


def launch(server: Dagster) -> str:
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": "__repository__",
            "jobName": "thesis_daily",
        },
        "runConfigData": {},
    }
    launched = server.graphql(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def wait(condition, what: str, server: Dagster, timeout: float = 300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"{what} not seen in {timeout:.0f} s:\n{server.tail()}")


def steps(instance: dg.DagsterInstance, run_id: str, event: dg.DagsterEventType) -> set[str]:
    return {r.step_key for r in instance.all_logs(run_id, of_type=event) if r.step_key}


def descendants(pid: int) -> list[int]:
    """`pid` and every process it started, children first (from /proc)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        children.setdefault(int(fields["PPid"]), []).append(int(fields["Pid"]))
    out, stack = [], [pid]
    while stack:
        current = stack.pop()
        out.append(current)
        stack += children.get(current, [])
    return out[::-1]


def test_a_killed_run_worker_is_detected_and_the_run_retried_once_from_the_failure(tmp_path):
    with dagster_dev(tmp_path / "dev") as server:
        instance = instance_at(server.home)
        run_id = launch(server)
        wait(
            lambda: KILL_DURING in steps(instance, run_id, dg.DagsterEventType.STEP_START),
            "dbt start",
            server,
        )
        worker = run_worker(instance, run_id)
        assert worker is not None and is_alive(worker)
        pid = worker.pid
        done_before = steps(instance, run_id, dg.DagsterEventType.STEP_SUCCESS)
        killed_at = time.monotonic()
        for process in descendants(pid):  # the worker and its dbt subprocess: a lost machine
            os.kill(process, signal.SIGKILL)
        assert wait(lambda: not is_alive(worker), "the worker's end", server, 10)

        failed = wait(
            lambda: (
                (run := instance.get_run_by_id(run_id)) and run.status == dg.DagsterRunStatus.FAILURE and run
            ),
            "run monitoring failing the run",
            server,
            120,
        )
        detected = time.monotonic() - killed_at
        # Two watchers can see it: the code server that spawned the worker (Dagster's own orphan
        # check, when it survives) and run monitoring, through this project's launcher (when the
        # code server went down with the worker); whichever polls first fails the run.
        messages = [r.message for r in instance.all_logs(run_id) if r.message]
        assert any("terminated by signal 9" in m or f"worker pid {pid} is gone" in m for m in messages), (
            messages[-5:]
        )
        # The instance's launcher is the project's, and its health check sees the dead worker.
        assert isinstance(instance.run_launcher, LocalProcessRunLauncher)
        assert instance.run_launcher.check_run_worker_health(failed).status == WorkerStatus.FAILED

        retries = wait(
            lambda: instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": run_id})),
            "a retry run",
            server,
            120,
        )
        assert len(retries) == 1 and retries[0].tags.get("dagster/retry_number") == "1"
        retry = retries[0]
        assert server.wait_for_run(retry.run_id, deadline_s=600) == "SUCCESS", server.tail()
        assert failed.status == dg.DagsterRunStatus.FAILURE
        # Only what had not finished ran again: no ingest step twice, dbt and everything after it once more.
        rerun = steps(instance, retry.run_id, dg.DagsterEventType.STEP_START)
        assert KILL_DURING in rerun and "marts__thesis_summary" in rerun
        assert not rerun & done_before, rerun & done_before
        print(
            f"\nworker {pid} killed during {KILL_DURING}; run failed by monitoring {detected:.1f} s later; "
            f"retry {retry.run_id[:8]} re-executed {len(rerun)} steps ({len(done_before)} had finished)"
        )
        killed_warehouse = tmp_path / "dev" / "warehouse.duckdb"

    # An uninterrupted run on the same demo day, in process, into a warehouse of its own.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WAREHOUSE_PATH", str(tmp_path / "clean.duckdb"))
        env.setenv("THESIS_DATA_DIR", str(tmp_path / "clean-data"))
        env.setenv("THESIS_SOURCE_MODE", "demo")
        env.setenv("THESIS_AS_OF", AS_OF)
        clean = defs.resolve_job_def("thesis_daily").execute_in_process(
            instance=dg.DagsterInstance.ephemeral()
        )
        assert clean.success
    with duckdb.connect(str(killed_warehouse), read_only=True) as con:
        after_retry = {t: f for t, f in fingerprints(con).items() if t.startswith("marts.mart_")}
    with duckdb.connect(str(tmp_path / "clean.duckdb"), read_only=True) as con:
        uninterrupted = {t: f for t, f in fingerprints(con).items() if t.startswith("marts.mart_")}
    assert after_retry == uninterrupted and len(uninterrupted) == 6


def test_the_health_check_follows_the_worker_process_and_ignores_a_reused_pid(tmp_path):
    """Run monitoring's view when the code server went down with its worker: the pid the worker
    reported, alive or gone; a process started after the report is not the worker."""
    process = subprocess.Popen(["sleep", "60"])
    reported = time.time() + 0.5
    try:
        assert is_alive(Worker(process.pid, reported))
        assert not is_alive(Worker(process.pid, reported - 3600))  # the pid reported an hour ago was another
    finally:
        process.kill()
        process.wait()
    assert not is_alive(Worker(process.pid, reported))


def test_a_run_worker_reports_the_pid_the_health_check_reads(warehouse_env):
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(job_def=defs.resolve_job_def("thesis_daily"))
    assert run_worker(instance, run.run_id) is None
    instance.report_engine_event(f"Started process for run (pid: {os.getpid()}).", run)
    worker = run_worker(instance, run.run_id)
    assert worker is not None and worker.pid == os.getpid() and is_alive(worker)
