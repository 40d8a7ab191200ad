"""The code location loads, and the UI shows one connected graph with groups, kinds and docs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

from assets.summary import SIGNAL_KEYS
from config.theses import load_theses
from expectations.suites import SUITES
from orchestration.definitions import defs
from orchestration.event_log import MAX_OPEN_FILES, PooledSqliteEventLogStorage, instance_at
from tests.conftest import PROJECT_ROOT


def graph():
    return defs.resolve_asset_graph()


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("thesis_daily") is not None


def test_lineage_runs_ingest_to_dbt_to_summary_to_published_copy():
    g = graph()
    parents = lambda key: {k.to_user_string() for k in g.get(dg.AssetKey(key)).parent_keys}  # noqa: E731
    assert "raw/fred_observations" in parents(["staging", "stg_fred__observations"])
    assert {"staging/stg_fred__observations", "staging/stg_yahoo__prices"} <= parents(
        ["staging", "int_prices__daily"]
    )
    assert parents(["staging", "int_prices__returns"]) == {"staging/int_prices__daily"}
    assert "staging/int_prices__returns" in parents(["marts", "mart_dollar"])
    assert "marts/mart_dollar" in parents(["marts", "thesis_summary"])
    assert parents(["marts", "signals"]) == {"staging/int_signals__observations"}
    assert "marts/signals" in parents(["theses", "fed_cant_cut"])
    assert parents(["published", "warehouse"]) == {"marts/thesis_summary"}


def test_every_mart_is_gated_by_a_blocking_great_expectations_check():
    g = graph()
    marts = [k for k in g.get_all_asset_keys() if k.path[0] == "marts" and k.path[1].startswith("mart_")]
    assert marts
    for key in marts:
        gx = [c for c in g.asset_check_keys if c.asset_key == key and c.name == f"gx_{key.path[1]}"]
        assert gx, f"{key.to_user_string()} has no GX check"
        assert g.get_check_spec(gx[0]).blocking


def test_assets_have_groups_kinds_and_descriptions():
    g = graph()
    for key in g.get_all_asset_keys():
        node = g.get(key)
        assert node.group_name != "default", key
        assert node.kinds, key
        assert node.description, key
    assert "polars" in g.get(dg.AssetKey(["marts", "thesis_summary"])).kinds
    assert "polars" in g.get(dg.AssetKey(["theses", "fed_cant_cut"])).kinds
    assert "dbt" in g.get(dg.AssetKey(["marts", "mart_dollar"])).kinds


def test_warehouse_writers_share_one_pool():
    g = graph()
    for key in g.get_all_asset_keys():
        assert g.get(key).pools == {"warehouse"}, key


def test_dg_check_defs_passes_without_an_activated_venv(tmp_path):
    """`dg check defs` (the [tool.dg] entry point) loads the code location with only the venv's bin
    reachable by path, as a newcomer runs it; under dg the dbt project is re-parsed with the venv's dbt."""
    venv_bin = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = "/usr/bin:/bin"
    env["DAGSTER_HOME"] = str(tmp_path)
    result = subprocess.run(
        [str(venv_bin / "dg"), "check", "defs"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_each_new_raw_table_feeds_its_staging_view():
    g = graph()
    for raw_table, staging in [
        ("imf_cofer", "stg_imf__cofer"),
        ("openrouter_models", "stg_openrouter__models"),
        ("genai_prices", "stg_genai_prices__prices"),
    ]:
        parents = {k.to_user_string() for k in g.get(dg.AssetKey(["staging", staging])).parent_keys}
        assert parents == {f"raw/{raw_table}"}, staging
    for seed, staging in [
        ("ai_inference_prices", "stg_reference__ai_prices"),
        ("structural_facts", "stg_reference__structural_facts"),
    ]:
        assert dg.AssetKey(["reference", seed]) in g.get(dg.AssetKey(["staging", staging])).parent_keys


def test_the_instance_queues_daemon_launched_runs_one_at_a_time_and_keeps_telemetry_off(tmp_path):
    """The project's instance (orchestration/dagster.yaml) as the daemon sees it: of two runs queued
    at once its dequeue picks one, and none while one is in progress; a run leaves no telemetry log.
    (Dead workers and their retry: tests/test_run_retry.py, with a real daemon and a real kill.)"""
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = instance_at(tmp_path)
    job = defs.resolve_job_def("thesis_daily")
    origin = RemoteJobOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("thesis_warehouse"), "__repository__"), job.name
    )
    queued = [
        instance.create_run_for_job(job, status=dg.DagsterRunStatus.QUEUED, remote_job_origin=origin)
        for _ in range(2)
    ]
    # The queue daemon's own choice (a private method: the public loop also launches what it picks).
    daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
    picked = daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None)
    assert [r.run_id for r in picked] == [queued[0].run_id]  # first in, first out, one at a time
    instance.handle_run_event(queued[0].run_id, _run_start_event(queued[0]))
    assert instance.get_run_by_id(queued[0].run_id).status == dg.DagsterRunStatus.STARTED
    assert daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None) == []
    assert not (tmp_path / "logs" / "event.log").exists()  # dagster writes its telemetry log here when on


