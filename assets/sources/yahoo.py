"""Yahoo Finance v8 chart: daily bars of indices, ETFs, stocks, the ICE dollar index and bitcoin.

One symbol per request to the undocumented, keyless `v8/finance/chart` endpoint, with a browser
User-Agent (other agents get 429s). Best effort only: no SLA, personal use, never the only source
of a headline metric (FRED SP500 and CBBTCUSD cross-check ^GSPC and BTC-USD).

Yahoo stamps a daily bar at its session open in UTC (13:30 or 14:30 for New York, 00:00 for
crypto), so each date is read in the exchange's own time zone (`meta.exchangeTimezoneName`).
While a session runs, the last bar is a live snapshot stamped at `meta.regularMarketTime`: its
close is the latest trade, not a close, and it is a second bar for a date that already has one.
It is dropped; the day's own bar keeps a NULL close until the next run's lookback re-reads it.
Bars with a NULL close are kept as NULL rows, like FRED's gaps; staging drops them.
"""

import datetime as dt
import functools
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa

from assets.sources import yahoo_demo
from assets.sources.base import Body, Connector, CorruptData, HttpRequest, SourceError, Window, check_columns
from assets.sources.http import BROWSER_USER_AGENT
from config.catalog import Series

SOURCE = "yahoo"
CHART_URL = "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}"

SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("obs_date", pa.date32()),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("adj_close", pa.float64()),
        ("volume", pa.int64()),
        ("currency", pa.string()),
        ("exchange_timezone", pa.string()),
    ]
)
# Where each column's array sits in `chart.result[0]`, as named in errors.
FIELDS = {
    "open": ("indicators.quote[0]", "open"),
    "high": ("indicators.quote[0]", "high"),
    "low": ("indicators.quote[0]", "low"),
    "close": ("indicators.quote[0]", "close"),
    "adj_close": ("indicators.adjclose[0]", "adjclose"),
    "volume": ("indicators.quote[0]", "volume"),
}
PATHS = {column: f"{container}.{name}" for column, (container, name) in FIELDS.items()}
# Closes must be positive. Intraday fields only have to be finite and sane: Yahoo is known to send
# 0 for the open/high/low of some bars, and those must not cost the series its closes.
_STRICT = ("close", "adj_close")
_INTRADAY = ("open", "high", "low")
# What a JSON number or null decodes to (`bool` is no number here, though a subclass of int).
_NUMBER_TYPES = {int, float, type(None)}


