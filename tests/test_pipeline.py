"""End to end on a temporary warehouse: the demo run, its idempotence, and the blocking gate."""

import datetime as dt
import hashlib

import dagster as dg
import duckdb
import pytest

from config.catalog import load_catalog
from config.signals import SIGNAL_SOURCES
from config.theses import load_theses
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
    # Per thesis, one snapshot computed on the day, and 36 month-ends backfilled point in time, each once.
    snapshots = (
        "select thesis, backfilled, count(distinct as_of), count(distinct run_id) "
        "from marts.thesis_summary_history group by all order by all"
    )
    theses = load_theses()
    assert query(warehouse_env, snapshots) == [
        row for t in theses for row in [(t, False, 1, 1), (t, True, 36, 1)]
    ]
    pillars = "select thesis, pillar from marts.thesis_summary where row_type = 'pillar' order by all"
    assert query(warehouse_env, pillars) == [(t, p) for t in theses for p in sorted(theses[t].pillars)]

    # The signals hold every FRED, Yahoo and IMF series of the catalog, with no SQL per series,
    # and their transforms are those the pillar marts compute from int_prices__returns.
    catalog = {(s.source, s.key) for s in load_catalog().series if s.source in SIGNAL_SOURCES}
    assert set(query(warehouse_env, "select distinct source, series_id from marts.signals")) == catalog
    (compared, worst_1y, worst_drawdown, worst_average) = query(
        warehouse_env,
        """
        select count(*), max(abs(s.change_1y_pct - r.change_1y_pct)),
            max(abs(s.drawdown_pct - r.drawdown_pct)),
            max(abs(s.vs_average_200_pct - r.vs_moving_average_pct))
        from marts.signals as s
        join staging.int_prices__returns as r
            on r.source = s.source and r.series_id = s.series_id and r.obs_date = s.date
        """,
    )[0]
    assert compared > 1000 and worst_1y == 0 and worst_drawdown == 0 and worst_average < 1e-9
    # The pair the second thesis compares, passed to dbt from its file.
    pairs = "select distinct asset_series_id, benchmark_series_id from marts.signal_pairs"
    assert query(warehouse_env, pairs) == [("DGS2", "DFF")]


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
