"""What the gate costs: Great Expectations against the same checks in plain SQL.

    .venv/bin/python -m expectations.benchmark [--warehouse data/warehouse.duckdb] [--series 5000 --years 10]

Two measurements, each printed as a table:
- the demo warehouse: every suite of the gate (rows to pandas + GX validation, then one Data
  Docs build) against its SQL twin, one DuckDB query per suite counting what each expectation
  would flag (what hand-written checks, dbt-test style, would compute);
- a synthetic long price table of `--series` series over `--years` years of business days (5,000
  x 10 = 12.6 M rows, generated in DuckDB with a few planted faults): the price series suite (the
  per-series profile query in DuckDB, one row per series to GX) against its SQL twin and against
  checks written directly on the long table, one query per rule.
The GX import is paid once per process and reported on its own. The twin also proves the two
routes flag the same rows (tests/test_gate_suites.py).
"""

import argparse
import datetime as dt
import time
from typing import Any

import duckdb

from assets.raw import ident
from expectations.suites import SERIES_SUITES, SUITES
from expectations.suites.price_series import price_series
from expectations.suites.spec import Expect, Suite, SuiteInputs


def _condition(spec: Expect) -> tuple[str, list[Any]] | None:
    """The SQL predicate of a row that `spec` flags (None for a table-level expectation)."""
    k = spec.kwargs
    if spec.type == "ExpectColumnValuesToBeBetween":
        column, parts, params = ident(k["column"]), [], []
        if "min_value" in k:
            parts.append(f"{column} {'<=' if k.get('strict_min') else '<'} ?")
            params.append(k["min_value"])
        if "max_value" in k:
            parts.append(f"{column} > ?")
            params.append(k["max_value"])
        return f"{column} is not null and ({' or '.join(parts)})", params
    if spec.type == "ExpectColumnValuesToNotBeNull":
        return f"{ident(k['column'])} is null", []
    if spec.type == "ExpectColumnValuesToBeUnique":
        return f"{ident(k['column'])} is not null and n_{ident(k['column'])} > 1", []
    if spec.type == "ExpectColumnPairValuesAToBeGreaterThanB":
        a, b = ident(k["column_A"]), ident(k["column_B"])
        return f"{a} is not null and {b} is not null and {a} {'<' if k.get('or_equal') else '<='} {b}", []
    return None


def sql_twin(suite: Suite) -> tuple[str, list[Any]]:
    """One query over the suite's rows: per expectation, the rows it flags (or, table-level, the
    row count or the column's max), in the suite's order, as columns e0, e1, ..."""
    selects, params = [], []
    for i, spec in enumerate(suite.expectations):
        if spec.type == "ExpectTableRowCountToBeBetween":
            selects.append(f"count(*) as e{i}")
        elif spec.type == "ExpectColumnMaxToBeBetween":
            selects.append(f"max({ident(spec.kwargs['column'])}) as e{i}")
        else:
            condition, bound = _condition(spec)
            selects.append(f"count(*) filter (where {condition}) as e{i}")
            params += bound
    uniques = {s.kwargs["column"] for s in suite.expectations if s.type == "ExpectColumnValuesToBeUnique"}
    windows = "".join(f", count(*) over (partition by {ident(c)}) as n_{ident(c)}" for c in sorted(uniques))
    sql = f"with q as ({suite.query}), w as (select *{windows} from q) select {', '.join(selects)} from w"
    return sql, [*suite.params, *params]


def twin_flags(con, suite: Suite) -> list[Any]:
    """The twin's result: per expectation, its count of flagged rows (or the row count / max)."""
    sql, params = sql_twin(suite)
    return list(con.execute(sql, params).fetchall()[0])


