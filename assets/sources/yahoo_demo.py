"""Demo bodies for the Yahoo connector, in the exact v8 chart wire format.

Closes are the series' synthetic path (`synthetic.observations`), so a past bar never changes
when the end date moves, and series sharing a seed agree (^GSPC with FRED SP500, BTC-USD with
FRED CBBTCUSD). The rest of each bar is derived from the path without randomness: the open is
the previous close, high and low add a range scaled by the series' volatility, the volume varies
around the catalog's level with a hash of the date. Where and how the symbol trades (exchange,
time zone, session hours, currency) is data, in the catalog entry's `demo.chart`.

Bars are stamped at each session open in the exchange's time zone. As in the real SPY payload,
the last day comes twice: its session bar, then a live snapshot stamped at `regularMarketTime`
(here the session close, carrying the final values), so the demo goes through the parser's
live-bar rule while every day up to the as-of date keeps its close. Closed days (weekends, the
synthetic holidays) have no bar, as on Yahoo. The demo pays no dividends, so the adjusted close
equals the close and no `events` are sent.
"""

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from assets.sources import synthetic
from assets.sources.base import Window
from config.catalog import Series

VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]


@dataclass(frozen=True)
class Listing:
    """Where a symbol trades, from the catalog's `demo.chart` mapping."""

    name: str
    type: str  # Yahoo's instrumentType: INDEX, ETF, EQUITY, CRYPTOCURRENCY
    exchange: str  # Yahoo's exchangeName: SNP, NMS, PCX, SHH, HKG, NYB, CCC
    zone: ZoneInfo
    opens: dt.time
    closes: dt.time
    currency: str
    volume: int

    @classmethod
    def of(cls, series: Series) -> "Listing":
        chart = series.demo.get("chart")
        try:
            return cls(
                name=str(chart["name"]),
                type=str(chart["type"]),
                exchange=str(chart["exchange"]),
                zone=ZoneInfo(str(chart["timezone"])),
                opens=dt.time.fromisoformat(str(chart["open"])),
                closes=dt.time.fromisoformat(str(chart["close"])),
                currency=str(chart["currency"]),
                volume=int(chart["volume"]),
            )
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(
                f"catalog {series.source}/{series.id}: demo.chart needs name, type, exchange, timezone, "
                f"open and close ('HH:MM'), currency and volume ({type(exc).__name__}: {exc})"
            ) from None

    def stamp(self, day: dt.date, at: dt.time) -> int:
        return int(dt.datetime.combine(day, at, tzinfo=self.zone).timestamp())


@dataclass(frozen=True)
class Bar:
    day: dt.date
    open: float
    high: float
    low: float
    close: float
    volume: int


def _unit(key: str) -> float:
    """A number in [0, 1) fixed by its key: deterministic variation without a random stream."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little") / 2**64


def bars(series: Series, end: dt.date) -> list[Bar]:
    """Every demo bar of the series from the demo start to `end`, in order."""
    listing = Listing.of(series)
    decimals = int(series.demo.get("decimals", 2))
    steps = 252 if series.frequency == "business_daily" else 365
    daily_vol = float(series.demo["vol"]) / math.sqrt(steps)
    out: list[Bar] = []
    previous: float | None = None
    for day, close in synthetic.observations(series, end):
        if close is None:  # a holiday: the exchange is closed, Yahoo sends no bar
            continue
        opened = close if previous is None else previous
        spread = max(opened, close) * daily_vol * 0.5
        # Each bar's variation is keyed "<id>:<ISO date>:<field>"; the prefix is built once per bar.
        key = f"{series.id}:{day.isoformat()}:"
        out.append(
            Bar(
                day=day,
                open=opened,
                high=round(max(opened, close) + spread * _unit(key + "high"), decimals),
                low=round(min(opened, close) - spread * _unit(key + "low"), decimals),
                close=close,
                volume=int(listing.volume * (0.6 + 0.8 * _unit(key + "volume"))),
            )
        )
        previous = close
    return out


def _meta(series: Series, listing: Listing, shown: list[Bar], history: list[Bar], live: int) -> dict:
    last = history[-1]
    year = [b.close for b in history if b.day > last.day - dt.timedelta(days=365)]
    before = [b.close for b in history if shown and b.day < shown[0].day]
    at_live = dt.datetime.fromtimestamp(live, listing.zone)
    opens, closes = listing.stamp(last.day, listing.opens), live
    period = {"timezone": at_live.tzname(), "gmtoffset": int(at_live.utcoffset().total_seconds())}
    return {
        "currency": listing.currency,
        "symbol": series.id,
        "exchangeName": listing.exchange,
        "fullExchangeName": listing.exchange,
        "instrumentType": listing.type,
        "firstTradeDate": listing.stamp(series.start, listing.opens),
        "regularMarketTime": live,
        "hasPrePostMarketData": listing.type in ("ETF", "EQUITY"),
        "gmtoffset": period["gmtoffset"],
        "timezone": period["timezone"],
        "exchangeTimezoneName": listing.zone.key,
        "regularMarketPrice": last.close,
        "fiftyTwoWeekHigh": max(year),
        "fiftyTwoWeekLow": min(year),
        "regularMarketDayHigh": last.high,
        "regularMarketDayLow": last.low,
        "regularMarketVolume": last.volume,
        "longName": listing.name,
        "shortName": listing.name,
        "chartPreviousClose": before[-1] if before else history[0].close,
        "priceHint": int(series.demo.get("decimals", 2)),
        "currentTradingPeriod": {
            "pre": {**period, "start": opens, "end": opens},
            "regular": {**period, "start": opens, "end": closes},
            "post": {**period, "start": closes, "end": closes},
        },
        "dataGranularity": "1d",
        "range": "",
        "validRanges": VALID_RANGES,
    }


def chart_body(series: Series, window: Window) -> bytes:
    """The v8 chart body for `period1`/`period2` covering the window (compact JSON, as served)."""
    listing = Listing.of(series)
    history = bars(series, window.end)
    if not history:
        raise ValueError(f"demo {series.source}/{series.id}: no bars before {window.end}")
    shown = [b for b in history if b.day >= window.start]
    live = listing.stamp(history[-1].day, listing.closes)
    result: dict[str, Any] = {"meta": _meta(series, listing, shown, history, live)}
    if shown:
        # The last day twice: its session bar, then the live snapshot at regularMarketTime.
        rows = [*shown, shown[-1]]
        result["timestamp"] = [listing.stamp(b.day, listing.opens) for b in shown] + [live]
        result["indicators"] = {
            "quote": [
                {
                    "low": [b.low for b in rows],
                    "high": [b.high for b in rows],
                    "volume": [b.volume for b in rows],
                    "open": [b.open for b in rows],
                    "close": [b.close for b in rows],
                }
            ],
            "adjclose": [{"adjclose": [b.close for b in rows]}],
        }
    else:
        # What Yahoo sends for a window without a session: meta, no timestamps, empty indicators.
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    return json.dumps({"chart": {"result": [result], "error": None}}, separators=(",", ":")).encode()
