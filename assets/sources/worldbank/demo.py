"""The demo answer: every economy listed and the aggregates, in the API's exact format."""

import datetime as dt
import json

from assets.sources import synthetic
from assets.sources.base import Window
from assets.sources.worldbank.api import PER_PAGE
from config.catalog import Series

# The economies the demo body lists besides USA and CHN: (iso3, iso2, name, share of the rest of
# the world's population, share of its money measures), roughly their 2015 WDI shares. Namibia
# is there for its iso2 code "NA". The rest of the world they leave out is one more path, so
# World always exceeds the sum of the countries listed, as in the real answer.
_OTHERS = (
    ("JPN", "JP", "Japan", 0.0225, 0.097),
    ("DEU", "DE", "Germany", 0.0145, 0.074),
    ("GBR", "GB", "United Kingdom", 0.0115, 0.064),
    ("FRA", "FR", "France", 0.0118, 0.053),
    ("IND", "IN", "India", 0.232, 0.046),
    ("ITA", "IT", "Italy", 0.0107, 0.040),
    ("BRA", "BR", "Brazil", 0.036, 0.039),
    ("CAN", "CA", "Canada", 0.0064, 0.034),
    ("KOR", "KR", "Korea, Rep.", 0.009, 0.032),
    ("AUS", "AU", "Australia", 0.0042, 0.030),
    ("NAM", "NA", "Namibia", 0.00042, 0.00025),
)
# Aggregates besides World: (iso3 as the API sends it, iso2, name, members listed, scale from
# the members to the whole group). High income comes without an ISO3 code, as in the real answer.
_AGGREGATES = (
    ("EUU", "EU", "European Union", ("DEU", "FRA", "ITA"), 1.9),
    ("", "XD", "High income", ("USA", "JPN", "DEU", "GBR", "FRA", "ITA", "CAN", "KOR", "AUS"), 1.35),
)


def _paths(series: Series, n: int) -> dict[str, list[float]]:
    """The first `n` yearly values of every economy listed, and of the rest of the world."""
    p = series.demo
    usa, chn, wld = float(p["usa"]), float(p["chn"]), float(p["wld"])
    rest = wld - usa - chn
    # The rest of the world grows so that World starts at `wld` growing at `wld_growth`.
    growth = {k: float(p[f"{k}_growth"]) for k in ("usa", "chn", "wld")}
    rest_growth = (wld * growth["wld"] - usa * growth["usa"] - chn * growth["chn"]) / rest
    column = 3 if p.get("shares") == "population" else 4
    listed = sum(o[column] for o in _OTHERS)
    # `coverage` resizes the others together (their share of the rest of the world), if given.
    scale = float(p.get("coverage", listed)) / listed
    starts = {"USA": (usa, growth["usa"]), "CHN": (chn, growth["chn"])}
    for other in _OTHERS:
        starts[other[0]] = (rest * other[column] * scale, rest_growth)
    starts["rest"] = (rest * (1.0 - listed * scale), rest_growth)
    common = {"kind": "gbm", "vol": p["vol"], "corr_with": f"{series.id}/world", "corr": p.get("corr", 0.0)}
    return {
        code: list(
            synthetic.path({**common, "start": start, "drift": drift}, f"{series.id}/{code}", "annual", n)
        )
        for code, (start, drift) in starts.items()
    }


def _row_json(series: Series, iso3: str, iso2: str, name: str, year: int, value: float | None) -> dict:
    return {
        "indicator": {"id": series.id, "value": series.description.rstrip(".")},
        "country": {"id": iso2, "value": name},
        "countryiso3code": iso3,
        "date": str(year),
        "value": None if value is None else round(value),
        "unit": "",
        "obs_status": "",
        "decimal": 0,
    }


def demo(series: Series, window: Window) -> bytes:
    """An answer in the API's exact format: aggregates then countries by name, newest year first.

    Years run to the first one not yet published (sent as NULL, as WDI does); World is NULL
    from `wld_missing_from` on. A past value never changes when the window's end moves.
    """
    years = [d.year for d in synthetic.grid_dates("annual", window.end)]
    released = [y for y in years if synthetic.published("annual", dt.date(y, 1, 1), window.end)]
    # The answer runs to the first year not yet released, which WDI already lists with NULL.
    last_listed = max(released) + 1 if released else years[0]
    shown = [y for y in years if window.start.year <= y <= last_listed]
    paths = _paths(series, len(years))
    level = {code: dict(zip(years, values, strict=True)) for code, values in paths.items()}
    economies = [("USA", "US", "United States"), ("CHN", "CN", "China"), *(o[:3] for o in _OTHERS)]
    series_of: list[tuple[str, str, str, dict[int, float]]] = [(*e, level[e[0]]) for e in economies]
    for iso3, iso2, name, members, scale in _AGGREGATES:
        series_of.append((iso3, iso2, name, {y: scale * sum(level[m][y] for m in members) for y in years}))
    world = {y: sum(values[y] for values in level.values()) for y in years}
    missing_from = int(series.demo.get("wld_missing_from", 10_000))
    series_of.append(("WLD", "1W", "World", {y: world[y] if y < missing_from else None for y in years}))
    aggregates = {a[1] for a in _AGGREGATES} | {"1W"}
    rows = [
        _row_json(series, iso3, iso2, name, y, values[y] if y in released else None)
        for iso3, iso2, name, values in sorted(series_of, key=lambda e: (e[1] not in aggregates, e[2]))
        for y in sorted(shown, reverse=True)
    ]
    # The WDI vintage: the update that released the latest year.
    vintage = synthetic.release_date("annual", dt.date(max(released), 1, 1)).isoformat() if released else None
    paging = {"page": 1, "pages": 1, "per_page": PER_PAGE, "total": len(rows), "sourceid": "2"}
    return json.dumps([{**paging, "lastupdated": vintage}, rows], separators=(",", ":")).encode()
