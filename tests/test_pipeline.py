"""End to end on a temporary warehouse: the demo run, its idempotence, and the blocking gate."""

import datetime as dt
import hashlib

import dagster as dg
import duckdb
import pytest

from config.theses import load_thesis
from orchestration.definitions import defs

pytestmark = pytest.mark.e2e


def run(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("thesis_daily").execute_in_process(instance=instance, raise_on_error=False)


def table_hash(path, table: str) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(f"select * from {table} order by all").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_demo_run_builds_everything_and_a_rerun_changes_nothing(warehouse_env):
    instance = dg.DagsterInstance.ephemeral()
    first = run(instance)
    assert first.success
    raw_rows = query(warehouse_env, "select count(*) from raw.fred_observations")[0][0]
    mart = table_hash(warehouse_env, "marts.mart_dollar")
    verdict = query(
        warehouse_env, "select status, origin from marts.thesis_summary where row_type = 'verdict'"
    )
    assert verdict[0][1] == "demo"
    dollar = query(
        warehouse_env,
        "select status, evidence from marts.thesis_summary where row_type = 'pillar' and pillar = 'dollar'",
    )
    assert dollar[0][0] in {"confirms", "contradicts", "neutral"} and "dollar" in dollar[0][1]

    second = run(instance)
    assert second.success
    assert query(warehouse_env, "select count(*) from raw.fred_observations")[0][0] == raw_rows
    assert query(warehouse_env, "select count(*) from raw.fred_observations_history")[0][0] == 0
    assert table_hash(warehouse_env, "marts.mart_dollar") == mart
    # One snapshot computed on the day, and 36 month-ends backfilled point in time, each once.
    snapshots = (
        "select backfilled, count(distinct as_of), count(distinct run_id) from marts.thesis_summary_history"
    )
    assert query(warehouse_env, snapshots + " group by 1 order by 1") == [(False, 1, 1), (True, 36, 1)]
    pillars = "select pillar from marts.thesis_summary where row_type = 'pillar' order by pillar"
    assert [p for (p,) in query(warehouse_env, pillars)] == sorted(load_thesis().pillars)


def test_a_corrupted_mart_fails_its_gate_and_the_summary_keeps_the_last_good_run(warehouse_env):
    instance = dg.DagsterInstance.ephemeral()
    assert run(instance).success
    summary_before = table_hash(warehouse_env, "marts.thesis_summary")
    published = warehouse_env.parent / "data" / "published" / warehouse_env.name
    published_before = published.read_bytes()
    # A bad upstream value outside the ingest lookback window: a shifted decimal the dbt tests accept.
    with duckdb.connect(str(warehouse_env)) as con:
        con.execute(
            "update raw.fred_observations set value = value * 10 "
            "where series_id = 'DTWEXBGS' and obs_date = (select min(obs_date) from raw.fred_observations "
            "where series_id = 'DTWEXBGS' and obs_date >= date '2020-06-01' and value is not null)"
        )
    result = run(instance)
    assert not result.success
    gx = [e for e in result.get_asset_check_evaluations() if e.check_name == "gx_mart_dollar"]
    assert len(gx) == 1 and not gx[0].passed
    assert gx[0].severity == dg.AssetCheckSeverity.ERROR
    assert "broad_dollar_index_change_pct" in gx[0].metadata["failing_expectations"].value
    started = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    assert "marts__thesis_summary" not in started
    assert table_hash(warehouse_env, "marts.thesis_summary") == summary_before
    assert published.read_bytes() == published_before  # the analysts keep the last good copy


def test_as_of_date_drives_the_demo_calendar(warehouse_env, monkeypatch):
    monkeypatch.setenv("THESIS_AS_OF", "2026-06-30")
    assert run(dg.DagsterInstance.ephemeral()).success
    last = query(warehouse_env, "select max(date) from marts.mart_dollar")[0][0]
    assert last == dt.date(2026, 6, 30)
