"""The Yahoo v8 chart connector: real payloads, hand-written bodies in the same format, the request,
a mocked live fetch, the demo bodies, and the raw table they load into."""

import datetime as dt
import json

import dagster as dg
import duckdb
import httpx
import pytest
import respx

from assets import raw
from assets.ingest import ingest_assets
from assets.sources import fred, synthetic, yahoo, yahoo_demo
from assets.sources.base import Body, SourceError, Window
from assets.sources.bodies import LiveBodies
from assets.sources.http import BROWSER_USER_AGENT, HttpClient
from config.catalog import load_catalog
from config.resources import SourceSettings, WarehouseResource
from tests.conftest import NOW

REAL = "yahoo/2026-03_satvalue"
# The two real payloads were saved on 2026-03-24 around 17:30 UTC, while New York was trading.
SAVED = dt.datetime(2026, 3, 24, 17, 45, tzinfo=dt.UTC)


def body(content: bytes | str, key: str = "^GSPC", fetched_at: dt.datetime = NOW) -> Body:
    data = content.encode() if isinstance(content, str) else content
    return Body("yahoo", key, "json", data, "replay", fetched_at, "test://yahoo")


def by_date(table) -> dict[dt.date, dict]:
    return {row["obs_date"]: row for row in table.to_pylist()}


def real(real_data, name: str) -> Body:
    path = real_data / REAL / f"{name}.json"
    return body(path.read_bytes(), key=name, fetched_at=SAVED)


# ---- real payloads ------------------------------------------------------------------------------


def test_every_real_yahoo_file_is_covered(real_data):
    on_disk = {p.stem for p in (real_data / "yahoo").glob("*/*.json")}
    assert on_disk == {"SPY", "BTC-USD"}


def test_real_spy_parses_exactly(real_data):
    table = yahoo.parse(real(real_data, "SPY"))
    rows = by_date(table)
    assert table.num_rows == 1256  # 1257 bars less the live snapshot
    assert rows[dt.date(2021, 3, 24)] == {
        "symbol": "SPY",
        "obs_date": dt.date(2021, 3, 24),
        "open": 391.0,
        "high": 392.75,
        "low": 387.4700012207031,
        "close": 387.5199890136719,
        "adj_close": 361.93707275390625,
        "volume": 97588600,
        "currency": "USD",
        "exchange_timezone": "America/New_York",
    }
    # Ex-dividend day 2025-09-19 ($1.831): the adjusted close sits below the close before the
    # latest dividends, and equals it after the last one (2026-03-20).
    assert rows[dt.date(2025, 9, 19)]["close"] == 663.7000122070312
    assert rows[dt.date(2025, 9, 19)]["adj_close"] == 659.9423217773438
    assert rows[dt.date(2026, 3, 23)]["close"] == rows[dt.date(2026, 3, 23)]["adj_close"] == 655.3800048828125
    # The session in progress: its own bar, NULL close, not the live snapshot's 653.875.
    last = rows[dt.date(2026, 3, 24)]
    assert (last["close"], last["adj_close"], last["open"], last["volume"]) == (
        None,
        None,
        651.3200073242188,
        49890406,
    )
    assert 653.875 not in table.column("close").to_pylist()
    assert max(rows) == dt.date(2026, 3, 24)


def test_real_spy_dates_are_new_york_dates_across_both_dst_changes(real_data):
    rows = by_date(yahoo.parse(real(real_data, "SPY")))
    # 2025-10-31 and 2026-03-09 open at 13:30 UTC (EDT), 2025-11-03 and 2026-03-06 at 14:30 UTC (EST).
    for day in (dt.date(2025, 10, 31), dt.date(2025, 11, 3), dt.date(2026, 3, 6), dt.date(2026, 3, 9)):
        assert day in rows
    assert rows[dt.date(2026, 3, 6)]["close"] == 672.3800048828125
    assert rows[dt.date(2026, 3, 9)]["close"] == 678.27001953125
    assert all(day.weekday() < 5 for day in rows)