def _timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def generate_prices(con, series: int, years: int, end: dt.date) -> int:
    """A long price table `bench.prices` (source, series_id, obs_date, value): `series` random
    walks over `years` x 252 business days ending at `end`, plus four catalog series forming the
    gate's two agreement pairs, and planted faults: 3 jumps of +900 % (a shifted decimal), 2
    series stale for 60 days, 1 gap of 20 days, 1 SP500 close 1 % off ^GSPC."""
    days = years * 252
    con.execute("create schema if not exists bench")
    con.execute(
        f"""
        create or replace table bench.prices as
        with
        calendar as (
            select day as obs_date, row_number() over (order by day) as t
            from (select unnest(generate_series(date '{end.isoformat()}' - interval {days * 2} day,
                                               date '{end.isoformat()}', interval 1 day))::date as day)
            where isodow(day) <= 5
            qualify row_number() over (order by day desc) <= {days}
        ),
        ids as (
            select
                case i when 0 then 'fred' when 1 then 'yahoo' when 2 then 'fred' when 3 then 'yahoo'
                    else 'synthetic' end as source,
                case i when 0 then 'SP500' when 1 then '^GSPC' when 2 then 'CBBTCUSD' when 3 then 'BTC-USD'
                    else printf('S%05d', i) end as series_id,
                -- The pairs share a path: SP500 with ^GSPC, CBBTCUSD with BTC-USD.
                case when i < 4 then i // 2 else i end as path
            from range({series}) as r(i)
        ),
        shocks as (
            select ids.source, ids.series_id, calendar.obs_date,
                   ((hash(ids.path, calendar.t) % 2001) / 1000.0 - 1) * 0.02 as shock
            from ids cross join calendar
        )
        select source, series_id, obs_date,
               round(100 * exp(sum(shock) over by_series), 4) as value
        from shocks
        window by_series as (partition by source, series_id order by obs_date)
        """
    )
    con.execute(
        """
        update bench.prices set value = value * 10
        where series_id in ('S00010', 'S01000', 'S04000')
            and obs_date = (select quantile_disc(obs_date, 0.5) from bench.prices)
        """
    )
    con.execute(
        f"delete from bench.prices where series_id in ('S00020', 'S00021') and obs_date > date '{end}' - 60"
    )
    con.execute(
        "delete from bench.prices where series_id = 'S00030' and obs_date between "
        f"date '{end}' - 400 and date '{end}' - 380"
    )
    con.execute(
        "update bench.prices set value = value * 1.01 where series_id = 'SP500' and obs_date = "
        f"date '{end}' - cast(100 + isodow(date '{end}') as integer)"
    )
    return con.execute("select count(*) from bench.prices").fetchall()[0][0]


def hand_written_checks(con, inputs: SuiteInputs, relation: str) -> dict[str, float]:
    """The price rules as separate queries on the long table (each a scan), as one would write
    them as dbt tests without a profile: seconds per check."""
    allowances = inputs.allowances.settings
    schema, table = (ident(p) for p in relation.split("."))
    source = f"{schema}.{table}"
    window = "over (partition by source, series_id order by obs_date)"
    checks = {
        "non-positive": f"select source, series_id, obs_date from {source} where value <= 0",
        "jumps": f"""select * from (select source, series_id, obs_date,
                      100 * value / lag(value) {window} - 100 as r from {source})
                     where abs(r) > {allowances.max_move_pct.limit}""",
        "gaps": f"""select * from (select source, series_id, obs_date,
                     obs_date - lag(obs_date) {window} as g from {source})
                    where g > {allowances.max_gap_days["business_daily"].limit}""",
        "stale": f"""select source, series_id, max(obs_date) from {source} group by all
                     having date '{inputs.as_of}' - max(obs_date) > 10""",
        "sp500_vs_gspc": f"""select a.obs_date from {source} a join {source} b using (obs_date)
                     where a.series_id = 'SP500' and b.series_id = '^GSPC'
                         and abs(a.value / b.value - 1) > 0.005""",
    }
    out = {}
    for name, sql in checks.items():
        _, out[name] = _timed(lambda s: con.execute(s).fetchall(), sql)
    return out


