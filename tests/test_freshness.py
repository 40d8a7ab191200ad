"""Source freshness checks: latest observation per series against the reference date, as WARN."""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from assets import raw
from assets.ingest import CONNECTORS, ingest_assets
from assets.sources import fred
from assets.sources.base import Body
from config.catalog import Series, load_catalog
from config.freshness import FreshnessConfigError, load_freshness, parse_freshness
from config.resources import SourceSettings, WarehouseResource
from expectations.freshness import assess, latest_observations
from expectations.source_checks import source_checks
from tests.conftest import NOW

REFERENCE = dt.date(2026, 11, 24)


def series(key: str, frequency: str) -> Series:
    return Series(
        id=key,
        source="fred",
        pillar="macro",
        frequency=frequency,
        unit="x",
        description="x",
        start="2000-01-01",
    )


def test_allowances_live_in_yaml_and_every_frequency_has_one():
    policy = load_freshness()
    assert policy["monthly"].max_lag_days == 80 and policy["business_daily"].max_lag_days == 10
    with pytest.raises(FreshnessConfigError, match="no policy for frequencies"):
        parse_freshness("frequencies:\n  daily: {refetch_after_days: 0, max_lag_days: 3}\n")
    with pytest.raises(FreshnessConfigError, match="max_lag_days"):
        parse_freshness(
            "frequencies:\n"
            + "".join(
                f"  {f}: {{refetch_after_days: 0, max_lag_days: 0}}\n"
                for f in ("business_daily", "daily", "weekly", "monthly", "quarterly", "annual")
            )
        )


def test_assess_flags_series_older_than_their_frequency_allows_and_those_never_loaded():
    policy = load_freshness()
    cpi, gdp, fx, new = (
        series("CPI", "monthly"),
        series("GDP", "quarterly"),
        series("FX", "business_daily"),
        series("NEW", "daily"),
    )
    latest = {"CPI": dt.date(2026, 9, 1), "GDP": dt.date(2026, 4, 1), "FX": dt.date(2026, 11, 14)}
    result = {a.series_id: a for a in assess([cpi, gdp, fx, new], latest, REFERENCE, policy)}
    assert (result["CPI"].lag_days, result["CPI"].allowed_days, result["CPI"].stale) == (84, 80, True)
    assert (result["GDP"].lag_days, result["GDP"].stale) == (237, False)
    assert (result["FX"].lag_days, result["FX"].stale) == (10, False)  # the allowance is inclusive
    assert (result["NEW"].last_date, result["NEW"].stale) == (None, True)


def test_latest_observation_ignores_rows_without_a_value(tmp_path):
    csv = b"observation_date,DTWEXBGS\n2026-11-20,120.5\n2026-11-23,\n"
    body = Body("fred", "DTWEXBGS", "csv", csv, "replay", NOW, "test://")
    parsed = raw.Parsed(body, fred.parse(body))
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert latest_observations(con, fred.CONNECTOR) == {}  # no raw table yet
        raw.load(con, fred.CONNECTOR, [parsed], [], run_id="r1")
        assert latest_observations(con, fred.CONNECTOR) == {"DTWEXBGS": dt.date(2026, 11, 20)}


def test_one_freshness_check_per_connector_at_warn_severity_and_non_blocking():
    specs = [spec for check in source_checks for spec in check.check_specs if spec.name == "freshness"]
    assert {spec.asset_key for spec in specs} == {dg.AssetKey(["raw", c.table]) for c in CONNECTORS}
    assert len(specs) == len(CONNECTORS) and not any(spec.blocking for spec in specs)


FRED = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", "fred_observations"]))
# FRED's checks step: its freshness and its load integrity.
FRED_FRESHNESS = next(c for c in source_checks if {k.asset_key for k in c.check_keys} == {FRED.key})


def materialize(**kwargs) -> dg.ExecuteInProcessResult:
    resources = {"warehouse": WarehouseResource(), "sources": SourceSettings()}
    return dg.materialize([FRED, FRED_FRESHNESS], resources=resources, **kwargs)


def evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (found,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "freshness"]
    return found


def test_replay_is_judged_against_the_recording_date_and_stale_series_only_warn(
    warehouse_env, tmp_path, monkeypatch
):
    snapshot = tmp_path / "snapshot"
    (snapshot / "fred").mkdir(parents=True)
    (snapshot / "RECORDED_AT").write_text("2026-11-24T12:00:00+00:00\n")
    (snapshot / "fred" / "DTWEXBGS.csv").write_text("observation_date,DTWEXBGS\n2026-11-20,120.5\n")
    (snapshot / "fred" / "CPIAUCSL.csv").write_text("observation_date,CPIAUCSL\n2026-06-01,321.5\n")
    monkeypatch.setenv("THESIS_SOURCE_MODE", "replay")
    monkeypatch.setenv("THESIS_SNAPSHOT_DIR", str(snapshot))
    monkeypatch.delenv("THESIS_AS_OF")  # replay judges by the recording date, not by today

    result = materialize()
    assert result.success  # a stale source warns; it does not fail the run
    check = evaluation(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["reference_date"].value == "2026-11-24"
    stale = {s["series_id"]: s for s in check.metadata["stale_series"].value}
    assert stale["CPIAUCSL"]["last_date"] == "2026-06-01" and stale["CPIAUCSL"]["lag_days"] == 176
    assert stale["UNRATE"]["last_date"] is None  # not in the snapshot: never loaded
    assert "DTWEXBGS" not in stale
    assert len(stale) == len(load_catalog().for_source("fred")) - 1


def test_demo_data_is_fresh_on_its_own_calendar_and_stale_once_the_calendar_moves_on(
    warehouse_env, monkeypatch
):
    check = evaluation(materialize())
    assert check.passed, check.metadata["stale_series"].value
    assert check.metadata["reference_date"].value == "2026-11-24"

    monkeypatch.setenv("THESIS_AS_OF", "2027-03-01")  # only the check runs: nothing new is loaded
    later = evaluation(materialize(selection=dg.AssetSelection.checks(FRED_FRESHNESS)))
    stale = {s["series_id"]: s for s in later.metadata["stale_series"].value}
    assert not later.passed and later.metadata["reference_date"].value == "2027-03-01"
    assert stale["DTWEXBGS"]["last_date"] == "2026-11-24" and stale["DTWEXBGS"]["lag_days"] == 97
    assert "A191RL1Q225SBEA" not in stale  # a quarterly series may lag that much