def test_real_btc_parses_exactly_and_keeps_one_row_for_the_live_date(real_data):
    table = yahoo.parse(real(real_data, "BTC-USD"))
    rows = by_date(table)
    assert table.num_rows == 1827  # 1828 bars, the second 2026-03-24 bar (the live one) dropped
    assert len(rows) == table.num_rows
    assert rows[dt.date(2021, 3, 24)]["close"] == 52774.265625
    assert rows[dt.date(2021, 3, 24)]["volume"] == 70567223787
    assert rows[dt.date(2026, 3, 22)]["close"] == 67845.2109375  # a Sunday: crypto trades every day
    assert rows[dt.date(2026, 3, 23)]["close"] == 70914.859375
    assert rows[dt.date(2026, 3, 24)]["close"] is None
    assert rows[dt.date(2026, 3, 24)]["open"] == 70898.6640625
    assert 69124.4140625 not in table.column("close").to_pylist()
    assert set(table.column("exchange_timezone").to_pylist()) == {"UTC"}
    assert sum(v is None for v in table.column("close").to_pylist()) == 1


# ---- bodies written in the v8 format ------------------------------------------------------------

# 2026-03-23..25 at 09:30 New York (13:30 UTC, daylight time).
STAMPS = [1774272600, 1774359000, 1774445400]


def chart(
    symbol: str = "^GSPC",
    timezone: str = "America/New_York",
    timestamp: list | None = None,
    live: int | None = 1774459800,
    drop: tuple[str, ...] = (),
    **columns: list,
) -> str:
    """A v8 chart body shaped like the real ones; `columns` override the quote/adjclose arrays."""
    stamps = STAMPS if timestamp is None else timestamp
    n = len(stamps)
    quote = {
        "low": [5600.0 + i for i in range(n)],
        "high": [5700.0 + i for i in range(n)],
        "volume": [4_000_000_000 + i for i in range(n)],
        "open": [5650.0 + i for i in range(n)],
        "close": [5660.0 + i for i in range(n)],
    }
    adjclose = list(quote["close"])
    for name, values in columns.items():
        if name == "adjclose":
            adjclose = values
        else:
            quote[name] = values
    for name in drop:
        quote.pop(name, None)
    meta = {
        "currency": "USD",
        "symbol": symbol,
        "exchangeName": "SNP",
        "instrumentType": "INDEX",
        "regularMarketTime": live,
        "gmtoffset": -14400,
        "timezone": "EDT",
        "exchangeTimezoneName": timezone,
        "dataGranularity": "1d",
        "range": "",
    }
    result = {
        "meta": meta,
        "timestamp": stamps,
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": adjclose}]},
    }
    return json.dumps({"chart": {"result": [result], "error": None}})


