"""Runs launched at once: serialised by the warehouse lock, and a new DAGSTER_HOME survives them."""

import sqlite3
import subprocess
import sys
import time

import dagster as dg
import pytest

from tests.crash import warehouse_state as ws
from tests.crash.runner import Lab, Launched

AS_OF = "2026-11-24"
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
}


def _said(records, text: str) -> list:
    return [r for r in records if (r.user_message or "").startswith(text)]


def spans(home) -> dict[str, dict]:
    """Per run: when it held the lock (its own log lines) and when its steps ran (event storage)."""
    result = {}
    with ws.instance_at(home) as instance:
        for run in instance.get_runs():
            records = instance.all_logs(run.run_id)
            steps = [r.timestamp for r in records if r.dagster_event_type in STEP_EVENTS]
            result[run.run_id] = {
                "status": run.status.value,
                "held": (
                    min((r.timestamp for r in _said(records, "holding the warehouse lock")), default=None),
                    max((r.timestamp for r in _said(records, "releasing the warehouse lock")), default=None),
                ),
                "steps": (min(steps), max(steps)),
                "waited_for": [r.user_message for r in _said(records, "waiting")],
            }
    return result


@pytest.mark.e2e
def test_two_runs_launched_at_once_both_succeed_one_after_the_other(tmp_path):
    lab = Lab(tmp_path / "work")
    lab.reset()
    first, second = Launched(lab.env(AS_OF)), Launched(lab.env(AS_OF))
    codes = [first.finish(600), second.finish(600)]
    assert codes == [0, 0], first.text() + second.text()

    runs = spans(lab.dagster_home)
    assert len(runs) == 2 and {r["status"] for r in runs.values()} == {"SUCCESS"}
    (a_id, a), (b_id, b) = sorted(runs.items(), key=lambda item: item[1]["steps"][0])
    # The writer windows (first step start to last step end) do not overlap: no interleaving.
    assert a["steps"][1] <= b["steps"][0], runs
    # Each run's steps ran inside its own hold of the lock, and the holds did not overlap either.
    for run in (a, b):
        assert run["held"][0] <= run["steps"][0] and run["steps"][1] <= run["held"][1], runs
    assert a["held"][1] <= b["held"][0], runs
    # They really were launched together: the second waited, and said for which run.
    assert a["waited_for"] == []
    assert len(b["waited_for"]) == 1 and f"run {a_id}" in b["waited_for"][0]
    assert any(f"waiting for run {a_id}" in line for line in (first.output + second.output))
    # The analysts' copy is the later run's.
    _, summary_runs, _ = ws.published_copy(lab.published)
    assert summary_runs == {b_id}


_CREATE_INSTANCE = """
import pathlib, sys, time
from orchestration.cli import _instance
here = pathlib.Path(sys.argv[1])
(here / f"ready-{sys.argv[2]}").touch()
while not (here / "go").exists():
    time.sleep(0.01)
_instance().dispose()
"""


def test_runs_that_create_a_new_dagster_home_at_once_leave_it_loadable(tmp_path):
    """Unserialised, four processes creating one DAGSTER_HOME's SQLite storage at once stamped its
    schema twice in about half the attempts (two here), and no later run could load the instance."""
    for attempt in range(2):
        lab = Lab(tmp_path / f"attempt-{attempt}")
        lab.reset()
        env = {**lab.env(AS_OF), "DAGSTER_HOME": str(lab.dagster_home)}
        procs = [
            subprocess.Popen([sys.executable, "-c", _CREATE_INSTANCE, str(lab.work), str(i)], env=env)
            for i in range(4)
        ]
        deadline = time.monotonic() + 120
        while len(list(lab.work.glob("ready-*"))) < len(procs) and time.monotonic() < deadline:
            time.sleep(0.05)
        (lab.work / "go").touch()
        assert [p.wait(120) for p in procs] == [0] * len(procs)
        with sqlite3.connect(lab.dagster_home / "history" / "runs.db") as db:
            assert len(db.execute("select * from alembic_version").fetchall()) == 1
        with ws.instance_at(lab.dagster_home) as instance:
            assert instance.get_runs() == []
