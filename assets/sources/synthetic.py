"""Deterministic synthetic series for demo mode.

Every path starts on 2015-01-01 and is driven by a seeded random stream consumed one step per
calendar day (daily series) or per period (weekly and slower). A value for a past date therefore
depends only on the seed and the steps before it: extending the end date by one day adds one
value and never moves an old one, so the daily schedule behaves like a real source.
"""

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from config.catalog import DEMO_START, Series

# Periods per year for the step size of each frequency; daily grids step once per calendar day.
_STEPS_PER_YEAR = {"daily_grid": 365.0, "weekly": 52.0, "monthly": 12.0, "quarterly": 4.0, "annual": 1.0}
# Fixed-date US holidays on which FRED's business-daily series carry an empty value.
_HOLIDAYS = {(1, 1), (7, 4), (12, 25)}


def _grid(frequency: str) -> str:
    return "daily_grid" if frequency in ("business_daily", "daily") else frequency


def _seed(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")


def _month_add(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1)


def grid_dates(frequency: str, end: dt.date) -> list[dt.date]:
    """Every step of the frequency's grid from DEMO_START up to and including `end`."""
    grid = _grid(frequency)
    if grid == "daily_grid":
        return [DEMO_START + dt.timedelta(days=i) for i in range((end - DEMO_START).days + 1)]
    if grid == "weekly":  # Wednesdays, like WALCL
        first = DEMO_START + dt.timedelta(days=(2 - DEMO_START.weekday()) % 7)
        return [first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    months = {"monthly": 1, "quarterly": 3, "annual": 12}[grid]
    out, d = [], DEMO_START
    while d <= end:
        out.append(d)
        d = _month_add(d, months)
    return out


# Months from the start of a period to its first release (plus two weeks), per frequency.
_LAG_MONTHS = {"monthly": 1, "quarterly": 4, "annual": 18}


def release_date(frequency: str, period_start: dt.date) -> dt.date:
    """The day an observation of the period is first out, given its typical publication lag."""
    if frequency in _LAG_MONTHS:
        return _month_add(period_start, _LAG_MONTHS[frequency]) + dt.timedelta(days=14)
    if frequency == "weekly":
        return period_start + dt.timedelta(days=1)
    return period_start


def published(frequency: str, period_start: dt.date, end: dt.date) -> bool:
    """Whether an observation would already be out by `end`, given its typical publication lag."""
    if frequency == "business_daily":
        return period_start.weekday() < 5
    return release_date(frequency, period_start) <= end


@functools.cache
def _shocks(seed_key: str, grid: str, n: int, corr_with: str | None, corr: float) -> np.ndarray:
    own = np.random.default_rng(_seed(seed_key)).standard_normal(n)
    if not corr_with:
        return own
    other = _shocks_for(corr_with, grid, n)
    return corr * other + np.sqrt(1.0 - corr * corr) * own


def _shocks_for(seed_key: str, grid: str, n: int) -> np.ndarray:
    params = _params_by_seed().get(seed_key, {})
    return _shocks(seed_key, grid, n, params.get("corr_with"), float(params.get("corr", 0.0)))


@functools.cache
def _params_by_seed() -> Mapping[str, Mapping[str, Any]]:
    from config.catalog import load_catalog

    return {s.demo.get("seed", s.id): s.demo for s in load_catalog().series}


def path(demo: Mapping[str, Any], seed_key: str, frequency: str, n: int) -> np.ndarray:
    """The first `n` values of a series' synthetic path on its grid."""
    grid = _grid(frequency)
    dt_years = 1.0 / _STEPS_PER_YEAR[grid]
    z = _shocks(seed_key, grid, n, demo.get("corr_with"), float(demo.get("corr", 0.0)))
    vol = float(demo["vol"])
    if demo["kind"] == "gbm":
        steps = (float(demo["drift"]) - 0.5 * vol * vol) * dt_years + vol * np.sqrt(dt_years) * z
        steps[0] = 0.0
        return float(demo["start"]) * np.exp(np.cumsum(steps))
    if demo["kind"] == "ou":
        out = np.empty(n)
        x, mean, speed = float(demo["start"]), float(demo["mean"]), float(demo["speed"])
        floor = float(demo.get("floor", -np.inf))
        for i in range(n):
            out[i] = x
            x = max(floor, x + speed * (mean - x) * dt_years + vol * np.sqrt(dt_years) * z[i])
        return out
    raise ValueError(f"demo kind {demo['kind']!r} has no synthetic path")


def observations(series: Series, end: dt.date) -> list[tuple[dt.date, float | None]]:
    """(date, value) for a series from DEMO_START to `end`, in the source's own calendar.

    Values are rounded to the source's precision; holidays and never-published dates are None.
    """
    demo = series.demo
    dates = grid_dates(series.frequency, end)
    values = path(demo, demo.get("seed", series.id), series.frequency, len(dates))
    missing = {dt.date.fromisoformat(str(d)) for d in demo.get("missing", [])}
    decimals = int(demo.get("decimals", 2))
    out: list[tuple[dt.date, float | None]] = []
    for d, v in zip(dates, values, strict=True):
        if not published(series.frequency, d, end):
            continue
        is_gap = d in missing or (series.frequency == "business_daily" and (d.month, d.day) in _HOLIDAYS)
        out.append((d, None if is_gap else round(float(v), decimals)))
    return out