NOT_FOUND = (
    '{"chart":{"result":null,"error":{"code":"Not Found",'
    '"description":"No data found, symbol may be delisted"}}}'
)
EMPTY = (
    '{"chart":{"result":[{"meta":{"currency":"USD","symbol":"^GSPC","exchangeTimezoneName":'
    '"America/New_York","regularMarketTime":1774459800},"indicators":{"quote":[{}],"adjclose":[{}]}}],'
    '"error":null}}'
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (NOT_FOUND, "at chart.error: API error Not Found: No data found, symbol may be delisted"),
        ('{"chart":{"result":null,"error":null}}', "at chart.result: no result"),
        ('{"chart":{"result":[],"error":null}}', "at chart.result: no result"),
        (
            "<!DOCTYPE html><html><head><title>Yahoo</title></head><body>Will be right back</body>",
            "HTML/XML page",
        ),
        ("Too Many Requests\r\n", "invalid or truncated JSON"),
        (chart()[:-40], "invalid or truncated JSON"),
        ('{"finance":{"result":null}}', "no 'chart' object"),
        (chart(symbol="SPY"), "at meta.symbol: the body is for symbol 'SPY', not '^GSPC'"),
        (chart(timezone="America/Gotham"), "at meta.exchangeTimezoneName: unknown exchange time zone"),
        (EMPTY, "no bars in the body (no 'timestamp' array)"),
        (chart(timestamp=[1774459800]), "no bars in the body besides the live snapshot"),
        (chart(close=[5660.0, 5661.0]), "at indicators.quote[0].close: 2 values for 3 timestamps"),
        (chart(adjclose=[1.0] * 4), "at indicators.adjclose[0].adjclose: 4 values for 3 timestamps"),
        (chart(drop=("volume",)), "at indicators.quote[0]: no 'volume' array"),
        (chart(close=[5660.0, "abc", 5662.0]), "at indicators.quote[0].close[1]: non-numeric value 'abc'"),
        (chart(close=[5660.0, True, 5662.0]), "at indicators.quote[0].close[1]: non-numeric value"),
        (chart(close=[5660.0, -5.0, 5662.0]), "at indicators.quote[0].close[1]: non-positive value -5.0"),
        (chart(close=[5660.0, 0, 5662.0]), "at indicators.quote[0].close[1]: non-positive value 0.0"),
        (chart(adjclose=[5660.0, 5661.0, -1.0]), "at indicators.adjclose[0].adjclose[2]: non-positive"),
        (chart(close=[5660.0, 5.66e18, 5662.0]), "at indicators.quote[0].close[1]: absurd value"),
        (chart(high=[5700.0, 1e300, 5702.0]), "at indicators.quote[0].high[1]: absurd value"),
        (chart().replace("5661.0", "NaN"), "at indicators.quote[0].close[1]: absurd value nan"),
        (
            chart(volume=[1, -2, 3]),
            "at indicators.quote[0].volume[1]: volume -2 is not a non-negative integer",
        ),
        (chart(timestamp=[1774272600, "1774359000", 1774445400]), "at timestamp[1]: timestamp '1774359000'"),
        (chart(timestamp=[1774272600, 1774283400, 1774445400]), "at timestamp[1]: duplicate date 2026-03-23"),
        (
            chart(timestamp=[1774272600, 1774359000, 1798119000]),
            "at timestamp[2]: date 2026-12-24 is in the future",
        ),
    ],
)
def test_bad_bodies_are_rejected_naming_source_series_and_place(content, message):
    with pytest.raises(SourceError) as raised:
        yahoo.parse(body(content))
    assert str(raised.value).startswith("yahoo/^GSPC")
    assert message in str(raised.value)


def test_unsorted_bars_parse_in_body_order():
    table = yahoo.parse(body(chart(timestamp=[STAMPS[2], STAMPS[0], STAMPS[1]])))
    assert table.column("obs_date").to_pylist() == [
        dt.date(2026, 3, 25),
        dt.date(2026, 3, 23),
        dt.date(2026, 3, 24),
    ]
    assert table.column("close").to_pylist() == [5660.0, 5661.0, 5662.0]


def test_null_values_are_kept_as_null_rows():
    table = yahoo.parse(
        body(chart(close=[5660.0, None, 5662.0], adjclose=[5660.0, None, 5662.0], volume=[1, None, 3]))
    )
    rows = by_date(table)
    assert rows[dt.date(2026, 3, 24)]["close"] is None and rows[dt.date(2026, 3, 24)]["volume"] is None
    assert rows[dt.date(2026, 3, 25)]["close"] == 5662.0


def test_a_zero_open_is_kept_but_a_zero_close_is_not():
    rows = by_date(yahoo.parse(body(chart(open=[0.0, 5651.0, 5652.0], low=[0.0, 5601.0, 5602.0]))))
    assert rows[dt.date(2026, 3, 23)]["open"] == 0.0


