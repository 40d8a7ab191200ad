"""The equities and crypto gates: clean rows pass; a jump, a zero price, a stale spine or a
duplicated day fails the suite (and so blocks what reads the mart)."""

import datetime as dt

import duckdb

from expectations.gx_runner import validate
from expectations.suites import SUITES, SuiteInputs

AS_OF = dt.date(2025, 1, 12)
DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(10)]
OTHERS = {"eth_usd": 3000.0, "mstr_close": 350.0, "nasdaq_close": 19000.0}


def load(path, mart: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        types = ", ".join(f"{c} {'date' if c == 'date' else 'double'}" for c in columns)
        con.execute(f"create or replace table marts.{mart} ({types})")
        con.executemany(
            f"insert into marts.{mart} values ({', '.join('?' * len(columns))})",
            [list(r.values()) for r in rows],
        )


def failed(path, mart: str, as_of: dt.date = AS_OF) -> set[str]:
    """The blocking expectations the mart's suite fails (no Data Docs: they take seconds to render)."""
    suite = SUITES[mart](SuiteInputs(as_of=as_of))
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.sql(suite.query).df()
    return {f"{o.expectation}:{o.column}" for o in validate(frame, suite).failed}


def crypto_rows(**changes) -> list[dict]:
    rows = [{"date": day, "btc_usd": 90000.0 + 100 * i, **OTHERS} for i, day in enumerate(DAYS)]
    for index, values in changes.items():
        rows[int(index[1:])].update(values)
    return rows


def test_crypto_gate_passes_clean_rows_and_fails_a_jump_a_zero_price_and_a_stale_spine(warehouse_env):
    load(warehouse_env, "mart_crypto", crypto_rows())
    assert failed(warehouse_env, "mart_crypto") == set()
    stale = failed(warehouse_env, "mart_crypto", as_of=dt.date(2025, 2, 1))
    assert stale == {"expect_column_max_to_be_between:date"}

    load(warehouse_env, "mart_crypto", crypto_rows(d5={"btc_usd": 150000.0}, d7={"eth_usd": 0.0}))
    assert failed(warehouse_env, "mart_crypto") == {
        "expect_column_values_to_be_between:daily_change_pct",
        "expect_column_values_to_be_between:eth_usd",
    }


def test_crypto_gate_leaves_coinbase_first_weeks_unchecked_for_jumps(warehouse_env):
    """CBBTCUSD's real 2015-01-14 print (-54 %) is history, not a load error; a jump after it fails."""
    as_of = dt.date(2015, 2, 5)
    later = [dt.date(2015, 1, 16) + dt.timedelta(days=i) for i in range(20)]
    rows = [
        {"date": dt.date(2015, 1, 13), "btc_usd": 260.0},
        {"date": dt.date(2015, 1, 14), "btc_usd": 120.0},
        {"date": dt.date(2015, 1, 15), "btc_usd": 204.22},
        *({"date": day, "btc_usd": 200.0 + i} for i, day in enumerate(later)),
    ]
    load(warehouse_env, "mart_crypto", [{**r, **dict.fromkeys(OTHERS)} for r in rows])
    assert failed(warehouse_env, "mart_crypto", as_of=as_of) == set()
    rows[-1]["btc_usd"] = 400.0
    load(warehouse_env, "mart_crypto", [{**r, **dict.fromkeys(OTHERS)} for r in rows])
    jump = failed(warehouse_env, "mart_crypto", as_of=as_of)
    assert jump == {"expect_column_values_to_be_between:daily_change_pct"}


def test_equities_gate_fails_a_duplicated_day_and_a_missing_close(warehouse_env):
    prices = ["sp500_close", "acwx_close", "mchi_close", "fxi_close", "csi300_close", "hsi_close"]
    rows = [{"date": day, **dict.fromkeys(prices, 100.0)} for day in DAYS]
    load(warehouse_env, "mart_equities", rows)
    assert failed(warehouse_env, "mart_equities") == set()
    load(warehouse_env, "mart_equities", [*rows, {**rows[-1], "sp500_close": None}])
    assert failed(warehouse_env, "mart_equities") == {
        "expect_column_values_to_be_unique:date",
        "expect_column_values_to_not_be_null:sp500_close",
    }
