"""The Great Expectations gate end to end: every suite passes on the demo run; each corrupted mart
or price series fails the right expectation, and the thesis summary is not run in that same run
(no STEP_START) and keeps its last good rows; a warning blocks nothing; Data Docs open.

One good demo run on a temporary warehouse (module fixture); each test copies that warehouse,
corrupts a table in place with SQL, and runs the gate's checks and the summary on the copy, with
the same Dagster instance, so completeness compares with the good run's row counts.
"""

import datetime as dt
import functools
import hashlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from expectations import record
from expectations.checks import GATES
from expectations.gx_runner import Validator
from expectations.suites.spec import SuiteInputs
from expectations.twin import twin_flags
from orchestration.cli import Progress
from orchestration.definitions import defs
from tests.gate_routes import assert_same, both_routes

pytestmark = pytest.mark.e2e

AS_OF = dt.date(2026, 11, 24)
SUMMARY = dg.AssetKey(["marts", "thesis_summary"])
PUBLISHED = dg.AssetKey(["published", "warehouse"])
SUMMARY_STEP = "marts__thesis_summary"


@dataclass(frozen=True)
class GoodRun:
    warehouse: Path
    data_dir: Path
    instance: dg.DagsterInstance
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> GoodRun:
    root = tmp_path_factory.mktemp("gate")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WAREHOUSE_PATH", str(root / "warehouse.duckdb"))
        env.setenv("THESIS_DATA_DIR", str(root / "data"))
        env.setenv("THESIS_SOURCE_MODE", "demo")
        env.setenv("THESIS_AS_OF", AS_OF.isoformat())
        for var in ("THESIS_SNAPSHOT_DIR", "THESIS_RECORD_DIR", "FRED_API_KEY"):
            env.delenv(var, raising=False)
        instance = dg.DagsterInstance.ephemeral()
        result = defs.resolve_job_def("thesis_daily").execute_in_process(
            instance=instance, raise_on_error=False
        )
        yield GoodRun(root / "warehouse.duckdb", root / "data", instance, result)


@functools.cache
def gate_job(checks: tuple[dg.AssetCheckKey, ...]) -> dg.JobDefinition:
    """The gate's checks, the summary and the publish step only: the marts stay as the test left them."""
    # The summary's step also materializes every thesis asset: they are selected together.
    selection = dg.AssetSelection.checks(*checks) | (
        dg.AssetSelection.assets(SUMMARY).required_multi_asset_neighbors()
        | dg.AssetSelection.assets(PUBLISHED)
    )
    job = dg.define_asset_job("gate_and_summary", selection=selection)
    gated = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[job],
        resources=defs.resources,
        executor=dg.in_process_executor,
    )
    return gated.resolve_job_def("gate_and_summary")


def table_hash(path: Path, table: str) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(f"select * from {table} order by all").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@dataclass(frozen=True)
class GateRun:
    result: dg.ExecuteInProcessResult
    evaluations: dict[str, dg.AssetCheckEvaluation]
    summary_started: bool
    summary_unchanged: bool
    # The analysts' copy is byte for byte the good run's: a blocked gate publishes nothing.
    published_unchanged: bool

    def failed(self, check: str) -> dict[str, dict]:
        """The expectations of `check` that did not pass, as `expectation:column` → failure details."""
        failures = self.evaluations[check].metadata.get("failures")
        return {
            f"{f['expectation']}:{','.join(f['columns'])}": f for f in (failures.value if failures else [])
        }


