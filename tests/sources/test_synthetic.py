"""Demo data: deterministic, plausible, and a past value never moves when a day is added."""

import datetime as dt

from assets.sources import fred, synthetic
from assets.sources.base import Window
from config.catalog import load_catalog


def test_extending_the_end_date_adds_values_and_never_changes_old_ones():
    catalog = load_catalog()
    for series in catalog.for_source("fred"):
        before = synthetic.observations(series, dt.date(2026, 11, 23))
        after = synthetic.observations(series, dt.date(2026, 11, 24))
        assert after[: len(before)] == before, series.id
        assert len(after) - len(before) in (0, 1), series.id


def test_the_same_window_gives_the_same_bytes():
    series = load_catalog().get("fred", "DTWEXBGS")
    window = Window(dt.date(2024, 1, 1), dt.date(2026, 11, 24))
    assert fred.demo(series, window) == fred.demo(series, window)


def test_series_sharing_a_seed_share_a_path():
    catalog = load_catalog()
    fred_sp500 = dict(synthetic.observations(catalog.get("fred", "SP500"), dt.date(2026, 1, 31)))
    yahoo_gspc = dict(synthetic.observations(catalog.get("yahoo", "^GSPC"), dt.date(2026, 1, 31)))
    assert fred_sp500 == yahoo_gspc


def test_business_day_series_skip_weekends_and_mark_fixed_holidays_missing():
    days = dict(synthetic.observations(load_catalog().get("fred", "DTWEXBGS"), dt.date(2025, 12, 31)))
    assert all(d.weekday() < 5 for d in days)
    assert days[dt.date(2025, 12, 25)] is None and days[dt.date(2025, 12, 24)] is not None


def test_monthly_series_respect_publication_lag():
    days = [
        d for d, _ in synthetic.observations(load_catalog().get("fred", "CPIAUCSL"), dt.date(2026, 11, 24))
    ]
    # October's CPI comes out mid-November; November's only in December.
    assert days[-1] == dt.date(2026, 10, 1)
