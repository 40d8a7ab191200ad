"""The verdict on real data: snapshots built from every real payload (tests/fixtures/real/), replayed
end to end through the daily job as a user runs it.

* All files (the newest vintage of each series): a verdict is written; every pillar is there,
  scored where fresh data exist and stale or no_data elsewhere, each with its reason; the gate
  raises no error on any real series' full history.
* FRED only, then FRED without DTWEXBGS on the same warehouse: still a verdict; the dollar
  metrics that need DTWEXBGS turn stale, naming it.
* A snapshot whose DTWEXBGS is an error page, through `python -m orchestration.cli run`: exit 0,
  the ingest line is not a clean ✓, and the failed series is named with its reason.
* A second run on the all-files warehouse with corrupted payloads (one series x100 over its last
  20 values, a negative price, duplicate dates): blocked, exit 2, the summary does not move.
"""

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.sources import real_payloads
from config.catalog import load_catalog
from tests.gate_routes import assert_same, both_routes
from tests.replays import Replay, cli_run, replay, snapshot_of

pytestmark = pytest.mark.e2e

PILLARS = ["dollar", "equities", "crypto", "macro", "value_share", "ai_cost"]


@pytest.fixture(scope="module")
def payloads(real_data) -> list[real_payloads.Payload]:
    found, _ = real_payloads.scan(real_data, load_catalog())
    return found


@pytest.fixture(scope="module")
def all_files(payloads, tmp_path_factory) -> Replay:
    root = tmp_path_factory.mktemp("all-files")
    return replay(snapshot_of(payloads, root / "snapshot"), root, dg.DagsterInstance.ephemeral())


def test_the_all_files_snapshot_gives_a_verdict_with_every_pillar_there_and_explained(all_files):
    assert all_files.result.success
    assert all_files.errors() == []
    pillars = all_files.pillars()
    assert list(pillars) == sorted(PILLARS)
    # Fresh data exist for these (monthly macro releases to July 2026, the August OpenRouter catalogue).
    assert pillars["macro"]["status"] in ("confirms", "neutral", "contradicts")
    assert pillars["ai_cost"]["status"] in ("confirms", "neutral", "contradicts")
    # Recorded in May 2026 or earlier against an August recording date: stale, saying how old.
    for name in ("dollar", "crypto"):
        assert pillars[name]["status"] == "stale", pillars[name]
    assert "fred/DTWEXBGS latest 2026-05-15, 108 days before 2026-08-31" in pillars["dollar"]["reason"]
    assert "fred/CBBTCUSD + fred/NASDAQCOM latest 2026-05-22" in pillars["crypto"]["reason"]
    # No index payload was saved from Yahoo, and the World Bank's saved answer is half a page.
    assert pillars["equities"]["status"] == "no_data"
    assert "yahoo/^GSPC missing: not in the snapshot (no data)" in pillars["equities"]["reason"]
    assert pillars["value_share"]["status"] == "no_data"
    assert "worldbank/NY.GDP.MKTP.CD failed: the body is page 1 of 2" in pillars["value_share"]["reason"]
    for row in pillars.values():
        assert (row["status"] in ("stale", "no_data")) == (row["reason"] is not None), row
    (verdict,) = [r for r in all_files.rows() if r["row_type"] == "verdict"]
    assert verdict["status"] in ("confirms", "neutral", "contradicts", "stale")
    # The same verdict reached the analysts' copy.
    assert all_files.rows(published=True) == all_files.rows()


def test_every_real_series_passes_the_gate_over_its_full_history(payloads, real_history):
    """Every vintage of every real payload, oldest first, into one warehouse (each vintage revising
    the last, as they arrived), then the whole job: 2008, March 2020 and the 2022 inflation are
    history, not errors."""
    assert real_history.result.success and real_history.errors() == []
    with duckdb.connect(str(real_history.warehouse), read_only=True) as con:
        loaded = con.execute(
            "select count(distinct source || '/' || series_id) from raw.load_audit where status = 'loaded' "
            "and source <> 'genai_prices'"
        ).fetchall()[0][0]
    assert loaded == len({(p.source, p.key) for p in payloads}) - 1  # all but the refused World Bank page


def test_fred_alone_and_then_without_dtwexbgs_still_give_a_verdict(payloads, tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    fred = replay(snapshot_of(payloads, tmp_path / "fred", lambda p: p.source == "fred"), tmp_path, instance)
    assert fred.result.success and fred.errors() == []
    assert list(fred.pillars()) == sorted(PILLARS)
    assert fred.metrics()["broad_dollar_1y_change"]["status"] == "stale"  # May data, August recording

    without = snapshot_of(
        payloads, tmp_path / "no-dollar", lambda p: p.source == "fred" and p.key != "DTWEXBGS"
    )
    second = replay(without, tmp_path, instance)
    assert second.result.success and second.errors() == []
    for metric in ("broad_dollar_1y_change", "broad_dollar_vs_200d_average"):
        row = second.metrics()[metric]
        assert row["status"] == "stale"
        assert row["reason"].startswith("fred/DTWEXBGS missing: not in the snapshot (data to 2026-05-15)")
    assert "fred/DTWEXBGS missing" in second.pillars()["dollar"]["reason"]


ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body></body></html>\n"
)