def _unix(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def request(series: Series, window: Window, api_key: str | None = None) -> HttpRequest:
    """Daily bars from the window's first UTC midnight to the UTC midnight after its last day.

    period2 is a day past the end: bars are stamped at the session open, after midnight UTC, and
    000300.SS returns incomplete recent bars when period2 falls on the as-of date (quantmod#424).
    `api_key` is accepted like every connector's and ignored: Yahoo is keyless.
    """
    return HttpRequest(
        url=CHART_URL.format(symbol=quote(series.id, safe="")),
        params={
            "period1": str(_unix(window.start)),
            "period2": str(_unix(window.end + dt.timedelta(days=1))),
            "interval": "1d",
            "events": "div,splits",
            "includeAdjustedClose": "true",
        },
        headers={"User-Agent": BROWSER_USER_AGENT},
        ext="json",
    )


def _document(body: Body) -> dict[str, Any]:
    doc = body.json()
    if not isinstance(doc, dict) or not isinstance(doc.get("chart"), dict):
        raise SourceError(SOURCE, body.key, f"no 'chart' object: {body.text().strip()[:80]!r}", "chart")
    return doc["chart"]


def _result(chart: dict[str, Any], symbol: str) -> dict[str, Any]:
    error = chart.get("error")
    if error is not None:
        code, text = (error.get("code"), error.get("description")) if isinstance(error, dict) else (error, "")
        raise SourceError(SOURCE, symbol, f"API error {code}: {str(text)[:160]}", "chart.error")
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise SourceError(SOURCE, symbol, f"no result (chart.result is {str(results)[:40]})", "chart.result")
    return results[0]


def _meta(result: dict[str, Any], symbol: str) -> tuple[dict[str, Any], ZoneInfo]:
    meta = result.get("meta")
    if not isinstance(meta, dict):
        raise SourceError(SOURCE, symbol, "no 'meta' object", "chart.result[0].meta")
    sent = meta.get("symbol")
    if not isinstance(sent, str) or sent.upper() != symbol.upper():
        raise SourceError(SOURCE, symbol, f"the body is for symbol {sent!r}, not {symbol!r}", "meta.symbol")
    name = meta.get("exchangeTimezoneName")
    try:
        return meta, ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise SourceError(
            SOURCE, symbol, f"unknown exchange time zone {name!r}", "meta.exchangeTimezoneName"
        ) from None


def _first(indicators: dict[str, Any], name: str) -> Any:
    items = indicators.get(name)
    return items[0] if isinstance(items, list) and items else None


def _arrays(result: dict[str, Any], n: int, symbol: str) -> dict[str, list[Any]]:
    """Each column's array, checked to be parallel to `timestamp`."""
    indicators = result.get("indicators")
    indicators = indicators if isinstance(indicators, dict) else {}
    containers = {
        "indicators.quote[0]": _first(indicators, "quote"),
        "indicators.adjclose[0]": _first(indicators, "adjclose"),
    }
    arrays = {}
    for column, (where, name) in FIELDS.items():
        container = containers[where]
        values = container.get(name) if isinstance(container, dict) else None
        if not isinstance(values, list):
            raise SourceError(SOURCE, symbol, f"no '{name}' array", where)
        if len(values) != n:
            raise SourceError(SOURCE, symbol, f"{len(values)} values for {n} timestamps", PATHS[column])
        arrays[column] = values
    return arrays


def _number(value: Any, symbol: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SourceError(SOURCE, symbol, f"non-numeric value {str(value)[:40]!r}", where)
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: an absurd magnitude, as 1e400 would be
        raise CorruptData(SOURCE, symbol, f"absurd value {str(value)[:40]}...", where) from None


def _volume(value: Any, symbol: str, where: str) -> int | None:
    number = _number(value, symbol, where)
    if number is None:
        return None
    if not number.is_integer() or not 0 <= number < 2**63:
        raise SourceError(SOURCE, symbol, f"volume {value!r} is not a non-negative integer", where)
    return int(number)


def _floats(chosen: list[Any]) -> pa.Array | None:
    """`chosen` as float64 in one conversion when every value is a number or null, else None."""
    if set(map(type, chosen)) <= _NUMBER_TYPES:
        try:
            return pa.array(chosen, pa.float64())
        except pa.ArrowInvalid:  # an integer beyond 2**53, which Arrow will not round (float() does)
            return None
    return None


def _prices(values: list[Any], bars: list[int], symbol: str, column: str) -> pa.Array:
    """The bars' values of one price array as float64 (null where Yahoo sent null).

    Converted as a whole when it can be; otherwise value by value through `_number`, whose error
    names the first bad value.
    """
    numbers = _floats(_pick(values, bars))
    if numbers is not None:
        return numbers
    return pa.array([_number(values[i], symbol, f"{PATHS[column]}[{i}]") for i in bars], pa.float64())


def _volumes(values: list[Any], bars: list[int], symbol: str) -> pa.Array:
    """The bars' volumes as int64: whole, non-negative numbers below 2**63.

    Checked as a whole; otherwise value by value through `_volume`, whose error names the first
    bad value.
    """
    numbers = _floats(_pick(values, bars))
    if numbers is not None:
        floats = numbers.to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            whole = (np.mod(floats, 1) == 0) & (floats >= 0) & (floats < 2.0**63)
        if (whole | ~numbers.is_valid().to_numpy(zero_copy_only=False)).all():
            return numbers.cast(pa.int64())
    return pa.array([_volume(values[i], symbol, f"{PATHS['volume']}[{i}]") for i in bars], pa.int64())


def _date(stamp: Any, zone: ZoneInfo, symbol: str, where: str) -> dt.date:
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        raise SourceError(SOURCE, symbol, f"timestamp {str(stamp)[:40]!r} is not unix seconds", where)
    try:
        return dt.datetime.fromtimestamp(stamp, zone).date()
    except (OverflowError, OSError, ValueError):
        raise SourceError(SOURCE, symbol, f"timestamp {stamp} is out of range", where) from None


def _pick(values: list[Any], bars: list[int]) -> list[Any]:
    """`values` at the bars' indices (increasing): a slice when they are the leading ones, as usual."""
    return values[: len(bars)] if bars[-1] == len(bars) - 1 else [values[i] for i in bars]


@functools.lru_cache(maxsize=1 << 16)
def _local_date(stamp: int, zone: ZoneInfo) -> dt.date:
    # The symbols of one exchange share their bars' stamps: each is converted once per process.
    return dt.datetime.fromtimestamp(stamp, zone).date()


def _dates(stamps: list[Any], bars: list[int], zone: ZoneInfo, symbol: str) -> list[dt.date]:
    """Each bar's local date; a bad timestamp goes through `_date`, whose error names it."""
    chosen = _pick(stamps, bars)
    if set(map(type, chosen)) == {int}:
        try:
            return [_local_date(stamp, zone) for stamp in chosen]
        except (OverflowError, OSError, ValueError):
            pass
    return [_date(stamps[i], zone, symbol, f"timestamp[{i}]") for i in bars]


def parse(body: Body) -> pa.Table:
    """Parse a v8 chart body (`interval=1d`) into one row per local trading date."""
    symbol = body.key
    result = _result(_document(body), symbol)
    meta, zone = _meta(result, symbol)
    stamps = result.get("timestamp")
    if not stamps:
        raise SourceError(SOURCE, symbol, "no bars in the body (no 'timestamp' array)", "chart.result[0]")
    if not isinstance(stamps, list):
        raise SourceError(SOURCE, symbol, "'timestamp' is not an array", "timestamp")
    arrays = _arrays(result, len(stamps), symbol)

    # The live snapshot is not a close (see the module docstring): only completed bars are data.
    live = meta.get("regularMarketTime")
    bars = [i for i, stamp in enumerate(stamps) if stamp != live]
    if not bars:
        raise SourceError(SOURCE, symbol, "no bars in the body besides the live snapshot", "timestamp")
    dates = _dates(stamps, bars, zone, symbol)
    columns = {column: _prices(arrays[column], bars, symbol, column) for column in (*_INTRADAY, *_STRICT)}
    columns["volume"] = _volumes(arrays["volume"], bars, symbol)
    currency = meta.get("currency") if isinstance(meta.get("currency"), str) else None

    latest = body.fetched_at.date() + dt.timedelta(days=1)
    # Dates first (duplicates, future) at `timestamp[i]`, then each price at its own array index.
    check_columns(
        SOURCE, symbol, dates, None, lambda k: f"timestamp[{bars[k]}]", positive=True, latest_allowed=latest
    )
    for column in (*_STRICT, *_INTRADAY):
        check_columns(
            SOURCE,
            symbol,
            dates,
            columns[column],
            lambda k, column=column: f"{PATHS[column]}[{bars[k]}]",
            positive=column in _STRICT,
            latest_allowed=latest,
        )
    return pa.table(
        {
            "symbol": [symbol] * len(bars),
            "obs_date": dates,
            **columns,
            "currency": [currency] * len(bars),
            "exchange_timezone": [zone.key] * len(bars),
        },
        schema=SCHEMA,
    )


def demo(series: Series, window: Window) -> bytes:
    """A v8 chart body of the series' synthetic path (see `yahoo_demo`)."""
    return yahoo_demo.chart_body(series, window)


CONNECTOR = Connector(
    source=SOURCE,
    description=__doc__,
    request=request,
    parse=parse,
    demo=demo,
    demo_ext="json",
    table="yahoo_prices",
    schema=SCHEMA,
    key=("symbol", "obs_date"),
    series_column="symbol",
    date_column="obs_date",
    # Every market field: a bar first seen mid-session has a partial high, low and volume, and
    # the complete bar a later run reads must replace all of it (the old version goes to history).
    revision_columns=("open", "high", "low", "close", "adj_close", "volume"),
    checked_value="close",
)
