"""Status flips: computed by the summary against the same thesis' previous as-of date, kept in a
table and in the `status_flips` metadata the alert sensor reads."""

import datetime as dt

import duckdb
import polars as pl
import pytest

from assets.history import status_flips, statuses
from assets.summary import FIRST_THESIS, ensure_history, write_summary
from assets.thesis import SUMMARY_SCHEMA

MONDAY, TUESDAY = dt.date(2026, 11, 23), dt.date(2026, 11, 24)


def summary(
    as_of: dt.date, dollar: str, equities: str, verdict: str, thesis: str = FIRST_THESIS
) -> pl.DataFrame:
    rows = [
        {"row_type": "metric", "pillar": "dollar", "metric": "m", "as_of": as_of, "status": dollar},
        {"row_type": "pillar", "pillar": "dollar", "as_of": as_of, "status": dollar},
        {"row_type": "pillar", "pillar": "equities", "as_of": as_of, "status": equities},
        {"row_type": "verdict", "as_of": as_of, "status": verdict},
    ]
    return pl.DataFrame([{**r, "thesis": thesis} for r in rows], schema=SUMMARY_SCHEMA)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield connection
    connection.close()


def test_statuses_name_the_verdict_verdict():
    assert statuses(summary(MONDAY, "confirms", "neutral", "neutral")) == {
        "dollar": "confirms",
        "equities": "neutral",
        "verdict": "neutral",
    }


def test_flips_are_changed_statuses_and_a_new_pillar_is_not_a_flip():
    flips = status_flips(
        "t",
        {"dollar": "contradicts", "equities": "neutral", "crypto": "confirms", "verdict": "contradicts"},
        {"dollar": "confirms", "equities": "neutral", "verdict": "neutral"},
        TUESDAY,
    )
    flip = {"thesis": "t", "previous_status": "confirms", "status": "contradicts", "as_of": "2026-11-24"}
    assert flips == [
        {**flip, "pillar": "dollar"},
        {**flip, "pillar": "verdict", "previous_status": "neutral"},
    ]


def test_write_summary_compares_with_the_previous_as_of_and_keeps_the_flips(con):
    assert write_summary(con, summary(MONDAY, "confirms", "neutral", "confirms"), "run-1", MONDAY) == []
    flips = write_summary(con, summary(TUESDAY, "stale", "neutral", "neutral"), "run-2", TUESDAY)
    assert [(f["thesis"], f["pillar"], f["previous_status"], f["status"]) for f in flips] == [
        (FIRST_THESIS, "dollar", "confirms", "stale"),
        (FIRST_THESIS, "verdict", "confirms", "neutral"),
    ]
    table = "select pillar, previous_as_of, previous_status, status, run_id from marts.thesis_status_flips"
    assert con.execute(table + " order by pillar").fetchall() == [
        ("dollar", MONDAY, "confirms", "stale", "run-2"),
        ("verdict", MONDAY, "confirms", "neutral", "run-2"),
    ]
    # A re-run of the same day replaces that day's flips (still against Monday, not against itself).
    again = write_summary(con, summary(TUESDAY, "confirms", "neutral", "neutral"), "run-3", TUESDAY)
    assert [f["pillar"] for f in again] == ["verdict"]
    assert con.execute(table).fetchall() == [("verdict", MONDAY, "confirms", "neutral", "run-3")]


class FailingHistoryInsert:
    """A connection whose history insert fails, as a full disk would."""

    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args):
        if "insert into marts.thesis_summary_history" in sql:
            raise RuntimeError("disk full")
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_failed_summary_write_leaves_no_flips_behind(con):
    write_summary(con, summary(MONDAY, "confirms", "neutral", "confirms"), "run-1", MONDAY)
    with pytest.raises(RuntimeError, match="disk full"):
        write_summary(
            FailingHistoryInsert(con), summary(TUESDAY, "contradicts", "neutral", "neutral"), "run-2", TUESDAY
        )
    assert con.execute("select count(*) from marts.thesis_status_flips").fetchall() == [(0,)]
    assert con.execute("select distinct as_of from marts.thesis_summary").fetchall() == [(MONDAY,)]


def test_each_thesis_flips_against_its_own_previous_snapshot(con):
    """Two theses share the tables; a thesis first evaluated today has nothing to flip from, and
    one thesis' statuses are never the other's baseline."""
    write_summary(con, summary(MONDAY, "confirms", "neutral", "confirms", thesis="a"), "run-1", MONDAY)
    both = pl.concat(
        [
            summary(TUESDAY, "contradicts", "neutral", "neutral", thesis="a"),
            summary(TUESDAY, "confirms", "neutral", "confirms", thesis="b"),
        ]
    )
    flips = write_summary(con, both, "run-2", TUESDAY)
    assert {(f["thesis"], f["pillar"]) for f in flips} == {("a", "dollar"), ("a", "verdict")}
    assert con.execute("select distinct thesis from marts.thesis_summary order by 1").fetchall() == [
        ("a",),
        ("b",),
    ]
    history = "select thesis, as_of, count(*) from marts.thesis_summary_history group by all order by 1, 2"
    assert con.execute(history).fetchall() == [("a", MONDAY, 4), ("a", TUESDAY, 4), ("b", TUESDAY, 4)]


def test_a_history_from_before_theses_had_ids_becomes_the_essays(con):
    """An existing warehouse migrates: its history gains the thesis column, its rows the essay's id,
    and today's flips compare with them."""
    con.execute("create schema marts")
    con.execute(
        "create table marts.thesis_summary_history as select 'run-0' as run_id, "
        "cast(? as date) as as_of, * from (values ('pillar', 'dollar', 'confirms'), "
        "('verdict', null, 'confirms')) as t(row_type, pillar, status)",
        [MONDAY],
    )
    ensure_history(con)
    assert con.execute("select distinct thesis from marts.thesis_summary_history").fetchall() == [
        (FIRST_THESIS,)
    ]
    flips = write_summary(con, summary(TUESDAY, "contradicts", "neutral", "confirms"), "run-1", TUESDAY)
    assert [(f["thesis"], f["pillar"], f["previous_status"]) for f in flips] == [
        (FIRST_THESIS, "dollar", "confirms")
    ]
