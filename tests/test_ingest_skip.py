"""In live mode, slow series are not refetched while their last load is recent enough; a skip is not
a failure. Replay and demo read their whole input on every run."""

import datetime as dt

import dagster as dg
import duckdb
import httpx
import polars as pl
import pytest

from assets.ingest import RAW_TABLES, fetch_due, ingest_assets
from assets.sources import fred
from assets.sources.base import Window
from assets.sources.http import HttpClient
from assets.summary import read_loads
from assets.thesis import evaluate_condition
from config.catalog import load_catalog
from config.freshness import load_freshness
from config.resources import SourceSettings, WarehouseResource
from config.theses import Metric

DAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("last", "reference", "every", "force", "due"),
    [
        (None, DAY, 7, False, True),  # never loaded
        (DAY, DAY, 0, False, True),  # daily series: every run
        (DAY, DAY, 1, False, False),  # monthly, same day: skip
        (DAY - dt.timedelta(days=1), DAY, 1, False, True),  # monthly, next day
        (DAY - dt.timedelta(days=6), DAY, 7, False, False),  # annual, six days later
        (DAY - dt.timedelta(days=7), DAY, 7, False, True),  # annual, a week later
        (DAY + dt.timedelta(days=30), DAY, 7, False, True),  # a backfill before the last load
        (DAY, DAY, 7, True, True),  # forced
    ],
)
def test_fetch_due_counts_reference_days_since_the_last_success(last, reference, every, force, due):
    assert fetch_due(last, reference, every, force) is due


def test_policy_fetches_daily_every_run_and_slow_frequencies_at_most_weekly():
    policy = load_freshness()
    assert policy["business_daily"].refetch_after_days == policy["daily"].refetch_after_days == 0
    assert policy["monthly"].refetch_after_days == 1
    assert policy["quarterly"].refetch_after_days == policy["annual"].refetch_after_days == 7


def test_only_live_mode_skips_and_force_refetch_comes_from_the_field_the_env_or_recording(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("THESIS_FORCE_REFETCH", raising=False)
    monkeypatch.delenv("THESIS_RECORD_DIR", raising=False)
    assert not SourceSettings(mode="live").refetch_everything()
    assert SourceSettings(mode="live", force_refetch=True).refetch_everything()
    # A recording must hold every series, or replaying it would report the skipped ones missing.
    assert SourceSettings(mode="live", record_dir=str(tmp_path)).refetch_everything()
    monkeypatch.setenv("THESIS_FORCE_REFETCH", "true")
    assert SourceSettings(mode="live").refetch_everything()
    # A snapshot and the demo data are fixed inputs: read whole on every run, skip rule or not.
    monkeypatch.delenv("THESIS_FORCE_REFETCH")
    assert SourceSettings(mode="replay").refetch_everything()
    assert SourceSettings(mode="demo", force_refetch=False).refetch_everything()


FRED = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", "fred_observations"]))


@pytest.fixture
def live_fred(monkeypatch):
    """Live mode against a mocked FRED: each CSV request answered with the demo path of the
    series over the window it asked for (no sleeping between requests)."""
    requested: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        series = load_catalog().get("fred", params["id"])
        window = Window(dt.date.fromisoformat(params["cosd"]), dt.date.fromisoformat(params["coed"]))
        requested.append(series.key)
        return httpx.Response(200, content=fred.demo(series, window))

    def client(timeout: float) -> HttpClient:
        return HttpClient(timeout=timeout, sleep=lambda _: None, transport=httpx.MockTransport(answer))

    monkeypatch.setattr("assets.ingest.HttpClient", client)
    monkeypatch.setenv("THESIS_SOURCE_MODE", "live")
    monkeypatch.delenv("THESIS_FORCE_REFETCH", raising=False)
    return requested


def materialize_fred(**settings) -> dict:
    result = dg.materialize(
        [FRED], resources={"warehouse": WarehouseResource(), "sources": SourceSettings(**settings)}
    )
    assert result.success
    return result.asset_materializations_for_node(FRED.op.name)[0].metadata


def latest_audit(path) -> dict[str, str]:
    """Status of each series in the latest run's audit."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            """
            select series_id, status from raw.load_audit
            where loaded_at = (select max(loaded_at) from raw.load_audit)
            """
        ).fetchall()
    return dict(rows)


def test_a_same_day_live_rerun_skips_slow_series_and_a_later_day_fetches_them(
    warehouse_env, live_fred, monkeypatch
):
    fred = load_catalog().for_source("fred")
    policy = load_freshness()
    slow = {s.key for s in fred if policy[s.frequency].refetch_after_days > 0}
    assert {"CPIAUCSL", "A191RL1Q225SBEA", "WALCL"} <= slow and "DTWEXBGS" not in slow

    assert materialize_fred()["series_skipped"].value == []
    live_fred.clear()
    second = materialize_fred()
    assert set(second["series_skipped"].value) == slow
    assert set(live_fred) == {s.key for s in fred} - slow  # a skipped series is not asked for
    assert second["series_failed"].value == []
    statuses = latest_audit(warehouse_env)
    assert {k for k, v in statuses.items() if v == "skipped"} == slow
    assert {k for k, v in statuses.items() if v == "loaded"} == {s.key for s in fred} - slow

    monkeypatch.setenv("THESIS_AS_OF", "2026-11-25")  # the next day: monthly and weekly are due again
    third = materialize_fred()
    weekly_or_slower = {s.key for s in fred if policy[s.frequency].refetch_after_days > 1}
    assert set(third["series_skipped"].value) == weekly_or_slower
    assert "A191RL1Q225SBEA" in weekly_or_slower and "CPIAUCSL" not in weekly_or_slower

    assert materialize_fred(force_refetch=True)["series_skipped"].value == []


def test_a_skipped_series_keeps_its_loaded_status_so_the_summary_never_calls_it_stale(
    warehouse_env, live_fred
):
    materialize_fred()
    materialize_fred()
    assert latest_audit(warehouse_env)["CPIAUCSL"] == "skipped"
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        loads = read_loads(con)
    assert loads["fred/CPIAUCSL"].status == "loaded"
    metric = Metric(
        id="cpi",
        label="CPI",
        mart="mart_macro",
        column="cpi",
        unit="index",
        window="1 month",
        baseline="zero",
        direction="above",
        threshold=0.0,
        band=1.0,
        max_age_days=90,
        weight=1.0,
        sources=["fred/CPIAUCSL"],
        evidence="CPI {value} on {date}.",
    )
    frame = pl.DataFrame({"date": [dt.date(2026, 10, 1)], "cpi": [320.0]})
    assert evaluate_condition("macro", metric, frame, DAY, loads)["status"] == "confirms"


def test_every_raw_table_has_an_ingest_asset_with_a_retry_policy():
    keys = {a.key for a in ingest_assets}
    assert keys == {dg.AssetKey(["raw", t.table]) for t in RAW_TABLES}
    for asset in ingest_assets:
        policy = asset.op.retry_policy
        assert policy is not None and policy.max_retries >= 1 and policy.delay
