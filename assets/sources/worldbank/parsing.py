"""Parsing: every row of a complete answer checked, one economy's years at a time, into the raw table."""

import datetime as dt
import re
from collections import defaultdict
from typing import Any

import pyarrow as pa

from assets.sources.base import Body, CorruptData, SourceError, check_observations
from assets.sources.worldbank.api import SOURCE
from assets.sources.worldbank.paging import Paging, page_rows, read_answer
from config.catalog import load_catalog

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
_YEAR = re.compile(r"(?!0000)[0-9]{4}")


def _value(raw: Any, series: str, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise SourceError(SOURCE, series, f"non-numeric value {str(raw)[:40]!r}", where)
    try:
        return float(raw)
    except OverflowError:  # an integer beyond any float: an absurd magnitude, as 1e400 would be
        raise CorruptData(SOURCE, series, f"absurd value {str(raw)[:40]}...", where) from None


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
    # Four ASCII digits, and not 0000: the calendar (and Python's dates) start at year 1.
    if isinstance(date, bool) or not isinstance(date, str | int) or not _YEAR.fullmatch(str(date)):
        raise SourceError(SOURCE, series, f"date is not a year: {str(date)[:40]!r}", f"{where} ({code})")
    where = f"{where} ({code} {date})"
    indicator = row.get("indicator") if isinstance(row.get("indicator"), dict) else {}
    if str(indicator.get("id", "")).upper() != series.upper():
        raise SourceError(
            SOURCE, series, f"row is for indicator {indicator.get('id')!r}, not the one requested", where
        )
    name = country.get("value")
    if name is not None and not isinstance(name, str):
        raise SourceError(SOURCE, series, f"country.value is not a name: {str(name)[:40]!r}", where)
    return code, country_id, name, int(date), _value(row.get("value"), series, where)


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
