"""The benchmark's own machinery (no timings asserted): the widened catalog goes through the real
Yahoo code path, the event-log breakdown accounts for the whole run, and goals read pass/miss the
right way round."""

import datetime as dt
import sys

import pytest

from assets.sources import yahoo
from assets.sources.base import Window
from assets.sources.bodies import DemoBodies
from bench import events, figures, proc
from bench.catalog import synthetic_id, write_catalog
from bench.goals import Goal
from config.catalog import CATALOG_ENV, load_catalog


def test_a_widened_catalog_is_read_at_run_time_and_its_series_parse_as_yahoo_bars(tmp_path, monkeypatch):
    shipped = load_catalog()
    path = write_catalog(3, tmp_path / "catalog.yaml")
    monkeypatch.setenv(CATALOG_ENV, str(path))
    widened = load_catalog()
    added = [s for s in widened.for_source("yahoo") if s.id.startswith("BENCH")]
    assert [s.id for s in added] == [synthetic_id(i) for i in (1, 2, 3)]
    assert len(widened.series) == len(shipped.series) + 3
    # Deterministic and nested: catalog N + 1 holds catalog N's series unchanged.
    smaller = write_catalog(2, tmp_path / "smaller.yaml")
    monkeypatch.setenv(CATALOG_ENV, str(smaller))
    assert load_catalog().get("yahoo", synthetic_id(2)) == widened.get("yahoo", synthetic_id(2))
    body = DemoBodies().get(yahoo.CONNECTOR, added[0], Window(dt.date(2015, 1, 1), dt.date(2015, 3, 31)))
    rows = yahoo.parse(body)
    assert rows.num_rows > 50 and set(rows.column("symbol").to_pylist()) == {synthetic_id(1)}
    monkeypatch.delenv(CATALOG_ENV)
    assert load_catalog() == shipped


def test_the_stage_breakdown_accounts_for_every_second_of_the_run():
    t0 = 1000.0
    steps = {
        "raw__fred_observations": events.Step("raw__fred_observations", t0 + 3, t0 + 5, "success", 6),
        "dbt_models": events.Step("dbt_models", t0 + 5.5, t0 + 15, "success", 400),
        "marts__mart_dollar_gx_mart_dollar": events.Step(
            "marts__mart_dollar_gx_mart_dollar", t0 + 15, t0 + 18
        ),
        "marts__thesis_summary": events.Step("marts__thesis_summary", t0 + 18, t0 + 19),
    }
    line = events.Timeline(
        "r", "SUCCESS", t0 + 2, t0 + 19.5, steps, "dbt_models", "dbt build", t0 + 6, t0 + 12
    )
    stages = events.breakdown(line, process_start=t0, process_end=t0 + 21)
    assert sum(s["s"] for s in stages) == pytest.approx(21)
    dbt = next(s for s in stages if s["stage"] == "dbt")
    assert (dbt["dbt_setup_s"], dbt["dbt_process_s"], dbt["dagster_dbt_events_s"]) == (0.5, 6.0, 3.0)
    assert [s["stage"] for s in stages][1:5] == ["ingest", "dbt", "gx gate", "summary"]


def test_a_measured_command_reports_its_exit_code_and_memory(tmp_path):
    code = "import sys; block = bytearray(64 * 1024 * 1024); sys.exit(3)"
    measured = proc.run([sys.executable, "-c", code], {}, tmp_path, tmp_path / "log.txt")
    assert measured.returncode == 3 and measured.peak_rss_mb > 64 and measured.wall_s > 0


def test_goals_pass_below_a_ceiling_and_above_a_floor():
    assert Goal("t", 29.0, 30, True, "s").status == "pass"
    assert Goal("t", 31.0, 30, True, "s").status == "MISS"
    assert Goal("rate", 40.0, 50, False, "%").status == "MISS"
    assert Goal("rate", 60.0, 50, False, "%").status == "pass"
    assert Goal("t", None, 30, True, "s").status == "not measured"
    assert figures._fit_exponent([(100, 2.0), (1000, 20.0), (10000, 200.0)]) == pytest.approx(1.0)