def run_gate(good: GoodRun, tmp_path: Path, monkeypatch, corruption: str, checks) -> GateRun:
    """Copy the good warehouse, corrupt it with `corruption` (SQL), run `checks`, the summary and
    the publish step, in a data directory of the test's own holding the good run's published copy."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(good.warehouse, copy)
    monkeypatch.setenv("WAREHOUSE_PATH", str(copy))
    # The good run's published copy, beside this warehouse copy, as the analysts have it.
    published = tmp_path / "data" / "published" / copy.name
    published.parent.mkdir(parents=True)
    shutil.copy(good.data_dir / "published" / good.warehouse.name, published)
    monkeypatch.setenv("THESIS_DATA_DIR", str(tmp_path / "data"))
    with duckdb.connect(str(copy)) as con:
        con.execute(corruption)
    before, before_published = table_hash(copy, "marts.thesis_summary"), file_hash(published)
    result = gate_job(tuple(checks)).execute_in_process(instance=good.instance, raise_on_error=False)
    started = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    return GateRun(
        result=result,
        evaluations={e.check_name: e for e in result.get_asset_check_evaluations()},
        summary_started=SUMMARY_STEP in started,
        summary_unchanged=table_hash(copy, "marts.thesis_summary") == before,
        published_unchanged=file_hash(published) == before_published,
    )


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_suite_passes_on_the_demo_run_with_no_warning(good):
    assert good.result.success
    evaluations = {e.check_name: e for e in good.result.get_asset_check_evaluations()}
    for gate in GATES:
        evaluation = evaluations[gate.check]
        assert evaluation.passed, (gate.check, evaluation.metadata.get("failures"))
        assert evaluation.metadata["expectations"].value >= 7
        assert evaluation.metadata["rows"].value > 0


def _mid(table: str, key: str = "date") -> str:
    """The key in the middle of a mart, as a scalar subquery (a date no edge case touches)."""
    return f"(select quantile_disc({key}, 0.5) from marts.{table})"


# Per mart: its key, a price (or share) column to make impossible, and a value column to shift by a
# decimal (x10); each corruption names the expectation that must fail.
MARTS = {
    "mart_dollar": ("date", "dxy_index", "broad_dollar_index"),
    "mart_equities": ("date", "acwx_close", "sp500_close"),
    "mart_crypto": ("date", "eth_usd", "btc_usd"),
    "mart_macro": ("date", "cpi_index", "cpi_index"),
    "mart_value_share": ("year", "us_gdp_share_pct", "us_gdp_share_pct"),
    "mart_ai_cost": ("date", "gpt4_level_usd_per_mtok", "gpt35_level_usd_per_mtok"),
}
# The latest rows dropped (a stale spine), in the key's unit: days, or years for an annual mart.
STALE = {"mart_macro": 100, "mart_ai_cost": 100}


def corruption(mart: str, kind: str) -> tuple[str, str]:
    """SQL corrupting `mart` one way, and the `expectation:column` that must then fail."""
    key, bad, jump = MARTS[mart]
    table = f"marts.{mart}"
    if kind == "impossible":
        # A negative price; a share above 100 % for the value-share mart (no prices there).
        value = "120" if mart == "mart_value_share" else f"-{bad}"
        return (
            f"update {table} set {bad} = {value} where {key} = {_mid(mart, key)}",
            f"expect_column_values_to_be_between:{bad}",
        )
    if kind == "duplicate":
        return (
            f"insert into {table} select * from {table} where {key} = {_mid(mart, key)}",
            f"expect_column_values_to_be_unique:{key}",
        )
    if kind == "stale":
        if mart == "mart_value_share":
            sql = f"update {table} set us_gdp_share_pct = null where year >= {AS_OF.year - 3}"
            return sql, "expect_column_max_to_be_between:gdp_year_date"
        days = STALE.get(mart, 30)
        return (
            f"delete from {table} where date > date '{AS_OF.isoformat()}' - interval {days} day",
            "expect_column_max_to_be_between:date",
        )
    if kind == "jump":
        # Value shares move in points a year; everything else is a percent change along the spine.
        column = f"{jump}_change_pp" if mart == "mart_value_share" else f"{jump}_change_pct"
        where = f"{key} = (select quantile_disc({key}, 0.5) from {table} where {jump} is not null)"
        return (
            f"update {table} set {jump} = {jump} * 10 where {where}",
            f"expect_column_values_to_be_between:{column}",
        )
    if kind == "half":
        ordinal = key if key == "year" else f"({key} - date '2000-01-01')"
        return f"delete from {table} where {ordinal} % 2 = 0", "expect_table_row_count_to_be_between:"
    raise ValueError(kind)


MART_CHECKS = [gate.key for gate in GATES if gate.asset.path[0] == "marts"]


@pytest.mark.parametrize("kind", ["impossible", "duplicate", "jump", "half"])
def test_each_corrupted_mart_fails_its_gate_and_the_summary_does_not_run(good, tmp_path, monkeypatch, kind):
    """Every mart corrupted the same way in one warehouse copy, one run of the six mart gates and
    the summary: each mart's gate fails, at ERROR, on the expectation that guards against it."""
    corruptions = {mart: corruption(mart, kind) for mart in MARTS}
    sql = ";\n".join(statement for statement, _ in corruptions.values())
    run = run_gate(good, tmp_path, monkeypatch, sql, MART_CHECKS)

    for mart, (_, expected) in corruptions.items():
        evaluation = run.evaluations[f"gx_{mart}"]
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR, mart
        failed = run.failed(f"gx_{mart}")
        assert expected in failed, (mart, sorted(failed))
        assert failed[expected]["severity"] == "error"
        if kind in ("impossible", "duplicate", "jump"):
            # A row-level failure: the sample names the corrupted row by its key.
            assert failed[expected]["sample"], (mart, failed[expected])
    assert not run.result.success
    assert not run.summary_started
    assert run.summary_unchanged and run.published_unchanged


