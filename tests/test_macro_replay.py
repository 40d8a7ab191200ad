"""mart_macro on real FRED payloads, replayed through the ingest and dbt assets.

The expected numbers are computed here straight from the JSON files, on the calendar, so the
October 2025 hole (FRED's "." for the shutdown month) must come out as NULL exactly where a
calculation needs that month.
"""

import datetime as dt
import json
import shutil

import dagster as dg
import duckdb
import pytest

from assets.dbt import dbt_models, dbt_project
from assets.ingest import ingest_assets
from config.resources import DbtResource, SourceSettings, WarehouseResource, dbt_executable

pytestmark = pytest.mark.e2e

PAYLOADS = "fred/api-json-2026-08_pansack"
SERIES = ("CPIAUCSL", "UNRATE", "PAYEMS")
SHUTDOWN_MONTH = dt.date(2025, 10, 1)
TOLERANCE = 1e-9


def months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def observations(path) -> dict[dt.date, float | None]:
    """{month: value} from a FRED JSON body; "." (never published) is None."""
    rows = json.loads(path.read_text())["observations"]
    return {dt.date.fromisoformat(r["date"]): None if r["value"] == "." else float(r["value"]) for r in rows}


def yoy(series: dict, month: dt.date) -> float | None:
    now, year_ago = series.get(month), series.get(months_before(month, 12))
    return None if now is None or year_ago is None else 100 * now / year_ago - 100


def rise_above_12m_low(rates: dict, month: dt.date) -> float | None:
    """The rate minus the lowest published rate of the 12 months to this one, once a year is known."""
    rate, first = rates.get(month), min(m for m, v in rates.items() if v is not None)
    if rate is None or months_before(month, 11) < first:
        return None
    window = [rates.get(months_before(month, k)) for k in range(12)]
    return rate - min(v for v in window if v is not None)


def payrolls_3m_avg_change(levels: dict, month: dt.date) -> float | None:
    """The mean of the last three monthly changes, (P[t] - P[t-3 months]) / 3."""
    now, before = levels.get(month), levels.get(months_before(month, 3))
    return None if now is None or before is None else (now - before) / 3


def assert_matches(actual: dict, expected: dict, column: str) -> None:
    for month, want in expected.items():
        got = actual[month]
        if want is None:
            assert got is None, f"{column} {month}: expected NULL, got {got}"
        else:
            assert got is not None and abs(got - want) <= TOLERANCE, f"{column} {month}: {got} != {want}"


@pytest.fixture
def replayed_mart(real_data, warehouse_env, tmp_path, monkeypatch) -> dict[dt.date, dict]:
    snapshot = tmp_path / "snapshot"
    (snapshot / "fred").mkdir(parents=True)
    for series in SERIES:
        shutil.copy(real_data / PAYLOADS / f"{series}.json", snapshot / "fred" / f"{series}.json")
    (snapshot / "RECORDED_AT").write_text("2026-08-12T14:00:00+00:00\n")
    monkeypatch.setenv("THESIS_SOURCE_MODE", "replay")
    monkeypatch.setenv("THESIS_SNAPSHOT_DIR", str(snapshot))
    result = dg.materialize(
        [*ingest_assets, dbt_models],
        resources={
            "warehouse": WarehouseResource(),
            "sources": SourceSettings(),
            "dbt": DbtResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
    )
    assert result.success
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        missing = con.execute(
            "select count(*) from raw.load_audit where source = 'fred' and status = 'missing'"
        ).fetchall()[0][0]
        assert missing > 0, "series absent from the snapshot are reported in raw.load_audit"
        cursor = con.execute("select * from marts.mart_macro order by date")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_replayed_mart_macro_reproduces_the_real_fred_numbers(real_data, replayed_mart):
    raw = {s: observations(real_data / PAYLOADS / f"{s}.json") for s in SERIES}
    months = sorted(raw["CPIAUCSL"])
    assert sorted(replayed_mart) == months  # the spine: 2000-01 .. 2026-07, the shutdown month included
    column = lambda name: {m: replayed_mart[m][name] for m in months}  # noqa: E731

    cpi_yoy = {m: yoy(raw["CPIAUCSL"], m) for m in months}
    assert_matches(column("cpi_yoy_pct"), cpi_yoy, "cpi_yoy_pct")
    six_month_change = {
        m: None
        if cpi_yoy[m] is None or cpi_yoy.get(months_before(m, 6)) is None
        else cpi_yoy[m] - cpi_yoy[months_before(m, 6)]
        for m in months
    }
    assert_matches(column("cpi_yoy_6m_change_pp"), six_month_change, "cpi_yoy_6m_change_pp")
    assert_matches(
        column("unemployment_rise_above_low_pp"),
        {m: rise_above_12m_low(raw["UNRATE"], m) for m in months},
        "unemployment_rise_above_low_pp",
    )
    assert_matches(
        column("payrolls_3m_avg_change_thousands"),
        {m: payrolls_3m_avg_change(raw["PAYEMS"], m) for m in months},
        "payrolls_3m_avg_change_thousands",
    )

    # The shutdown month itself, and the months that reach back to it, are NULL, not wrong.
    assert raw["CPIAUCSL"][SHUTDOWN_MONTH] is None and raw["UNRATE"][SHUTDOWN_MONTH] is None
    assert replayed_mart[SHUTDOWN_MONTH]["cpi_yoy_pct"] is None
    assert replayed_mart[SHUTDOWN_MONTH]["unemployment_rise_above_low_pp"] is None
    assert replayed_mart[dt.date(2026, 4, 1)]["cpi_yoy_6m_change_pp"] is None
    assert replayed_mart[dt.date(2025, 11, 1)]["cpi_yoy_pct"] is not None
    assert replayed_mart[dt.date(2026, 7, 1)]["cpi_yoy_pct"] is not None
    assert replayed_mart[dt.date(2025, 11, 1)]["unemployment_12m_low_months"] == 11
