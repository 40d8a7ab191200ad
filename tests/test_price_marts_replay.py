"""The price marts on real data: a FRED snapshot replayed through ingest and dbt reproduces, on
every date, the metrics computed here independently in plain Python from the raw CSV files."""

import bisect
import csv
import datetime as dt
import math
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest

from assets.dbt import dbt_models
from assets.ingest import ingest_assets
from orchestration.definitions import defs

pytestmark = pytest.mark.e2e

SNAPSHOT = "fred/csv-2026-05_joaodso"
SERIES = ("DTWEXBGS", "NASDAQCOM", "CBBTCUSD", "SP500")
RECORDED = "2026-05-25T12:00:00+00:00"
TOLERANCE = 1e-9


def read_fred_csv(path: Path) -> list[tuple[dt.date, float]]:
    """(date, value) rows of a fredgraph.csv, holidays (empty values) left out."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [
        (dt.date.fromisoformat(day), float(value)) for day, value in rows if value.strip() not in ("", ".")
    ]


def a_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29 -> February 28
        return day.replace(year=day.year - 1, day=28)


def change_1y(rows: list[tuple[dt.date, float]]) -> dict[dt.date, float | None]:
    """Vs the last observation on or before D - 1 year, if it is at most 7 days before that."""
    days = [d for d, _ in rows]
    out = {}
    for day, value in rows:
        target = a_year_before(day)
        i = bisect.bisect_right(days, target) - 1
        ok = i >= 0 and days[i] >= target - dt.timedelta(days=7)
        out[day] = 100 * value / rows[i][1] - 100 if ok else None
    return out


def vs_moving_average(rows: list[tuple[dt.date, float]], n: int = 200) -> dict[dt.date, float | None]:
    values = [v for _, v in rows]
    return {
        day: 100 * value / (math.fsum(values[i + 1 - n : i + 1]) / n) - 100 if i + 1 >= n else None
        for i, (day, value) in enumerate(rows)
    }


def drawdown(rows: list[tuple[dt.date, float]]) -> dict[dt.date, float]:
    out, high = {}, -math.inf
    for day, value in rows:
        high = max(high, value)
        out[day] = 100 * value / high - 100
    return out


def rolling_beta(
    asset: list[tuple[dt.date, float]], benchmark: list[tuple[dt.date, float]], n: int = 252
) -> dict[dt.date, tuple[float, float]]:
    """Beta and correlation of the asset's returns, read as of each benchmark day, on the benchmark's."""
    asset_days = [d for d, _ in asset]
    as_of = []
    for day, _ in benchmark:
        i = bisect.bisect_right(asset_days, day) - 1
        as_of.append(asset[i][1] if i >= 0 else math.nan)
    y = 100 * np.diff(np.array(as_of)) / np.array(as_of[:-1])
    x = 100 * np.diff([v for _, v in benchmark]) / np.array([v for _, v in benchmark][:-1])
    out = {}
    for end in range(n, len(x) + 1):
        xs, ys = x[end - n : end], y[end - n : end]
        if np.isnan(ys).any():
            continue
        cov = np.cov(xs, ys, bias=True)
        out[benchmark[end][0]] = (cov[0, 1] / cov[0, 0], cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]))
    return out


def assert_matches(mart: dict[dt.date, float | None], expected: dict[dt.date, float | None], what: str):
    assert mart.keys() == expected.keys(), what
    for day, value in expected.items():
        got = mart[day]
        if value is None:
            assert got is None, f"{what} on {day}: {got}, expected NULL"
        else:
            assert got is not None and abs(got - value) <= TOLERANCE, f"{what} on {day}: {got} != {value}"


@pytest.fixture
def replayed(real_data, warehouse_env, tmp_path, monkeypatch) -> Path:
    """The warehouse after ingest + dbt in replay mode on a snapshot of four real FRED files."""
    snapshot = tmp_path / "snapshot"
    (snapshot / "fred").mkdir(parents=True)
    for series in SERIES:
        shutil.copy(real_data / SNAPSHOT / f"{series}.csv", snapshot / "fred" / f"{series}.csv")
    (snapshot / "RECORDED_AT").write_text(RECORDED + "\n")
    monkeypatch.setenv("THESIS_SOURCE_MODE", "replay")
    monkeypatch.setenv("THESIS_SNAPSHOT_DIR", str(snapshot))
    monkeypatch.setenv("THESIS_AS_OF", RECORDED[:10])
    result = dg.materialize(
        [*ingest_assets, dbt_models],
        resources=defs.resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    return warehouse_env


def column(path: Path, sql: str) -> dict[dt.date, float | None]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute(sql).fetchall())


def test_replayed_fred_snapshot_reproduces_dollar_and_bitcoin_metrics_on_every_date(replayed, real_data):
    """Also: the series the snapshot lacks are reported missing, and the rest still builds."""
    dollar = read_fred_csv(real_data / SNAPSHOT / "DTWEXBGS.csv")
    btc = read_fred_csv(real_data / SNAPSHOT / "CBBTCUSD.csv")
    nasdaq = read_fred_csv(real_data / SNAPSHOT / "NASDAQCOM.csv")

    assert_matches(
        column(replayed, "select date, broad_dollar_1y_change_pct from marts.mart_dollar"),
        change_1y(dollar),
        "DTWEXBGS 1-year change",
    )
    assert_matches(
        column(replayed, "select date, broad_dollar_vs_200d_average_pct from marts.mart_dollar"),
        vs_moving_average(dollar),
        "DTWEXBGS distance from its 200-day average",
    )
    assert_matches(
        column(replayed, "select date, btc_1y_return_pct from marts.mart_crypto"), change_1y(btc), "BTC 1y"
    )
    assert_matches(
        column(replayed, "select date, btc_drawdown_pct from marts.mart_crypto"),
        drawdown(btc),
        "BTC drawdown",
    )

    expected = rolling_beta(btc, nasdaq)
    with duckdb.connect(str(replayed), read_only=True) as con:
        paired = con.execute(
            "select obs_date, beta_1y, correlation_1y from staging.int_prices__paired_returns "
            "where beta_1y is not null"
        ).fetchall()
    assert len(paired) == len(expected) > 2500
    for day, beta, correlation in paired:
        assert (
            abs(beta - expected[day][0]) <= TOLERANCE and abs(correlation - expected[day][1]) <= TOLERANCE
        ), day

    with duckdb.connect(str(replayed), read_only=True) as con:
        status = dict(
            con.execute("select series_id, status from raw.load_audit where source = 'fred'").fetchall()
        )
        dxy_rows = con.execute("select count(dxy_index), count(*) from marts.mart_dollar").fetchall()[0]
        sample = con.execute(
            "select broad_dollar_index, broad_dollar_1y_change_pct from marts.mart_dollar "
            "where date = date '2026-05-15'"
        ).fetchall()
    assert {status[s] for s in SERIES} == {"loaded"}
    assert status["DTWEXAFEGS"] == "missing" and status["CBETHUSD"] == "missing"
    # Yahoo's DXY is not in the snapshot: the dollar mart still has every broad-index day.
    assert dxy_rows == (0, 5315 - 208)
    # 2026-05-15 vs 2025-05-15 (119.2825 vs 122.8174 in the file).
    assert sample[0][0] == 119.2825
    assert sample[0][1] == pytest.approx(100 * 119.2825 / 122.8174 - 100, abs=1e-12)
