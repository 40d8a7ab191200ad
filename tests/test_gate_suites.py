"""The gate's parts without Dagster: its settings, the price series profile on small tables with
known answers, the spine's exemptions, Data Docs pruning, GX agreeing with its SQL twin, and GX
staying out of the code location's imports."""

import datetime as dt
import json
import os
import subprocess
import sys

import duckdb
import pytest

from config.catalog import load_catalog
from config.freshness import FRESHNESS_PATH, load_freshness, parse_freshness
from config.gate import GATE_PATH, Allowances, GateConfigError, load_allowances, parse_gate
from expectations.gx_runner import MEMORY_PER_THREAD_MIB, Validator, _prune, cap_memory, validate
from expectations.suites import SERIES_SUITES, SUITES
from expectations.suites.price_series import price_series
from expectations.suites.spec import SuiteInputs, spine_query
from expectations.twin import twin_flags
from tests.conftest import PROJECT_ROOT
from tests.synthetic_prices import generate_prices

AS_OF = dt.date(2025, 3, 31)


def test_loading_the_definitions_does_not_import_great_expectations():
    code = "import sys, orchestration.definitions; sys.exit('great_expectations' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=False).returncode == 0


def test_the_imports_started_while_dbt_runs_cover_the_gate_and_the_report():
    """assets.warmup imports, in a thread during the dbt step, what the gate and the report import
    on first use: after it, a Validator and a rendered chart import no GX or matplotlib module
    of their own, and a module that fails to import there does not stop the others."""
    code = """
import sys
from assets.warmup import AFTER_DBT, import_in_background
assert "great_expectations" not in sys.modules
import_in_background(("no_such_module_for_the_warmup", *AFTER_DBT)).join()
assert all(name in sys.modules for name in AFTER_DBT), "an import after the failed one did not run"
before = set(sys.modules)
from assets.report import _figure, _png
from expectations.gx_runner import Validator
Validator()
figure, axes = _figure()
axes.plot([1, 2])
_png(figure)
late = sorted(m for m in set(sys.modules) - before if m.startswith(("great_expectations", "matplotlib")))
assert not late, f"imported after the warm-up: {late[:10]} ({len(late)})"
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_gate_settings_name_only_known_marts_and_series_and_reuse_the_freshness_policy():
    allowances = load_allowances()
    assert set(allowances.settings.marts) <= set(SUITES)
    assert allowances.max_lag_days("fred/DTWEXBGS") == load_freshness()["business_daily"].max_lag_days
    assert allowances.max_lag_days("imf/cofer") == load_freshness()["quarterly"].max_lag_days
    assert allowances.max_lag_days(None, "mart_macro", "date") == 45
    assert allowances.max_gap_days("yahoo/000300.SS") == 12 and allowances.max_gap_days("yahoo/^HSI") == 10
    assert allowances.checked_from("fred/CBBTCUSD") == dt.date(2015, 1, 26)
    assert allowances.frequency("synthetic/S00001") == "business_daily"

    # One number per frequency: changing freshness.yaml moves the gate's freshness too.
    text = FRESHNESS_PATH.read_text()
    looser = parse_freshness(text.replace("max_lag_days: 10 ", "max_lag_days: 12 "))
    assert Allowances(allowances.settings, load_catalog(), looser).max_lag_days("yahoo/^GSPC") == 12


def test_a_bad_gate_file_is_refused_with_the_key_named():
    text = GATE_PATH.read_text()
    with pytest.raises(GateConfigError, match=r"max_row_drop"):
        parse_gate(text.replace("max_row_drop: 0.05", "max_row_drop: 2"))
    with pytest.raises(GateConfigError, match=r"max_gap_days.*weekly"):
        parse_gate(text.replace("  weekly:\n", "  fortnightly:\n"))
    # A bound that real history breaks is refused, naming the bound and the real value.
    with pytest.raises(GateConfigError, match=r"walcl_13w_change_pct.*below the highest real value 131.45"):
        parse_gate(text.replace("        max: 250\n", "        max: 100\n"))
    settings = parse_gate(text.replace("yahoo/000300.SS:", "yahoo/000300.XX:"))
    with pytest.raises(GateConfigError, match=r"000300\.XX"):
        Allowances(settings, load_catalog(), load_freshness())


def _days(start: dt.date, n: int, step: int = 1) -> list[dt.date]:
    return [start + dt.timedelta(days=i * step) for i in range(n)]


@pytest.fixture
def prices():
    """A long price table with one planted fault per series, in the layout of int_prices__daily."""
    rows = []
    days = _days(AS_OF - dt.timedelta(days=59), 60)
    for i, day in enumerate(days):
        sp500 = 4000 + i
        rows += [
            ("fred", "SP500", day, sp500 * (1.01 if day == dt.date(2025, 3, 3) else 1)),
            ("yahoo", "^GSPC", day, sp500),
        ]
        # FRED dates bitcoin a day after Yahoo: within the allowed shift, they agree.
        rows += [
            ("fred", "CBBTCUSD", day, 80000 + 100 * i),
            ("yahoo", "BTC-USD", day - dt.timedelta(days=1), 80000 + 100 * i),
        ]
        rows.append(
            ("yahoo", "ACWX", day, 50 * (10 if day == dt.date(2025, 3, 10) else 1))
        )  # a decimal shift
        if day <= AS_OF - dt.timedelta(days=20):
            rows.append(("yahoo", "FXI", day, 30.0))
        if not dt.date(2025, 2, 10) <= day <= dt.date(2025, 2, 20):
            rows.append(("yahoo", "MCHI", day, 40.0))
        rows.append(("yahoo", "^HSI", day, 0.0 if day == dt.date(2025, 2, 14) else 20000.0))
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute(
        "create table staging.int_prices__daily "
        "(source varchar, series_id varchar, obs_date date, value double)"
    )
    con.executemany("insert into staging.int_prices__daily values (?, ?, ?, ?)", rows)
    yield con
    con.close()


def test_the_price_profile_names_each_faulty_series_with_its_worst_day(prices):
    suite = price_series(SuiteInputs(as_of=AS_OF))
    frame = prices.execute(suite.query, suite.params).df().set_index("series_id")
    assert frame.loc["ACWX", "max_abs_return_pct"] == pytest.approx(900.0)
    assert str(frame.loc["ACWX", "worst_return_date"].date()) == "2025-03-10"
    assert (frame.loc["FXI", "lag_days"], frame.loc["FXI", "max_lag_days"]) == (20, 10)
    assert (frame.loc["MCHI", "max_gap_days"], str(frame.loc["MCHI", "max_gap_end_date"].date())) == (
        12,
        "2025-02-21",
    )
    assert (
        frame.loc["^HSI", "min_value"] == 0
        and str(frame.loc["^HSI", "min_value_date"].date()) == "2025-02-14"
    )
    sp500 = frame.loc["SP500"]
    assert (sp500["cross_checked_with"], sp500["common_days"], sp500["days_disagreeing"]) == (
        "yahoo/^GSPC",
        60,
        1,
    )
    assert (
        sp500["max_deviation_pct"] == pytest.approx(1.0)
        and str(sp500["worst_deviation_date"].date()) == "2025-03-03"
    )
    btc = frame.loc["CBBTCUSD"]
    assert (btc["days_disagreeing"], btc["max_deviation_pct"]) == (0, 0.0)

    outcome = validate(frame.reset_index(), suite)
    flagged = {
        (o.columns[0], o.severity): [r["series_id"] for r in o.sample]
        for o in outcome.failed + outcome.warnings
    }
    assert flagged == {
        ("min_value", "error"): ["^HSI"],
        ("max_abs_return_pct", "error"): ["ACWX", "^HSI"],  # from 0 to 20,000 is a jump too
        ("days_disagreeing", "error"): ["SP500"],
        ("max_lag_days", "warn"): ["FXI"],
        ("allowed_gap_days", "warn"): ["MCHI"],
    }


def test_under_the_gates_memory_cap_the_price_profile_spills_and_still_finds_the_jump(tmp_path):
    """The cap is per thread; an in-memory database (the lake session) spills into the given
    folder, not the working directory; and on a warehouse file the price profile over more rows
    than fit under the cap (3,000 series x 3,000 days) completes, spilling, with the planted jump
    found."""
    with duckdb.connect() as memory:
        memory.execute("set threads = 2")
        cap_memory(memory, tmp_path / "spill")
        settings = "select current_setting('memory_limit'), current_setting('temp_directory')"
        assert memory.execute(settings).fetchone() == (
            f"{2 * MEMORY_PER_THREAD_MIB}.0 MiB",
            str(tmp_path / "spill"),
        )
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("set threads = 2")
        con.execute("create schema staging")
        con.execute(
            """
            create table staging.int_prices__daily as
            select 'synthetic' as source, printf('S%05d', s) as series_id,
                   date '2015-01-01' + d::int as obs_date,
                   case when s = 1234 and d = 2500 then 900.0 else 100.0 + (s % 7) + d / 1000 end as value
            from range(3000) t1(s), range(3000) t2(d)
            """
        )
        cap_memory(con, tmp_path / "unused")
        # DuckDB's profile of the query says how much it spilled.
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{tmp_path / 'profile.json'}'")
        con.execute("""set custom_profiling_settings = '{"SYSTEM_PEAK_TEMP_DIR_SIZE": "true"}'""")
        suite = price_series(SuiteInputs(as_of=dt.date(2023, 3, 20)))
        frame = con.execute(suite.query, suite.params).df().set_index("series_id")
        con.execute("pragma disable_profiling")
    assert json.loads((tmp_path / "profile.json").read_text())["system_peak_temp_dir_size"] > 0
    assert len(frame) == 3000
    assert frame["max_abs_return_pct"].idxmax() == "S01234"
    assert str(frame.loc["S01234", "worst_return_date"].date()) == str(
        dt.date(2015, 1, 1) + dt.timedelta(2500)
    )
    assert not (tmp_path / "unused").exists()  # a file's own `<file>.tmp` is kept


def test_the_coinbase_pre_exchange_weeks_are_not_checked_for_jumps_and_gaps():
    """CBBTCUSD's real 2015-01-14 print (-54 %) and December 2014 gaps are history; after the
    exchange opened (2015-01-26, gate.yaml) a jump is checked."""
    days = [dt.date(2014, 12, 1), dt.date(2014, 12, 22), *_days(dt.date(2015, 1, 13), 20)]
    btc = [380.0, 330.0, 260.0, 120.0, 204.22, *(200.0 + i for i in range(17))]
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.mart_crypto as select * from (select unnest(?) as date, unnest(?) as btc_usd)",
        [days, btc],
    )
    changes = con.execute(
        spine_query(SuiteInputs(as_of=AS_OF), "mart_crypto", "fred/CBBTCUSD", {"btc_usd": "fred/CBBTCUSD"})
    ).fetchall()
    before = [row for row in changes if row[0] < dt.date(2015, 1, 26)]
    after = [row for row in changes if row[0] >= dt.date(2015, 1, 26)]
    assert all(gap is None and change is None for _, _, gap, change in before)
    assert all(gap == 1 and change is not None for _, _, gap, change in after)


def test_gx_and_its_sql_twin_flag_the_same_rows_on_the_synthetic_prices():
    """The SQL twin (expectations/twin.py) counts what GX counts on both of GX's routes (the
    marts: tests/test_gate.py)."""
    con = duckdb.connect()
    generate_prices(con, series=40, years=2, end=AS_OF)
    con.execute(
        "update bench.prices set value = value * 10 where series_id = 'S00007' and obs_date = ?",
        [AS_OF - dt.timedelta(days=30)],
    )
    suite = price_series(SuiteInputs(as_of=AS_OF, previous_rows=100), relation="bench.prices")
    twin = twin_flags(con, suite)
    validator = Validator()
    for outcome in (
        validator.validate(con.execute(suite.query, suite.params).df(), suite),
        validator.validate_in_warehouse(con, suite),
    ):
        for spec, gx, sql in zip(suite.expectations, outcome.outcomes, twin, strict=True):
            if gx.unexpected_count is not None:
                assert gx.unexpected_count == sql, spec.why
            else:
                assert gx.observed == sql, spec.why
        assert not outcome.success and {o.column for o in outcome.failed} >= {
            "max_abs_return_pct",
            "days_disagreeing",
        }


def test_data_docs_keep_the_newest_runs_of_each_suite(tmp_path):
    for i in range(5):
        run = tmp_path / f"run-{i}"
        run.mkdir()
        (run / "page.html").write_text("x")
        stamp = 1_700_000_000 + i
        os.utime(run, (stamp, stamp))
    _prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-3", "run-4"]


def test_every_gated_table_has_a_suite_module_and_every_expectation_says_why():
    builders = {**SUITES, **{name: build for name, (_, build) in SERIES_SUITES.items()}}
    for name, build in builders.items():
        suite = build(SuiteInputs(as_of=AS_OF, previous_rows=10))
        assert suite.name == name
        for spec in suite.expectations:
            assert spec.severity in ("error", "warn") and len(spec.why) > 20, (name, spec)
        assert any(s.type == "ExpectTableRowCountToBeBetween" for s in suite.expectations), name