def test_stale_marts_only_warn_and_the_summary_runs(good, tmp_path, monkeypatch):
    """Old data is absence of new data, not corruption: every mart's spine made stale at once
    warns on its freshness expectation, and the summary still runs."""
    corruptions = {mart: corruption(mart, "stale") for mart in MARTS}
    run = run_gate(
        good, tmp_path, monkeypatch, ";\n".join(sql for sql, _ in corruptions.values()), MART_CHECKS
    )
    for mart, (_, expected) in corruptions.items():
        evaluation = run.evaluations[f"gx_{mart}"]
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN, mart
        assert run.failed(f"gx_{mart}")[expected]["severity"] == "warn", mart
    assert run.result.success and run.summary_started


@pytest.mark.parametrize(
    ("mart", "kind"),
    [
        ("mart_dollar", "jump"),
        ("mart_equities", "half"),
        ("mart_crypto", "impossible"),
        ("mart_macro", "half"),
        ("mart_value_share", "duplicate"),
        ("mart_ai_cost", "jump"),
    ],
)
def test_one_corrupted_mart_alone_stops_the_summary(good, tmp_path, monkeypatch, mart, kind):
    """Only this mart's gate and the summary run: its failure alone keeps the summary from running."""
    sql, expected = corruption(mart, kind)
    (gate,) = [g for g in GATES if g.check == f"gx_{mart}"]
    run = run_gate(good, tmp_path, monkeypatch, sql, [gate.key])
    assert expected in run.failed(gate.check)
    assert not run.summary_started and run.summary_unchanged and run.published_unchanged


# The price series check with one mart's: the summary waits for the gate step through the
# mart's check, as in the daily job (where it waits for all six), at a sixth of the cost.
PRICE_CHECKS = [gate.key for gate in GATES if gate.check in ("gx_price_series", "gx_mart_equities")]


def _mid_raw(table: str, series_column: str, series: str) -> str:
    return (
        f"(select quantile_disc(obs_date, 0.5) from raw.{table} "
        f"where {series_column} = '{series}' and obs_date >= date '2020-01-01')"
    )


def test_a_shifted_decimal_in_one_price_series_blocks_the_summary(good, tmp_path, monkeypatch):
    """The jump is in a raw series, so the marts (built before it) are clean: only the price
    series suite, on the long intermediate, sees it, and it names the series and the day."""
    day = _mid_raw("yahoo_prices", "symbol", "^HSI")
    sql = f"update raw.yahoo_prices set close = close * 10 where symbol = '^HSI' and obs_date = {day}"
    run = run_gate(good, tmp_path, monkeypatch, sql, PRICE_CHECKS)

    failed = run.failed("gx_price_series")
    assert list(failed) == ["expect_column_values_to_be_between:max_abs_return_pct"]
    (sample,) = failed["expect_column_values_to_be_between:max_abs_return_pct"]["sample"]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        (expected_day,) = con.execute(f"select {day}").fetchall()[0]
    assert (sample["source"], sample["series_id"]) == ("yahoo", "^HSI")
    assert sample["worst_return_date"] == expected_day.isoformat()
    # Ten times the day's own move: about +900 %.
    assert 850 < sample["worst_return_pct"] == sample["max_abs_return_pct"] < 950
    assert run.evaluations["gx_mart_equities"].passed
    assert not run.summary_started and run.summary_unchanged and run.published_unchanged


