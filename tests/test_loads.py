"""The load integrity check (expectations/loads.py): corruption blocks, absence warns.

Revisions are measured against the version current at the check's last good run on this
warehouse, relative for levels and in points for percent series, so a corrupt revision keeps
blocking while the source sends it and stops when the source sends the right value again.
"""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from assets import raw
from assets.sources import fred
from assets.sources.base import Body
from config.catalog import load_catalog
from config.freshness import load_freshness
from config.gate import Allowances, SeriesOverride, load_allowances
from expectations import loads, record

DAYS = [dt.date(2026, m, 1) for m in range(1, 7)]
ASSET = "raw/fred_observations"


def load(con, series: str, values: list[float | None], run: str) -> None:
    """One FRED CSV body for `series` over DAYS, through the raw layer as the ingest asset loads it."""
    lines = [
        f"observation_date,{series}",
        *(f"{d},{'' if v is None else v}" for d, v in zip(DAYS, values, strict=True)),
    ]
    content = "".join(f"{line}\n" for line in lines).encode()
    body = Body("fred", series, "csv", content, "replay", dt.datetime.now(dt.UTC), "test://")
    raw.load(con, fred.CONNECTOR, [raw.Parsed(body, fred.parse(body))], [], run, as_of=DAYS[-1])


def good_check(con) -> None:
    record.record(con, "run", DAYS[-1], [record.Evaluation(loads.CHECK, ASSET, True, 0, 0, None)])


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        yield connection


def revisions(con, allowances: Allowances | None = None) -> dict[str, loads.Revision]:
    _, found = loads.evaluate(con, fred.CONNECTOR, allowances or load_allowances())
    return {r.series_id: r for r in found}


def test_a_unit_error_revised_into_history_is_caught_and_clears_when_the_source_corrects_it(con):
    load(con, "CPIAUCSL", [310.0, 311.0, 312.0, 313.0, 314.0, 315.0], "a")
    good_check(con)
    # CPI seasonal factors move a value by a few hundredths of a percent: within the limit.
    load(con, "CPIAUCSL", [310.1, 311.0, 312.0, 313.0, 31400.0, 31500.0], "b")
    (revised,) = revisions(con).values()
    assert (revised.series_id, revised.revised, revised.unit, revised.limit) == ("CPIAUCSL", 2, "%", 10)
    assert revised.size == pytest.approx(9900.0) and revised.previous_value in (314.0, 315.0)
    assert "a unit or decimal error rewritten into history" in loads.describe_revision("fred", revised)
    # The next day the source sends the same damage again: still measured against the good version.
    load(con, "CPIAUCSL", [310.1, 311.0, 312.0, 313.0, 31400.0, 31500.0], "c")
    assert set(revisions(con)) == {"CPIAUCSL"}
    # It sends the right values: nothing is revised against the last good check any more.
    load(con, "CPIAUCSL", [310.1, 311.0, 312.0, 313.0, 314.0, 315.0], "d")
    assert revisions(con) == {}


def test_percent_series_are_measured_in_points(con):
    load(con, "UNRATE", [4.0, 4.1, 4.2, 4.3, 4.4, 4.5], "a")
    good_check(con)
    # A seasonal revision of 0.1 pp is 2.5 % of 4.0: in points it is tiny, as it should be.
    load(con, "UNRATE", [4.1, 4.1, 4.2, 4.3, 4.4, 4.5], "b")
    assert revisions(con) == {}
    load(con, "UNRATE", [4.1, 4.1, 4.2, 4.3, 4.4, 45.0], "c")  # a shifted decimal
    (revised,) = revisions(con).values()
    assert (revised.unit, revised.size) == ("pp", pytest.approx(40.5))


def test_a_reviewed_revision_is_accepted_through_its_day(con):
    load(con, "CPIAUCSL", [310.0, 311.0, 312.0, 313.0, 314.0, 315.0], "a")
    good_check(con)
    load(con, "CPIAUCSL", [31.0, 31.1, 31.2, 31.3, 31.4, 31.5], "b")  # a rebasing, say
    assert set(revisions(con)) == {"CPIAUCSL"}
    allowances = load_allowances()
    override = {"fred/CPIAUCSL": SeriesOverride(revisions_accepted_through=dt.date.today())}
    settings = allowances.settings.model_copy(update={"series": {**allowances.settings.series, **override}})
    assert revisions(con, Allowances(settings, load_catalog(), load_freshness())) == {}


def test_a_rejected_body_blocks_and_an_absent_series_warns(con):
    load(con, "CPIAUCSL", [310.0, 311.0, 312.0, 313.0, 314.0, 315.0], "a")
    failures = [
        raw.Failure("UNRATE", "rejected", "fred/UNRATE at line 3: non-positive value -4.0", "replay"),
        raw.Failure(
            "DTWEXBGS", "failed", "fred/DTWEXBGS at line 1: an HTML/XML page instead of data", "replay"
        ),
    ]
    raw.load(con, fred.CONNECTOR, [], failures, "b", as_of=DAYS[-1])
    statuses, _ = loads.evaluate(con, fred.CONNECTOR, load_allowances())
    assert statuses["fred/CPIAUCSL"].status == "loaded" and statuses["fred/UNRATE"].status == "rejected"
    assert statuses["fred/SP500"] is None  # never loaded
    assert loads.describe("fred/DTWEXBGS", statuses["fred/DTWEXBGS"]) == (
        "fred/DTWEXBGS failed: an HTML/XML page instead of data (line 1); none of its data loaded"
    )
    assert loads.describe("fred/CPIAUCSL", statuses["fred/CPIAUCSL"]).endswith("its data end 2026-06-01")
    assert loads.describe("fred/SP500", None) == "fred/SP500 was never loaded: no data of it in the warehouse"


def test_every_source_has_a_blocking_load_check_that_holds_the_summary_back():
    from assets.ingest import CONNECTORS
    from expectations.source_checks import source_checks
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    summary = dg.AssetKey(["marts", "thesis_summary"])
    specs = [spec for check in source_checks for spec in check.check_specs if spec.name == loads.CHECK]
    assert len(specs) == len(CONNECTORS)
    for spec in specs:
        assert spec.blocking
        assert spec.asset_key in graph.get(summary).parent_keys