def test_dates_are_local_dates_not_utc_dates():
    # Stamped at local midnight: 16:00 UTC the day before in Shanghai.
    shanghai = chart(
        symbol="000300.SS", timezone="Asia/Shanghai", timestamp=[1774195200, 1774281600], live=None
    )
    table = yahoo.parse(body(shanghai, key="000300.SS"))
    assert table.column("obs_date").to_pylist() == [dt.date(2026, 3, 23), dt.date(2026, 3, 24)]
    assert table.column("exchange_timezone").to_pylist() == ["Asia/Shanghai"] * 2
    # Stamped at 20:00 New York, on either side of the 2026-03-08 change: 01:00 then 00:00 UTC next day.
    evening = chart(timestamp=[1772845200, 1773100800], live=None)
    assert yahoo.parse(body(evening)).column("obs_date").to_pylist() == [
        dt.date(2026, 3, 6),
        dt.date(2026, 3, 9),
    ]


def test_the_live_bar_is_dropped_wherever_it_sits():
    table = yahoo.parse(body(chart(live=STAMPS[1])))
    assert table.column("obs_date").to_pylist() == [dt.date(2026, 3, 23), dt.date(2026, 3, 25)]


# ---- request and live fetch ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "path"),
    [("^GSPC", "%5EGSPC"), ("DX-Y.NYB", "DX-Y.NYB"), ("000300.SS", "000300.SS"), ("BTC-USD", "BTC-USD")],
)
def test_request_encodes_the_symbol_and_asks_a_day_past_the_end(symbol, path):
    series = load_catalog().get("yahoo", symbol)
    request = yahoo.request(series, Window(dt.date(2026, 1, 2), dt.date(2026, 11, 24)), api_key="ignored")
    assert request.url == f"https://query1.finance.yahoo.com/v8/finance/chart/{path}"
    assert request.params == {
        "period1": "1767312000",  # 2026-01-02 00:00 UTC
        "period2": "1795564800",  # 2026-11-25 00:00 UTC
        "interval": "1d",
        "events": "div,splits",
        "includeAdjustedClose": "true",
    }
    assert request.headers == {"User-Agent": BROWSER_USER_AGENT}
    assert request.ext == "json" and not request.secret_params


def test_live_fetch_waits_out_a_429_and_parses_the_answer():
    series = load_catalog().get("yahoo", "^GSPC")
    window = Window(dt.date(2026, 11, 16), dt.date(2026, 11, 24))
    payload = yahoo.demo(series, window)
    sleeps: list[float] = []
    with respx.mock(assert_all_called=True) as router:
        route = router.get(host="query1.finance.yahoo.com").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "7"}, text="Too Many Requests"),
                httpx.Response(200, content=payload),
            ]
        )
        client = HttpClient(sleep=sleeps.append)
        try:
            got = LiveBodies(client).get(yahoo.CONNECTOR, series, window)
        finally:
            client.close()
    assert route.call_count == 2
    sent = route.calls.last.request
    assert sent.url.raw_path.startswith(b"/v8/finance/chart/%5EGSPC?period1=")
    assert sent.headers["User-Agent"] == BROWSER_USER_AGENT
    assert 7.0 in sleeps
    assert (got.origin, got.ext, got.content) == ("live", "json", payload)
    assert got.url.startswith("https://query1.finance.yahoo.com/v8/finance/chart/%5EGSPC?period1=")
    assert yahoo.parse(got).num_rows == 7


# ---- demo ---------------------------------------------------------------------------------------

END = dt.date(2026, 11, 24)  # a Tuesday
FULL = Window(dt.date(2015, 1, 1), END)


def demo_table(series_id: str, window: Window = FULL):
    series = load_catalog().get("yahoo", series_id)
    fetched = dt.datetime.combine(window.end, dt.time(23, 59), tzinfo=dt.UTC)
    return yahoo.parse(body(yahoo.demo(series, window), key=series_id, fetched_at=fetched))


def yahoo_series():
    return [s.id for s in load_catalog().for_source("yahoo")]


