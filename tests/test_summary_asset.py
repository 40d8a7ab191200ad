"""The summary asset end to end on a warehouse of synthetic marts (no dbt, so it stays fast):
today's snapshot, the point-in-time backfill, status flips over the whole history, the report,
and what `make run` prints."""

import base64
import datetime as dt

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.history import month_ends
from assets.summary import thesis_summary
from config.resources import SourceSettings, WarehouseResource
from config.theses import load_thesis
from orchestration import cli
from tests.thesis_marts import write_warehouse

pytestmark = pytest.mark.e2e

AS_OF = dt.date(2026, 11, 24)
PNG = b"\x89PNG\r\n\x1a\n"


def materialize(**settings) -> dict:
    result = dg.materialize(
        [thesis_summary], resources={"warehouse": WarehouseResource(), "sources": SourceSettings(**settings)}
    )
    assert result.success
    return {
        k: v.value
        for k, v in result.asset_materializations_for_node("marts__thesis_summary")[0].metadata.items()
    }


def query(path, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql, params=params).pl()


@pytest.fixture
def warehouse(warehouse_env):
    write_warehouse(warehouse_env, AS_OF)
    return warehouse_env


def test_rerunning_a_day_keeps_one_snapshot_and_the_backfill_is_idempotent(warehouse):
    first = materialize()
    history_sql = "select * exclude (run_id, computed_at) from marts.thesis_summary_history order by all"
    before = query(warehouse, history_sql)
    second = materialize()
    assert query(warehouse, history_sql).equals(before)
    assert first["snapshots"] == second["snapshots"] == 37
    snapshots = query(
        warehouse,
        """
        select as_of, backfilled,
            count(*) filter (row_type = 'verdict') as verdicts, count(distinct run_id) as runs
        from marts.thesis_summary_history group by all order by as_of
        """,
    )
    assert snapshots["verdicts"].to_list() == [1] * 37 and snapshots["runs"].to_list() == [1] * 37
    today = snapshots.filter(pl.col("as_of") == AS_OF)
    assert today["backfilled"].to_list() == [False]
    backfilled = snapshots.filter(pl.col("backfilled"))["as_of"].to_list()
    assert backfilled == month_ends(AS_OF, 36) and len(backfilled) >= 36
    assert backfilled[0] == dt.date(2023, 11, 30) and backfilled[-1] == dt.date(2026, 10, 31)
    # Every snapshot holds every metric, part, pillar and the verdict.
    per_snapshot = query(
        warehouse, "select as_of, count(*) as n from marts.thesis_summary_history group by 1"
    )
    assert per_snapshot["n"].unique().to_list() == [
        query(warehouse, "select count(*) from marts.thesis_summary").item()
    ]


def test_a_snapshot_computed_on_its_day_is_never_replaced_by_the_backfill(warehouse, monkeypatch):
    monkeypatch.setenv("THESIS_AS_OF", "2026-09-30")
    materialize()
    on_the_day = query(
        warehouse, "select distinct run_id from marts.thesis_summary_history where as_of = '2026-09-30'"
    )
    monkeypatch.setenv("THESIS_AS_OF", AS_OF.isoformat())
    assert materialize()["snapshots_backfilled_this_run"] == 35
    kept = query(
        warehouse,
        "select distinct run_id, backfilled from marts.thesis_summary_history where as_of = '2026-09-30'",
    )
    assert kept["run_id"].to_list() == on_the_day["run_id"].to_list() and kept["backfilled"].to_list() == [
        False
    ]


def test_flips_are_recorded_between_consecutive_snapshots_over_the_whole_history(warehouse):
    metadata = materialize()
    flips = query(warehouse, "select * from marts.thesis_status_flips order by as_of, pillar")
    statuses = query(
        warehouse,
        """
        select as_of, case row_type when 'verdict' then 'verdict' else pillar end as name, status
        from marts.thesis_summary_history where row_type in ('pillar', 'verdict')
        """,
    )
    wide = statuses.pivot(on="name", index="as_of", values="status").sort("as_of")
    expected = []
    for before, after in zip(wide.iter_rows(named=True), wide[1:].iter_rows(named=True), strict=False):
        for name in wide.columns[1:]:
            if before[name] != after[name]:
                expected.append((after["as_of"], name, before["as_of"], before[name], after[name]))
    recorded = flips.select("as_of", "pillar", "previous_as_of", "previous_status", "status").rows()
    assert sorted(recorded) == sorted(expected) and len(expected) > 5
    assert flips.filter(pl.col("as_of") < AS_OF)["backfilled"].all()
    # The sensor's contract: today's flips, against the latest earlier snapshot, in the metadata.
    today = [
        {"pillar": p, "previous_status": ps, "status": s, "as_of": AS_OF.isoformat()}
        for a, p, _, ps, s in sorted(expected)
        if a == AS_OF
    ]
    assert sorted(metadata["status_flips"], key=lambda f: f["pillar"]) == today


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


def test_the_report_is_written_and_its_charts_are_embedded_in_the_metadata(warehouse_env):
    write_warehouse(warehouse_env, AS_OF)
    metadata = materialize()
    report = warehouse_env.parent / "data" / "reports" / "thesis_report.md"
    assert metadata["report_path"] == str(report)
    page = report.read_text()
    assert page.startswith(f"# The thesis, as of {AS_OF}") and "**Demo data.**" in page
    charts = ("pillar_scores", "markets_rebased", "ai_price_decline")
    for name in charts:
        assert f"]({name}.png)" in page
        assert (report.parent / f"{name}.png").read_bytes().startswith(PNG)
    inline = metadata["report"].split("](data:image/png;base64,")[1:]
    assert len(inline) == len(charts)
    assert all(base64.b64decode(chunk.split(")", 1)[0]).startswith(PNG) for chunk in inline)
    for pillar in load_thesis().pillars:
        assert f"| {pillar} |" in page
    assert {"summary_s", "backfill_s", "report_s"} <= metadata.keys()


def test_make_run_prints_every_pillar_and_the_verdict_within_110_columns(warehouse, capsys):
    materialize()
    cli._print_summary(str(warehouse))
    out = capsys.readouterr().out
    lines = out.splitlines()
    table = lines[: lines.index("")] + lines[2:-2]  # the heading and the table, not the report's path
    assert max(len(line) for line in table) <= 110
    assert lines[0] == f"Thesis summary as of {AS_OF} (data origin: demo)"
    names = [line.split()[0] for line in lines[3:] if line and not line.startswith(" ") and " " in line]
    assert names[:7] == [*load_thesis().pillars, "VERDICT"]
    assert "Rests on synthetic demo data" in out
    assert out.strip().endswith(str(warehouse.parent / "data" / "reports" / "thesis_report.md"))
