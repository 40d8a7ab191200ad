"""The theses' step end to end on a warehouse of synthetic marts and signal tables (no dbt, so it
stays fast), every thesis of config/theses/ at once: today's snapshot, the point-in-time backfill,
status flips over the whole history, one asset and one report per thesis, and what `make run`
prints."""

import base64
import datetime as dt

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.history import month_ends
from assets.summary import SUMMARY_KEY
from assets.theses import thesis_key
from config.resources import SourceSettings, WarehouseResource
from config.theses import load_theses
from orchestration import cli
from orchestration.definitions import thesis_summary
from tests.thesis_marts import write_warehouse

pytestmark = pytest.mark.e2e

AS_OF = dt.date(2026, 11, 24)
PNG = b"\x89PNG\r\n\x1a\n"


THESES = load_theses()
ESSAY = "american_exceptionalism"


def materialize_all(**settings) -> dict[dg.AssetKey, dict]:
    """Every asset of the step's metadata, by key: the summary table's and each thesis'."""
    result = dg.materialize(
        [thesis_summary], resources={"warehouse": WarehouseResource(), "sources": SourceSettings(**settings)}
    )
    assert result.success
    return {
        m.asset_key: {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node("marts__thesis_summary")
    }


def materialize(**settings) -> dict:
    return materialize_all(**settings)[SUMMARY_KEY]


def query(path, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql, params=params).pl()


@pytest.fixture
def warehouse(warehouse_env):
    write_warehouse(warehouse_env, AS_OF)
    return warehouse_env


def test_rerunning_a_day_keeps_one_snapshot_and_the_backfill_is_idempotent(warehouse):
    first = materialize_all()
    history_sql = "select * exclude (run_id, computed_at) from marts.thesis_summary_history order by all"
    before = query(warehouse, history_sql)
    second = materialize_all()
    assert query(warehouse, history_sql).equals(before)
    assert first[SUMMARY_KEY]["snapshots"] == second[SUMMARY_KEY]["snapshots"] == 37 * len(THESES)
    assert {first[thesis_key(t)]["snapshots"] for t in THESES} == {37}
    snapshots = query(
        warehouse,
        """
        select thesis, as_of, backfilled,
            count(*) filter (row_type = 'verdict') as verdicts, count(distinct run_id) as runs
        from marts.thesis_summary_history group by all order by thesis, as_of
        """,
    )
    assert snapshots["verdicts"].to_list() == [1] * 37 * len(THESES)
    assert snapshots["runs"].to_list() == [1] * 37 * len(THESES)
    for thesis in THESES:
        mine = snapshots.filter(pl.col("thesis") == thesis)
        assert mine.filter(pl.col("as_of") == AS_OF)["backfilled"].to_list() == [False]
        backfilled = mine.filter(pl.col("backfilled"))["as_of"].to_list()
        assert backfilled == month_ends(AS_OF, 36) and len(backfilled) >= 36
        assert backfilled[0] == dt.date(2023, 11, 30) and backfilled[-1] == dt.date(2026, 10, 31)
    # Every snapshot of a thesis holds every metric, part, pillar and the verdict.
    per_snapshot = query(
        warehouse, "select thesis, as_of, count(*) as n from marts.thesis_summary_history group by all"
    )
    today = query(warehouse, "select thesis, count(*) as rows from marts.thesis_summary group by all")
    assert per_snapshot.join(today, on="thesis").filter(pl.col("n") != pl.col("rows")).is_empty()
    assert set(today["thesis"]) == set(THESES)


def test_a_snapshot_computed_on_its_day_is_never_replaced_by_the_backfill(warehouse, monkeypatch):
    monkeypatch.setenv("THESIS_AS_OF", "2026-09-30")
    materialize()
    on_the_day = query(
        warehouse, "select distinct run_id from marts.thesis_summary_history where as_of = '2026-09-30'"
    )
    monkeypatch.setenv("THESIS_AS_OF", AS_OF.isoformat())
    assert materialize()["snapshots_backfilled_this_run"] == 35 * len(THESES)
    kept = query(
        warehouse,
        "select distinct run_id, backfilled from marts.thesis_summary_history where as_of = '2026-09-30'",
    )
    assert kept["run_id"].to_list() == on_the_day["run_id"].to_list() and kept["backfilled"].to_list() == [
        False
    ]


def test_flips_are_recorded_between_consecutive_snapshots_over_the_whole_history(warehouse):
    metadata = materialize_all()
    flips = query(warehouse, "select * from marts.thesis_status_flips order by as_of, pillar")
    statuses = query(
        warehouse,
        """
        select thesis, as_of, case row_type when 'verdict' then 'verdict' else pillar end as name, status
        from marts.thesis_summary_history where row_type in ('pillar', 'verdict')
        """,
    )
    expected = []
    for (thesis,), rows in statuses.partition_by("thesis", as_dict=True).items():
        wide = rows.pivot(on="name", index="as_of", values="status").sort("as_of")
        for before, after in zip(wide.iter_rows(named=True), wide[1:].iter_rows(named=True), strict=False):
            for name in wide.columns[1:]:
                if before[name] != after[name]:
                    expected.append(
                        (thesis, after["as_of"], name, before["as_of"], before[name], after[name])
                    )
    recorded = flips.select("thesis", "as_of", "pillar", "previous_as_of", "previous_status", "status").rows()
    assert sorted(recorded) == sorted(expected) and len(expected) > 5
    assert {f[0] for f in expected} == set(THESES)
    assert flips.filter(pl.col("as_of") < AS_OF)["backfilled"].all()
    # The sensor's contract: today's flips of every thesis, against its latest earlier snapshot.
    today = [
        {"thesis": t, "pillar": p, "previous_status": ps, "status": s, "as_of": AS_OF.isoformat()}
        for t, a, p, _, ps, s in sorted(expected)
        if a == AS_OF
    ]
    key = lambda f: (f["thesis"], f["pillar"])  # noqa: E731
    assert sorted(metadata[SUMMARY_KEY]["status_flips"], key=key) == today
    for thesis in THESES:
        mine = [f for f in today if f["thesis"] == thesis]
        assert sorted(metadata[thesis_key(thesis)]["status_flips"], key=key) == mine


def test_a_series_that_failed_today_makes_todays_metrics_stale_but_not_the_backfilled_ones(warehouse_env):
    write_warehouse(warehouse_env, AS_OF, failed=("yahoo/DX-Y.NYB",))
    materialize()
    dxy = query(
        warehouse_env,
        "select as_of, status, evidence from marts.thesis_summary_history where metric = 'dxy_1y_change'",
    )
    today = dxy.filter(pl.col("as_of") == AS_OF).row(0, named=True)
    assert today["status"] == "stale"
    assert "yahoo/DX-Y.NYB failed: an HTML/XML page instead of data (no data)" in today["evidence"]
    assert "stale" not in dxy.filter(pl.col("as_of") < AS_OF)["status"].to_list()


CHARTS = {
    ESSAY: ("pillar_scores", "metric_statuses", "markets_rebased", "ai_price_decline"),
    "fed_cant_cut": ("pillar_scores", "metric_statuses"),
}


@pytest.mark.parametrize("thesis", sorted(CHARTS))
def test_each_thesis_asset_carries_its_report_with_its_charts(warehouse_env, thesis):
    write_warehouse(warehouse_env, AS_OF)
    metadata = materialize_all()
    mine = metadata[thesis_key(thesis)]
    report = warehouse_env.parent / "data" / "reports" / thesis / "thesis_report.md"
    assert mine["report_path"] == str(report)
    page = report.read_text()
    assert (
        page.startswith(f"# {THESES[thesis].title}: the verdict as of {AS_OF}") and "**Demo data.**" in page
    )
    for name in CHARTS[thesis]:
        assert f"]({name}.png)" in page
        assert (report.parent / f"{name}.png").read_bytes().startswith(PNG)
    inline = mine["report"].split("](data:image/png;base64,")[1:]
    assert len(inline) == len(CHARTS[thesis])
    assert all(base64.b64decode(chunk.split(")", 1)[0]).startswith(PNG) for chunk in inline)
    for pillar in THESES[thesis].pillars:
        assert f"| {pillar} |" in page
        assert f"| {pillar} |" in mine["pillars"]
    assert mine["verdict"] in ("confirms", "neutral", "contradicts", "stale", "no_data")
    assert mine["evidence"].startswith(THESES[thesis].question)
    assert {"read_s", "summary_s", "backfill_s", "report_s", "evaluate_all_theses_s"} <= metadata[
        SUMMARY_KEY
    ].keys()


def test_make_run_prints_each_thesis_pillars_and_verdict_within_110_columns(warehouse, capsys):
    materialize()
    cli._print_summary(str(warehouse))
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines if not line.startswith("Report")) <= 110
    headings = [line for line in lines if line.startswith("Thesis ")]
    assert headings == [f"Thesis {t}: {THESES[t].question}" for t in THESES]
    assert lines.count(f"As of {AS_OF} (data origin: demo)") == len(THESES)
    skipped = (" ", "Thesis", "As of", "Report", "-", "Verdicts")
    names = [line.split()[0] for line in lines if line and not line.startswith(skipped)]
    expected = [name for t in THESES.values() for name in ("pillar", *t.pillars, "VERDICT")]
    assert names[: len(expected)] == expected
    assert "Rests on synthetic demo data" in out
    for thesis in THESES:
        report = warehouse.parent / "data" / "reports" / thesis / "thesis_report.md"
        assert f"Report (markdown and charts): {report}" in out
    verdicts = lines[lines.index("Verdicts:") + 1 :]
    assert [line.split()[0] for line in verdicts] == list(THESES)