def test_sp500_and_gspc_disagreeing_by_1_percent_blocks_the_summary_and_is_shown_everywhere(
    good, tmp_path, monkeypatch
):
    """Also: the check's Data Docs page opens and names the suite and the failed expectation, and
    `make run`'s progress printer names the check, the expectation, its counts and the skipped summary."""
    day = _mid_raw("fred_observations", "series_id", "SP500")
    sql = (
        "update raw.fred_observations set value = value * 1.01 "
        f"where series_id = 'SP500' and obs_date = {day}"
    )
    run = run_gate(good, tmp_path, monkeypatch, sql, PRICE_CHECKS)

    failed = run.failed("gx_price_series")
    assert list(failed) == ["expect_column_values_to_be_between:days_disagreeing"]
    (sample,) = failed["expect_column_values_to_be_between:days_disagreeing"]["sample"]
    assert (sample["series_id"], sample["cross_checked_with"], sample["days_disagreeing"]) == (
        "SP500",
        "yahoo/^GSPC",
        1,
    )
    assert sample["max_deviation_pct"] == pytest.approx(1.0, abs=1e-6)
    assert not run.summary_started and run.summary_unchanged and run.published_unchanged

    page = Path(run.evaluations["gx_price_series"].metadata["data_docs"].value)
    assert page.is_file() and page.is_relative_to(tmp_path / "data" / "gx_docs")
    html = page.read_text()
    assert "Expectation Suite:" in html and "price_series" in html
    assert "days_disagreeing" in html and "Unsuccessful Expectations" in html
    assert Path(run.evaluations["gx_price_series"].metadata["data_docs_index"].value).is_file()

    out = io.StringIO()
    with Progress(good.instance, run.result.run_id, 2, tmp_path / "run.log", out):
        pass
    printed = out.getvalue()
    assert (
        "✗ check staging/int_prices__daily:gx_price_series did not pass (ERROR: blocks the summary)"
        in printed
    )
    assert "expect_column_values_to_be_between(days_disagreeing) [error]: 1 of 16 rows unexpected" in printed
    assert "series_id=SP500" in printed and f"Data Docs: {page}" in printed
    assert f"{SUMMARY_STEP} not run" in printed