def _run_start_event(run: dg.DagsterRun) -> dg.DagsterEvent:
    return dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name)


def test_the_daily_schedule_runs_everything_at_0730_new_york_and_starts_on():
    schedule = defs.resolve_schedule_def("thesis_daily_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 7 * * *", "America/New_York")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "thesis_daily"


def test_every_thesis_is_its_own_asset_and_waits_for_every_gated_table():
    """One asset per file of config/theses/, evaluated in the summary's step; each waits for every
    gated mart and the signal tables, and reads only those."""
    g = graph()
    theses = load_theses()
    keys = {k for k in g.get_all_asset_keys() if k.path[0] == "theses"}
    assert keys == {dg.AssetKey(["theses", t]) for t in theses}
    gated = {dg.AssetKey(["marts", mart]) for mart in SUITES} | set(SIGNAL_KEYS)
    for key in [*keys, dg.AssetKey(["marts", "thesis_summary"])]:
        assert gated <= g.get(key).parent_keys, key
    for thesis in theses.values():
        assert thesis.marts() <= set(SUITES)
        assert thesis.title in g.get(dg.AssetKey(["theses", thesis.id])).description
    node = g.get(dg.AssetKey(["theses", "fed_cant_cut"]))
    assert node.group_name == "theses"


def test_the_event_log_reuses_a_connection_per_file_and_commits_every_event(tmp_path):
    """orchestration/event_log.py: the instance's event log is the pooled SQLite one, its files
    where Dagster's default puts them, every event readable at once by another instance (another
    process's view: each is committed on its own), and no more files open than its limit."""

    @dg.asset
    def tiny() -> int:
        return 1

    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    writer, reader = instance_at(tmp_path), instance_at(tmp_path)
    assert isinstance(writer.event_log_storage, PooledSqliteEventLogStorage)
    runs = [dg.materialize([tiny], instance=writer).run_id for _ in range(MAX_OPEN_FILES + 2)]
    assert {p.name for p in (tmp_path / "history" / "runs").glob("*.db")} == {
        f"{r}.db" for r in ["index", *runs]
    }
    for run_id in runs:
        stored = writer.get_records_for_run(run_id).records
        assert [r.event_log_entry.dagster_event_type for r in reader.get_records_for_run(run_id).records] == [
            r.event_log_entry.dagster_event_type for r in stored
        ]
        assert dg.DagsterEventType.RUN_SUCCESS in {r.event_log_entry.dagster_event_type for r in stored}
    assert len(writer.event_log_storage._engines) == MAX_OPEN_FILES
    assert reader.get_latest_materialization_event(dg.AssetKey("tiny")).run_id == runs[-1]
    writer.dispose()
    assert writer.event_log_storage._engines == {}
    # Loaded from this folder while DAGSTER_HOME names another, it would miss this event log: refused.
    with (
        pytest.MonkeyPatch.context() as env,
        pytest.raises(dg.DagsterInvariantViolationError, match=r"no dagster\.yaml"),
    ):
        env.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
        dg.DagsterInstance.from_config(str(tmp_path))
