"""The dbt project on its own: it builds on empty raw tables with every unit test passing (the
daily pipeline leaves unit tests out, so this is where they run), and out-of-range vars fail at
parse time instead of building wrong metrics."""

import json
import os
import subprocess

import duckdb

from assets import raw
from assets.ingest import RAW_TABLES
from config.resources import CONNECTION_CONFIG, DBT_PROJECT_DIR, dbt_executable
from config.theses import dbt_vars, load_theses


def dbt(tmp_path, *args: str, warehouse: str = "warehouse.duckdb") -> subprocess.CompletedProcess:
    # Own target path: the manifest `make` built for Dagster stays untouched.
    env = {**os.environ, "WAREHOUSE_PATH": str(tmp_path / warehouse)}
    return subprocess.run(
        [dbt_executable(), *args, "--target-path", str(tmp_path / "target")],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_dbt_build_on_empty_raw_tables_passes_every_unit_test(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=CONNECTION_CONFIG) as con:
        for table in RAW_TABLES:
            raw.ensure_tables(con, table)
    result = dbt(tmp_path, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert set(unit) == set(manifest["unit_tests"])
    assert unit and set(unit.values()) == {"pass"}


def test_out_of_range_vars_fail_parsing_and_name_the_var(tmp_path):
    result = dbt(tmp_path, "parse", "--vars", "{trading_days_per_year: 2}")
    assert result.returncode != 0
    assert "var trading_days_per_year must be an integer from 3 to 1000, got 2" in result.stdout
    result = dbt(tmp_path, "parse", "--vars", "{ai_cost_gpt4_level_gpqa: 130}")
    assert result.returncode != 0
    assert "var ai_cost_gpt4_level_gpqa must be a number from 0 to 100, got 130" in result.stdout
    result = dbt(tmp_path, "parse", "--vars", '{fred_price_series: [DTWEXBGS, "x\'); drop table t; --"]}')
    assert result.returncode != 0
    assert "is not a series id" in result.stdout
    # The signals' windows and pairs are checked the same way: nothing but a window or an id is spliced.
    result = dbt(tmp_path, "parse", "--vars", '{signal_change_windows: [1y, "2q"], signal_pairs: []}')
    assert result.returncode != 0
    assert "var signal_change_windows: 2q is not a calendar window" in result.stdout
    result = dbt(tmp_path, "parse", "--vars", '{signal_pairs: [{series: "fred/X\'); --", against: fred/Y}]}')
    assert result.returncode != 0
    assert "is not <source>/<series id>" in result.stdout


def test_a_build_in_a_new_warehouse_folder_reuses_the_last_parse(tmp_path):
    """dbt re-parses the whole project when its profile or vars change. Parsed with the runs' vars
    (as `make` does), the parse serves a build in any folder: a fresh clone's first run, a replay,
    a test's temporary warehouse."""
    vars_ = dbt_vars(load_theses())
    first = dbt(tmp_path, "parse", "--vars", vars_, warehouse="first/warehouse.duckdb")
    assert first.returncode == 0, first.stdout[-3000:]
    second = dbt(tmp_path, "parse", "--vars", vars_, warehouse="second/warehouse.duckdb")
    assert second.returncode == 0, second.stdout[-3000:]
    assert "Unable to do partial parsing" not in second.stdout, second.stdout[-3000:]
    # The check can fail: other vars do make dbt parse everything again.
    third = dbt(tmp_path, "parse", "--vars", "{signal_pairs: []}", warehouse="second/warehouse.duckdb")
    assert "Unable to do partial parsing because config vars" in third.stdout, third.stdout[-3000:]