@pytest.mark.parametrize("series_id", yahoo_series())
def test_demo_body_is_a_v8_chart_the_real_parser_reads(series_id):
    series = load_catalog().get("yahoo", series_id)
    content = yahoo.demo(series, FULL)
    result = json.loads(content)["chart"]["result"][0]
    table = yahoo.parse(body(content, key=series_id))
    meta, chart = result["meta"], series.demo["chart"]
    assert (meta["symbol"], meta["currency"], meta["exchangeTimezoneName"]) == (
        series_id,
        chart["currency"],
        chart["timezone"],
    )
    # Every bar once, plus the live snapshot of the last day stamped at regularMarketTime.
    assert len(result["timestamp"]) == table.num_rows + 1
    assert result["timestamp"][-1] == meta["regularMarketTime"]
    assert max(table.column("obs_date").to_pylist()) == END
    assert all(v is not None and v > 0 for v in table.column("close").to_pylist())
    rows = table.to_pylist()
    assert all(
        r["low"] <= min(r["open"], r["close"]) <= max(r["open"], r["close"]) <= r["high"] for r in rows
    )


@pytest.mark.parametrize(
    ("series_id", "local_open"),
    [("^GSPC", "09:30"), ("000300.SS", "09:30"), ("^HSI", "09:30"), ("BTC-USD", "00:00")],
)
def test_demo_bars_are_stamped_at_the_session_open_in_the_exchange_zone(series_id, local_open):
    from zoneinfo import ZoneInfo

    series = load_catalog().get("yahoo", series_id)
    result = json.loads(yahoo.demo(series, Window(dt.date(2026, 3, 1), dt.date(2026, 3, 31))))["chart"][
        "result"
    ][0]
    zone = ZoneInfo(result["meta"]["exchangeTimezoneName"])
    opens = {dt.datetime.fromtimestamp(t, zone).strftime("%H:%M") for t in result["timestamp"][:-1]}
    assert opens == {local_open}
    if series_id == "BTC-USD":
        assert zone.key == "UTC" and len(result["timestamp"]) - 1 == 31  # every day, weekends too


def test_demo_is_deterministic_and_windowed():
    series = load_catalog().get("yahoo", "^HSI")
    window = Window(dt.date(2026, 6, 1), END)
    assert yahoo.demo(series, window) == yahoo.demo(series, window)
    assert min(demo_table("^HSI", window).column("obs_date").to_pylist()) == dt.date(2026, 6, 1)


@pytest.mark.parametrize("series_id", yahoo_series())
def test_extending_the_demo_end_date_never_moves_an_old_bar(series_id):
    before = demo_table(series_id, Window(dt.date(2015, 1, 1), END)).to_pylist()
    after = by_date(demo_table(series_id, Window(dt.date(2015, 1, 1), END + dt.timedelta(days=3))))
    assert all(after[row["obs_date"]] == row for row in before)
    assert len(after) > len(before)


def _fred_demo(series_id: str) -> dict[dt.date, float | None]:
    series = load_catalog().get("fred", series_id)
    table = fred.parse(Body("fred", series_id, "csv", fred.demo(series, FULL), "demo", NOW, "demo://"))
    return dict(zip(table.column("obs_date").to_pylist(), table.column("value").to_pylist(), strict=True))


@pytest.mark.parametrize(("yahoo_id", "fred_id"), [("^GSPC", "SP500"), ("BTC-USD", "CBBTCUSD")])
def test_demo_agrees_with_the_fred_series_it_is_cross_checked_against(yahoo_id, fred_id):
    closes = {r["obs_date"]: r["close"] for r in demo_table(yahoo_id).to_pylist()}
    values = {d: v for d, v in _fred_demo(fred_id).items() if v is not None}
    common = closes.keys() & values.keys()
    assert len(common) == len(closes)  # FRED has a value for every Yahoo session
    assert all(closes[d] == values[d] for d in common)


