"""World Bank Indicators API v2 (WDI): population, GDP, exports and market cap of every economy, yearly.

One keyless request per indicator returns every economy (`country/all`), countries and
aggregates alike (World is `WLD` / `1W`), as the JSON array `[paging, rows]`, newest year first.
The whole answer must fit in one page (`per_page=20000`): a body that says `pages > 1` is
incomplete and rejected. The latest year is usually NULL until the annual WDI update; NULL rows
are kept, so the marts can tell "published as missing" from "absent". Each row carries the
answer's `lastupdated` (the WDI vintage). Errors come back as HTTP 200 with a `message` array.
"""

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from assets.sources import synthetic
from assets.sources.base import Body, Connector, HttpRequest, SourceError, Window, check_observations
from config.catalog import Series, load_catalog

SOURCE = "worldbank"
API_URL = "https://api.worldbank.org/v2/country/all/indicator/{indicator}"
# Every economy x 1960..today is ~18,000 rows in 2026; one page must hold the whole answer.
PER_PAGE = 20000

SCHEMA = pa.schema(
    [
        ("indicator_id", pa.string()),
        ("country_code", pa.string()),
        ("country_id", pa.string()),
        ("country_name", pa.string()),
        ("year", pa.int64()),
        ("obs_date", pa.date32()),
        ("value", pa.float64()),
        ("last_updated", pa.date32()),
    ]
)
_YEAR = re.compile(r"^\d{4}$")


def request(series: Series, window: Window, api_key: str | None = None) -> HttpRequest:
    """Every economy's values of one indicator over the window's years; keyless (`api_key` is ignored)."""
    return HttpRequest(
        url=API_URL.format(indicator=quote(series.id, safe="")),
        params={
            "format": "json",
            "per_page": str(PER_PAGE),
            "date": f"{window.start.year}:{window.end.year}",
        },
        ext="json",
    )


@dataclass(frozen=True)
class Paging:
    """The first element of every answer; the numbers may arrive as JSON numbers or strings."""

    page: int
    pages: int
    per_page: int
    total: int
    last_updated: dt.date | None


def _count(paging: Mapping[str, Any], name: str, series: str) -> int:
    value = paging.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise SourceError(SOURCE, series, f"paging field {name!r} is not a count: {value!r}", "paging")


def _paging(paging: Mapping[str, Any], series: str) -> Paging:
    stamp = paging.get("lastupdated")
    try:
        last_updated = dt.date.fromisoformat(stamp) if stamp else None
    except (TypeError, ValueError):
        raise SourceError(SOURCE, series, f"lastupdated is not an ISO date: {stamp!r}", "paging") from None
    counts = [_count(paging, name, series) for name in ("page", "pages", "per_page", "total")]
    return Paging(*counts, last_updated=last_updated)


def _api_error(doc: Any) -> str | None:
    """The text of the API's error answer `[{"message": [{"id", "key", "value"}]}]`, else None."""
    if not (isinstance(doc, list) and doc and isinstance(doc[0], dict) and "message" in doc[0]):
        return None
    messages = doc[0]["message"] if isinstance(doc[0]["message"], list) else [doc[0]["message"]]
    parts = [
        f"id {m.get('id')} {m.get('key')!r}: {m.get('value')!r}" if isinstance(m, dict) else repr(m)
        for m in messages
    ]
    return "API error " + "; ".join(parts)[:300]


def read_answer(body: Body) -> tuple[Paging, list | None]:
    """Decode an answer into its paging block and its rows (None when the API sent `null`)."""
    series = body.key
    doc = body.json()
    if error := _api_error(doc):
        raise SourceError(SOURCE, series, error, "[0].message")
    if not (isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], dict)):
        raise SourceError(
            SOURCE,
            series,
            f"expected a 2-element array [paging, rows], got {body.text().strip()[:120]!r}",
            "char 0",
        )
    rows = doc[1]
    if rows is not None and not isinstance(rows, list):
        raise SourceError(SOURCE, series, f"rows are a {type(rows).__name__}, not an array", "rows")
    return _paging(doc[0], series), rows


def page_rows(paging: Paging, rows: list | None, series: str) -> list:
    """The rows of a page, checked against its paging block; an empty answer is an error."""
    if paging.total == 0 or not rows:
        # Every indicator here covers every economy for every year asked, so an empty answer
        # means a wrong indicator or date range, never a quiet year: loading nothing would hide it.
        raise SourceError(
            SOURCE,
            series,
            f"no rows (total {paging.total}, rows {'null' if rows is None else 'empty'}): the API has no "
            "data for this indicator and date range, which for a WDI indicator means a bad request",
            "rows",
        )
    expected = min(paging.per_page, paging.total - (paging.page - 1) * paging.per_page)
    if paging.per_page > 0 and len(rows) != expected:
        raise SourceError(
            SOURCE,
            series,
            f"the page holds {len(rows)} rows where its paging block promises {expected}",
            "rows",
        )
    return rows


