"""The team profile end to end, as a team runs it: the Dagster instance in PostgreSQL, the daemon
dequeuing runs, the warehouse a DuckLake with its catalog in PostgreSQL, analysts reading it.

One setting for the module (a team's databases on the session's cluster): the daemon is started,
two runs are launched at once through its queue while a reader process queries the lake, then
the tests look at what they left.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from config import lake
from config.resources import WarehouseResource
from orchestration import cli
from orchestration.alerts import Alert, AlertResource
from tests.conftest import PROJECT_ROOT
from tests.crash import warehouse_state as ws
from tests.crash.conftest import REPORTS
from tests.team.conftest import new_team

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
RUNS = 2
TIMEOUT = 900


def _env(team) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THESIS_") and k != "WAREHOUSE_PATH"}
    return {**env, **team.env(), "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def _launch(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "dagster"), "job", "launch", "-j", "thesis_daily", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group this test started (the daemon and its code server), then SIGKILL
    what is left of it (the code server may outlive the daemon)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(30)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture(scope="module")
def queued(pg_cluster, tmp_path_factory):
    """Two runs launched at once through the daemon's queue while a reader process reads."""
    team = new_team(pg_cluster, tmp_path_factory.mktemp("team"))
    env = _env(team)
    stop = team.root / "stop"
    patch = pytest.MonkeyPatch()
    for key, value in team.env().items():  # this process reads the instance and the lake too
        patch.setenv(key, value)
    with WarehouseResource().connect():  # the catalog exists before anyone reads it
        pass
    started = time.monotonic()
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=(team.root / "daemon.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.team.lake_reader", str(stop)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        launches = [_launch(env) for _ in range(RUNS)]
        outputs = [p.communicate(timeout=300)[0] for p in launches]
        assert [p.returncode for p in launches] == [0] * RUNS, outputs
        with dg.DagsterInstance.from_config(str(team.dagster_home)) as instance:
            deadline = time.monotonic() + TIMEOUT
            while True:
                runs = instance.get_runs()
                if len(runs) == RUNS and all(r.is_finished for r in runs):
                    break
                assert time.monotonic() < deadline, [(r.run_id, r.status) for r in runs]
                assert daemon.poll() is None, (team.root / "daemon.log").read_text()[-3000:]
                time.sleep(2)
            records = sorted(instance.get_run_records(), key=lambda r: r.start_time)
            events = {
                r.dagster_run.run_id: {
                    e.dagster_event_type: e.timestamp
                    for e in instance.all_logs(r.dagster_run.run_id)
                    if e.dagster_event_type
                    in (dg.DagsterEventType.RUN_ENQUEUED, dg.DagsterEventType.RUN_STARTING)
                }
                for r in records
            }
        elapsed = time.monotonic() - started
    finally:
        stop.touch()
        reading = reader.communicate(timeout=120)[0]
        _stop(daemon)
        patch.undo()
    result = SimpleNamespace(
        team=team, records=records, events=events, reader=json.loads(reading), elapsed=elapsed
    )
    REPORTS.append(_figures(result))
    return result


def _figures(queued) -> str:
    """The figures `make test` prints at its end (tests/conftest.py), pass or fail."""
    r = queued.reader
    runs = ", ".join(
        f"{x.dagster_run.status.value} in {x.end_time - x.start_time:.1f}s" for x in queued.records
    )
    return (
        f"Team profile: {RUNS} runs launched at once through the daemon's queue, done in "
        f"{queued.elapsed:.0f}s ({runs}).\n"
        f"Reader process during the runs ({r['seconds']}s): {r['published_reads']} reads of the published "
        f"snapshot (snapshots {r['published_snapshots']}, runs seen {len(r['runs_seen'])}), "
        f"{r['latest_reads']} reads of the latest state ({r['latest_snapshots_seen']} snapshots); "
        f"errors {r['errors']}, inconsistent {r['inconsistent']}, torn loads {r['torn']}."
    )


def test_two_runs_launched_at_once_go_through_the_queue_one_after_the_other(queued):
    records = queued.records
    assert [r.dagster_run.status for r in records] == [dg.DagsterRunStatus.SUCCESS] * RUNS, [
        (r.dagster_run.run_id, r.dagster_run.status) for r in records
    ]
    first, second = records
    # Whole runs, one at a time: the second started after the first ended...
    assert first.end_time <= second.start_time, (first.end_time, second.start_time)
    # ...because the daemon held it in the queue: enqueued while the first ran, launched after.
    queued_at = queued.events[second.dagster_run.run_id]
    assert queued_at[dg.DagsterEventType.RUN_ENQUEUED] < first.end_time
    assert queued_at[dg.DagsterEventType.RUN_STARTING] >= first.end_time - 1


def test_a_reader_during_the_runs_saw_only_whole_published_runs_and_no_error(queued):
    reading = queued.reader
    assert reading["errors"] == 0, reading["errors_sample"]
    assert reading["inconsistent"] == 0 and reading["torn"] == 0, reading
    assert reading["published_reads"] > 0 and reading["latest_reads"] > 0
    run_ids = [r.dagster_run.run_id for r in queued.records]
    assert set(reading["runs_seen"]) <= set(run_ids)
    assert reading["runs_seen"][-1] == run_ids[-1]


def test_the_lake_marts_equal_the_file_profile_marts_row_for_row(queued, demo_run, monkeypatch):
    """Same demo data, same as-of date: every marts table of the lake's published snapshot equals
    the file profile's, row for row (value columns: run ids and timestamps differ by nature)."""
    for key, value in queued.team.env().items():
        monkeypatch.setenv(key, value)
    with lake.open_published(WarehouseResource().lake()) as (con, _):
        file_profile = lake.sql_string(demo_run.root / "warehouse.duckdb")
        con.execute(f"attach {file_profile} as file_profile (read_only)")
        marts = [t for t in ws.tables(con) if t.startswith("marts.")]
        assert marts == [t for t in ws.tables(con, "file_profile") if t.startswith("marts.")]
        assert len(marts) >= 9, marts
        differences = {}
        for table in marts:
            cols = ", ".join(ws.quote(c) for c in ws.value_columns(con, table))
            here, there = f"select {cols} from {table}", f"select {cols} from file_profile.{table}"
            missing = con.execute(f"select count(*) from ({there} except all {here})").fetchall()[0][0]
            extra = con.execute(f"select count(*) from ({here} except all {there})").fetchall()[0][0]
            rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            if missing or extra or not rows:
                differences[table] = {"rows": rows, "missing": missing, "extra": extra}
    assert differences == {}


def test_make_sql_opens_the_newest_published_snapshot_in_the_duckdb_cli(queued, monkeypatch):
    for key, value in queued.team.env().items():
        monkeypatch.setenv(key, value)
    argv, target = cli.sql_command(WarehouseResource())
    assert "published snapshot" in target
    done = subprocess.run(
        [*argv, "-csv", "-c", "select run_id, summary_run_id = run_id as matches from published.run_info"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["run_id,matches", f"{queued.records[-1].dagster_run.run_id},true"]
    # Read-only: the CLI session cannot write the lake.
    write = subprocess.run([*argv, "-c", "create table marts.x (i int)"], capture_output=True, text=True)
    assert "read-only" in (write.stdout + write.stderr).lower()


def test_every_readme_query_runs_on_the_published_snapshot(queued, monkeypatch):
    from tests.test_published import readme_queries

    for key, value in queued.team.env().items():
        monkeypatch.setenv(key, value)
    with lake.open_published(WarehouseResource().lake()) as (con, _):
        for query in readme_queries():
            assert con.execute(query).fetchall() is not None, query


def test_the_runs_kept_the_instance_and_the_catalog_in_postgresql_and_data_in_the_data_path(queued):
    """No DuckDB file and no SQLite instance anywhere: only the lake's Parquet files are files."""
    assert [p for p in queued.team.root.rglob("*.duckdb") if p.is_file()] == []
    assert not (queued.team.dagster_home / "history").exists()  # SQLite run storage would live there
    assert any(queued.team.lake_data.rglob("*.parquet"))


def test_alerts_go_to_their_own_postgresql_database(team, monkeypatch):
    for key, value in team.env().items():
        monkeypatch.setenv(key, value)
    alerts = AlertResource()
    alert = Alert(key="run_failure:r1", kind="run_failure", message="Run r1 failed", run_id="r1")
    assert alerts.raise_alert(alert, logging.getLogger(__name__))
    assert not alerts.raise_alert(alert, logging.getLogger(__name__))  # raised once
    with closing(duckdb.connect()) as con:
        lake.load_extensions(con)
        con.execute(f"attach {lake.sql_string(team.env()['THESIS_ALERTS_DSN'])} as ops (type postgres)")
        assert con.execute("select alert_key, webhook from ops.alerts").fetchall() == [
            ("run_failure:r1", "not configured")
        ]
    assert [p for p in team.root.rglob("*.duckdb")] == []