def test_a_stale_price_series_only_warns_and_the_summary_runs(good, tmp_path, monkeypatch):
    sql = f"delete from raw.yahoo_prices where symbol = 'FXI' and obs_date > date '{AS_OF}' - interval 30 day"
    run = run_gate(good, tmp_path, monkeypatch, sql, PRICE_CHECKS)

    evaluation = run.evaluations["gx_price_series"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    warned = run.failed("gx_price_series")
    assert list(warned) == ["expect_column_pair_values_a_to_be_greater_than_b:max_lag_days,lag_days"]
    (sample,) = warned["expect_column_pair_values_a_to_be_greater_than_b:max_lag_days,lag_days"]["sample"]
    assert sample["series_id"] == "FXI" and sample["lag_days"] > sample["max_lag_days"] == 10
    assert run.result.success and run.summary_started


def test_a_lagging_input_of_a_mart_warns_without_blocking(good, tmp_path, monkeypatch):
    sql = "update marts.mart_dollar set dxy_date = dxy_date - interval 60 day"
    (gate,) = [g for g in GATES if g.check == "gx_mart_dollar"]
    run = run_gate(good, tmp_path, monkeypatch, sql, [gate.key])

    evaluation = run.evaluations["gx_mart_dollar"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["failed"].value == 0 and evaluation.metadata["warnings"].value == 1
    assert list(run.failed("gx_mart_dollar")) == ["expect_column_max_to_be_between:dxy_date"]
    assert run.result.success and run.summary_started


def _corrupt_everything(good, tmp_path) -> Path:
    """A copy of the good warehouse with every mart corrupted four ways at once, a price series
    with a shifted decimal and SP500 1 % off ^GSPC for a day."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(good.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        for mart in MARTS:
            for kind in ("impossible", "duplicate", "jump", "stale"):
                con.execute(corruption(mart, kind)[0])
        day = _mid_raw("yahoo_prices", "symbol", "ACWX")
        con.execute(
            f"update raw.yahoo_prices set close = close / 10 where symbol = 'ACWX' and obs_date = {day}"
        )
        day = _mid_raw("fred_observations", "series_id", "SP500")
        con.execute(
            "update raw.fred_observations set value = value * 1.01 "
            f"where series_id = 'SP500' and obs_date = {day}"
        )
    return copy


def test_gx_and_its_sql_twin_agree_on_every_corrupted_suite(good, tmp_path):
    """The SQL twin (expectations/twin.py, what the benchmark times the gate against) flags exactly
    what the gate's GX validation (in DuckDB) flags, on every mart with four corruptions at once
    and on the price series."""
    copy = _corrupt_everything(good, tmp_path)
    validator = Validator()
    with duckdb.connect(str(copy), read_only=True) as con:
        for gate in GATES:
            baseline = record.last_good(con, gate.check, gate.asset.to_user_string())
            suite = gate.build(SuiteInputs(as_of=AS_OF, previous_rows=baseline.rows))
            outcome = validator.validate_in_warehouse(con, suite)
            assert not outcome.success, gate.check
            for spec, gx, sql in zip(
                suite.expectations, outcome.outcomes, twin_flags(con, suite), strict=True
            ):
                if spec.type == "ExpectColumnMaxToBeBetween":
                    assert gx.observed[:10] == sql.isoformat(), (gate.check, spec.kwargs)
                elif gx.unexpected_count is None:
                    assert gx.observed == sql, (gate.check, spec.kwargs)
                else:
                    assert gx.unexpected_count == sql, (gate.check, spec.kwargs)


@pytest.mark.parametrize("kind", ["clean", "impossible", "duplicate", "jump", "stale", "half", "prices"])
def test_the_gate_in_duckdb_flags_exactly_what_the_pandas_route_flags(good, tmp_path, kind):
    """GX's SQL route (the gate) against its pandas route, over the corruption matrix: every suite,
    every expectation, the same success, unexpected count, element count, observed value and first
    failing row (the real-data replay: tests/test_real_data.py)."""
    if kind == "prices":
        copy = _corrupt_everything(good, tmp_path)
    else:
        copy = tmp_path / "warehouse.duckdb"
        shutil.copy(good.warehouse, copy)
        if kind != "clean":
            with duckdb.connect(str(copy)) as con:
                con.execute(";\n".join(corruption(mart, kind)[0] for mart in MARTS))
    failed = assert_same(both_routes(copy, AS_OF))
    assert (failed == 0) == (kind == "clean"), failed


def test_a_mart_that_cannot_be_read_fails_its_gate_and_the_others_still_run(good, tmp_path, monkeypatch):
    sql = "alter table marts.mart_ai_cost drop column gpt4_level_usd_per_mtok"
    checks = [g.key for g in GATES if g.check in ("gx_mart_ai_cost", "gx_mart_dollar")]
    run = run_gate(good, tmp_path, monkeypatch, sql, checks)
    broken = run.evaluations["gx_mart_ai_cost"]
    assert not broken.passed and broken.severity == dg.AssetCheckSeverity.ERROR
    assert "gpt4_level_usd_per_mtok" in broken.metadata["error"].value
    assert run.evaluations["gx_mart_dollar"].passed
    assert not run.summary_started and run.summary_unchanged and run.published_unchanged


def test_each_warehouse_is_its_own_row_loss_baseline_in_a_shared_instance(good, tmp_path, monkeypatch):
    """A bigger warehouse gated through the same Dagster instance (a replay of more history, say)
    never becomes another warehouse's baseline: the smaller one passes on its first gated run, and
    from then on is compared with its own last good run, which a real loss of rows breaks."""
    big, small = tmp_path / "big.duckdb", tmp_path / "small.duckdb"
    shutil.copy(good.warehouse, big)
    shutil.copy(good.warehouse, small)
    # The older half of each mart's rows: a history half as long, its spine still whole.
    halve = ";".join(
        f"delete from marts.{mart} where {key} < (select quantile_disc({key}, 0.5) from marts.{mart})"
        for mart, (key, _, _) in MARTS.items()
    )
    with duckdb.connect(str(small)) as con:
        con.execute(f"{halve}; delete from audit.gate_runs")  # a warehouse of its own, never gated

    def gate(path: Path) -> dg.ExecuteInProcessResult:
        monkeypatch.setenv("WAREHOUSE_PATH", str(path))
        return gate_job(tuple(MART_CHECKS)).execute_in_process(instance=good.instance, raise_on_error=False)

    assert gate(big).success
    first = gate(small)
    assert first.success, [e.metadata.get("failures") for e in first.get_asset_check_evaluations()]
    with duckdb.connect(str(small)) as con:
        con.execute(";".join(f"delete from marts.{mart}" for mart in MARTS))
    lost = gate(small)
    assert not lost.success
    assert {
        e.check_name
        for e in lost.get_asset_check_evaluations()
        if e.severity == dg.AssetCheckSeverity.ERROR and not e.passed
    } == {f"gx_{mart}" for mart in MARTS}