def _value(raw: Any, series: str, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise SourceError(SOURCE, series, f"non-numeric value {str(raw)[:40]!r}", where)
    try:
        return float(raw)
    except OverflowError:
        raise SourceError(SOURCE, series, f"absurd value {str(raw)[:40]}", where) from None


def _row(row: Any, series: str, index: int) -> tuple[str, str, str | None, int, float | None]:
    """(country_code, country_id, country_name, year, value) of one row, checked."""
    where = f"rows[{index}]"
    if not isinstance(row, dict):
        raise SourceError(SOURCE, series, f"row is not an object: {str(row)[:80]}", where)
    country = row.get("country") if isinstance(row.get("country"), dict) else {}
    country_id = country.get("id")
    if not isinstance(country_id, str) or not country_id:
        raise SourceError(SOURCE, series, f"row without country.id: {str(row)[:80]}", where)
    # Income-group aggregates (High income, ...) come with an empty countryiso3code.
    iso3 = row.get("countryiso3code")
    code = iso3 if isinstance(iso3, str) and iso3 else country_id
    date = row.get("date")
    if isinstance(date, bool) or not isinstance(date, str | int) or not _YEAR.match(str(date)):
        raise SourceError(SOURCE, series, f"date is not a year: {str(date)[:40]!r}", f"{where} ({code})")
    where = f"{where} ({code} {date})"
    indicator = row.get("indicator") if isinstance(row.get("indicator"), dict) else {}
    if str(indicator.get("id", "")).upper() != series.upper():
        raise SourceError(
            SOURCE, series, f"row is for indicator {indicator.get('id')!r}, not the one requested", where
        )
    return code, country_id, country.get("value"), int(date), _value(row.get("value"), series, where)


def _table(body: Body, paging: Paging, rows: list | None) -> pa.Table:
    series = body.key
    parsed = [_row(row, series, i) for i, row in enumerate(page_rows(paging, rows, series))]
    try:
        positive = load_catalog().get(SOURCE, series).positive
    except KeyError:
        positive = True
    # Uniqueness and dates are per economy: check_observations sees one economy's years at a time.
    by_country: dict[str, list[tuple[str, dt.date, float | None]]] = defaultdict(list)
    for i, (code, _, _, year, value) in enumerate(parsed):
        by_country[code].append((f"rows[{i}] ({code} {year})", dt.date(year, 1, 1), value))
    for observations in by_country.values():
        check_observations(
            SOURCE,
            series,
            observations,
            positive=positive,
            # A year is in the future once it starts after the day the body was fetched.
            latest_allowed=dt.date(body.fetched_at.year, 1, 1),
        )
    columns = list(zip(*parsed, strict=True))
    return pa.table(
        {
            "indicator_id": [series] * len(parsed),
            "country_code": columns[0],
            "country_id": columns[1],
            "country_name": columns[2],
            "year": columns[3],
            "obs_date": [dt.date(year, 1, 1) for year in columns[3]],
            "value": columns[4],
            "last_updated": [paging.last_updated] * len(parsed),
        },
        schema=SCHEMA,
    )


def parse_page(body: Body) -> tuple[Paging, pa.Table]:
    """Any single page of an answer, with its paging block (for saved multi-page downloads)."""
    paging, rows = read_answer(body)
    return paging, _table(body, paging, rows)


def parse(body: Body) -> pa.Table:
    """A complete answer: one page holding every row, else a SourceError saying what is missing."""
    paging, rows = read_answer(body)
    if paging.pages > 1:
        raise SourceError(
            SOURCE,
            body.key,
            f"the body is page {paging.page} of {paging.pages} ({paging.per_page} of {paging.total} rows), "
            f"so the answer is incomplete; per_page would need to be at least {paging.total}",
            "paging",
        )
    return _table(body, paging, rows)


# ---- demo ---------------------------------------------------------------------------------------
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


CONNECTOR = Connector(
    source=SOURCE,
    description=__doc__,
    request=request,
    parse=parse,
    demo=demo,
    demo_ext="json",
    table="worldbank_indicators",
    schema=SCHEMA,
    key=("indicator_id", "country_code", "obs_date"),
    series_column="indicator_id",
    date_column="obs_date",
    revision_columns=("value",),
)