def test_demo_has_no_bar_on_days_the_exchange_is_closed():
    days = set(demo_table("^GSPC").column("obs_date").to_pylist())
    assert dt.date(2025, 12, 25) not in days and dt.date(2025, 12, 27) not in days  # holiday, Saturday
    assert dt.date(2025, 12, 24) in days


def test_a_catalog_entry_without_chart_parameters_is_named():
    series = load_catalog().get("yahoo", "^GSPC").model_copy(update={"demo": {"kind": "gbm"}})
    with pytest.raises(ValueError, match=r"catalog yahoo/\^GSPC: demo.chart needs"):
        yahoo_demo.Listing.of(series)


def test_demo_closes_are_the_synthetic_path():
    series = load_catalog().get("yahoo", "MSTR")
    path = {d: v for d, v in synthetic.observations(series, END) if v is not None}
    assert {r["obs_date"]: r["close"] for r in demo_table("MSTR").to_pylist()} == path


# ---- the raw table ------------------------------------------------------------------------------


def test_a_bar_completed_after_the_session_replaces_the_partial_one_and_keeps_it_in_history():
    during = chart(close=[5660.0, 5661.0, None], adjclose=[5660.0, 5661.0, None], volume=[1, 2, 300])
    after = chart(close=[5660.0, 5661.0, 5662.0], high=[5700.0, 5701.0, 5790.0], volume=[1, 2, 900])
    # Yahoo later corrects only the volume: still a revision, though the close is unchanged.
    corrected = chart(close=[5660.0, 5661.0, 5662.0], high=[5700.0, 5701.0, 5790.0], volume=[1, 2, 950])
    con = duckdb.connect()
    for run, content in enumerate((during, after, corrected, corrected)):
        parsed = body(content, fetched_at=NOW + dt.timedelta(hours=run))
        raw.load(con, yahoo.CONNECTOR, [raw.Parsed(parsed, yahoo.parse(parsed))], [], f"run-{run}")
    current = con.execute(
        "select close, high, volume from raw.yahoo_prices where obs_date = date '2026-03-25'"
    ).fetchall()
    history = con.execute(
        "select close, high, volume from raw.yahoo_prices_history order by fetched_at"
    ).fetchall()
    assert current == [(5662.0, 5790.0, 950)]
    assert history == [(None, 5702.0, 300), (5662.0, 5790.0, 900)]
    assert con.execute("select count(*) from raw.yahoo_prices").fetchall() == [(3,)]


@pytest.mark.e2e
def test_demo_ingest_loads_every_series_idempotently_and_feeds_staging(warehouse_env):
    assets = [a for a in ingest_assets if a.key.path[1] in ("yahoo_prices", "fred_observations")]
    resources = {"warehouse": WarehouseResource(), "sources": SourceSettings()}
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(assets, resources=resources, instance=instance).success
    query = "select symbol, count(*), count(close), max(obs_date) from raw.yahoo_prices group by 1 order by 1"
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        first = con.execute(query).fetchall()
        agree = con.execute(
            """
            select count(*), count(*) filter (where y.close = f.value)
            from raw.yahoo_prices y join raw.fred_observations f on f.obs_date = y.obs_date
             and (y.symbol, f.series_id) in (('^GSPC', 'SP500'), ('BTC-USD', 'CBBTCUSD'))
            """
        ).fetchall()
    assert [row[0] for row in first] == sorted(yahoo_series())
    assert all(row[1] == row[2] > 3000 and row[3] == END for row in first)
    assert agree[0][0] > 7000 and agree[0][0] == agree[0][1]

    assert dg.materialize(assets, resources=resources, instance=instance).success
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        assert con.execute(query).fetchall() == first
        assert con.execute("select count(*) from raw.yahoo_prices_history").fetchall() == [(0,)]


def test_the_graph_connects_the_raw_table_to_its_staging_view():
    from orchestration.definitions import defs

    node = defs.resolve_asset_graph().get(dg.AssetKey(["staging", "stg_yahoo__prices"]))
    assert {k.to_user_string() for k in node.parent_keys} == {"raw/yahoo_prices"}