def bench_demo(warehouse: str, as_of: dt.date) -> None:
    from expectations.gx_runner import Validator

    print(f"\n## Demo warehouse {warehouse} (as of {as_of})\n")
    print("| suite | rows | expectations | to pandas s | GX validate s | SQL twin s |")
    print("|---|---|---|---|---|---|")
    validator = Validator(None)
    totals = [0.0, 0.0, 0.0]
    builders = {**SUITES, **{name: build for name, (_, build) in SERIES_SUITES.items()}}
    with duckdb.connect(warehouse, read_only=True) as con:
        for name, build in builders.items():
            suite = build(SuiteInputs(as_of=as_of))
            frame, load = _timed(lambda s: con.execute(s.query, s.params).df(), suite)
            _, check = _timed(validator.validate, frame, suite)
            _, twin = _timed(twin_flags, con, suite)
            totals = [totals[0] + load, totals[1] + check, totals[2] + twin]
            cells = [name, len(frame), len(suite.expectations), f"{load:.3f}", f"{check:.3f}", f"{twin:.3f}"]
            print("| " + " | ".join(str(c) for c in cells) + " |")
    gx_total, sql_total = totals[0] + totals[1], totals[2]
    print(f"| **all** | | | {totals[0]:.3f} | {totals[1]:.3f} | {sql_total:.3f} |")
    print(f"\nGX route {gx_total:.2f} s vs SQL {sql_total:.2f} s: ratio {gx_total / sql_total:.1f}x")


def bench_scale(series: int, years: int, as_of: dt.date) -> None:
    from expectations.gx_runner import Validator

    con = duckdb.connect()
    rows, generate = _timed(generate_prices, con, series, years, as_of)
    print(f"\n## Synthetic prices: {series} series x {years} years = {rows:,} rows")
    print(f"(generated in DuckDB in {generate:.1f} s)\n")
    inputs = SuiteInputs(as_of=as_of)
    suite = price_series(inputs, relation="bench.prices")
    runs = []
    for _ in range(3):
        frame, load = _timed(lambda s: con.execute(s.query, s.params).df(), suite)
        outcome, check = _timed(Validator(None).validate, frame, suite)
        _, twin = _timed(twin_flags, con, suite)
        hand = hand_written_checks(con, inputs, "bench.prices")
        runs.append((load, check, twin, sum(hand.values())))
    load, check, twin, hand = sorted(runs)[1]
    flagged = {o.summary().split(" [")[0]: o.unexpected_count for o in outcome.failed + outcome.warnings}
    print("| route | seconds (median of 3) |\n|---|---|")
    print(f"| GX: profile query to pandas ({len(frame)} rows) | {load:.2f} |")
    print(f"| GX: validate the profile ({len(suite.expectations)} expectations) | {check:.2f} |")
    print(f"| **GX gate** | **{load + check:.2f}** |")
    print(f"| SQL twin (the same profile, counted in DuckDB) | {twin:.2f} |")
    print(f"| hand-written checks on the long table (5 queries) | {hand:.2f} |")
    print(
        f"\nRatio GX / SQL twin {(load + check) / twin:.2f}x; GX / hand-written {(load + check) / hand:.2f}x"
    )
    print(f"Flagged: {flagged}")
    con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m expectations.benchmark")
    parser.add_argument("--warehouse", default="data/warehouse.duckdb")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--series", type=int, default=5000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args(argv)
    _, imported = _timed(__import__, "great_expectations")
    print(f"GX import: {imported:.2f} s (once per process)")
    with duckdb.connect(args.warehouse, read_only=True) as con:
        latest = con.execute("select max(date) from marts.mart_dollar").fetchall()[0][0]
    bench_demo(args.warehouse, args.as_of or latest)
    bench_scale(args.series, args.years, args.as_of or latest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