def test_the_console_names_a_failed_series_and_the_run_still_ends_in_a_verdict(payloads, tmp_path):
    snapshot = snapshot_of(payloads, tmp_path / "snapshot", lambda p: p.source == "fred")
    (snapshot / "fred" / "DTWEXBGS.csv").write_bytes(ERROR_PAGE)
    done = cli_run(snapshot, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # Not loaded: DTWEXBGS (the error page), and the catalog's FRED series no real payload holds.
    assert "⚠ raw__fred_observations (" in out and "): 13 loaded, 0 skipped, 4 not loaded" in out
    assert "✓ raw__fred_observations (" not in out
    assert "- fred/DTWEXBGS failed: an HTML/XML page instead of data: '<!DOCTYPE html>" in out
    assert "(line 1)" in out
    assert "Thesis american_exceptionalism: The American-exceptionalism trade is ending?" in out
    assert "As of 2026-08-31 (data origin: replay)" in out
    assert "Not loaded this run" in out and "Recorded data, not today's market" in out


def corrupt(snapshot: Path, series: str, edit) -> None:
    """Rewrite one FRED CSV of the snapshot: `edit` maps its data lines to new ones."""
    path = snapshot / "fred" / f"{series}.csv"
    header, *lines = path.read_text().splitlines()
    path.write_text("\n".join([header, *edit(lines)]) + "\n")


def times_100_at_the_end(lines: list[str]) -> list[str]:
    out, changed = list(lines), 0
    for i in range(len(out) - 1, -1, -1):
        day, value = out[i].split(",")
        if value and changed < 20:
            out[i], changed = f"{day},{float(value) * 100:.2f}", changed + 1
    return out


def negative_price(lines: list[str]) -> list[str]:
    day, value = lines[-1].split(",")
    return [*lines[:-1], f"{day},-{value or '1'}"]


def duplicate_dates(lines: list[str]) -> list[str]:
    return [*lines, lines[-1]]


@pytest.mark.parametrize(
    "edit", [times_100_at_the_end, negative_price, duplicate_dates], ids=lambda f: f.__name__
)
def test_corrupt_payloads_on_a_second_run_block_and_the_summary_does_not_move(
    all_files, payloads, tmp_path, edit
):
    work = tmp_path / "work"
    shutil.copytree(all_files.warehouse.parent, work, ignore=shutil.ignore_patterns("snapshot"))
    before = Replay(work / "warehouse.duckdb", work / "data", all_files.result)
    summary, published = before.rows(), before.rows(published=True)
    snapshot = snapshot_of(payloads, tmp_path / "snapshot")
    corrupt(snapshot, "CBBTCUSD", edit)
    done = cli_run(snapshot, work)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "BLOCKED" in done.stderr and "the last verdict stays published" in done.stderr
    assert "✗ check raw/fred_observations:loads did not pass (ERROR: blocks the summary)" in done.stdout
    assert before.rows() == summary and before.rows(published=True) == published


def test_the_snapshot_builder_takes_the_newest_vintage_of_each_series(payloads, tmp_path):
    chosen = {(p.source, p.key): p for p in real_payloads.newest(payloads)}
    assert chosen["fred", "CPIAUCSL"].vintage == "2026-08" and chosen["fred", "CPIAUCSL"].ext == "json"
    assert chosen["fred", "DTWEXBGS"].vintage == "2026-05"  # not the April file
    assert chosen["fred", "DEXCHUS"].vintage == "2024-09"  # its only one
    snapshot = snapshot_of(payloads, tmp_path / "snapshot")
    assert (snapshot / "RECORDED_AT").read_text().strip() == "2026-08-31T12:00:00+00:00"
    original = chosen["fred", "DTWEXBGS"]
    assert (snapshot / "fred" / "DTWEXBGS.csv").read_bytes() == original.content()
    assert real_payloads.recorded_at("2024-02") == dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC)


def test_the_gate_in_duckdb_flags_exactly_what_the_pandas_route_flags_on_real_data(all_files, real_history):
    """GX's SQL route (the gate) against its pandas route on the real payloads: the newest vintage
    of each series, and every vintage's full history, judged on the snapshot's recording date. The
    same verdict for every expectation of every suite (the corruption matrix: tests/test_gate.py)."""
    for run in (all_files, real_history):
        with duckdb.connect(str(run.warehouse), read_only=True) as con:
            (as_of,) = con.execute("select max(as_of) from audit.gate_runs").fetchall()[0]
        routes = both_routes(run.warehouse, as_of)
        assert_same(routes)
        assert sum(len(reference) for reference, _ in routes.values()) > 100
