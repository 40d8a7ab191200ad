"""Status flips: computed by the summary against the previous as-of date, kept in a table and in
the `status_flips` metadata the alert sensor reads."""

import datetime as dt

import duckdb
import polars as pl
import pytest

from assets.history import status_flips, statuses
from assets.summary import write_summary
from assets.thesis import SUMMARY_SCHEMA

MONDAY, TUESDAY = dt.date(2026, 11, 23), dt.date(2026, 11, 24)


def summary(as_of: dt.date, dollar: str, equities: str, verdict: str) -> pl.DataFrame:
    rows = [
        {"row_type": "metric", "pillar": "dollar", "metric": "m", "as_of": as_of, "status": dollar},
        {"row_type": "pillar", "pillar": "dollar", "as_of": as_of, "status": dollar},
        {"row_type": "pillar", "pillar": "equities", "as_of": as_of, "status": equities},
        {"row_type": "verdict", "as_of": as_of, "status": verdict},
    ]
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA)


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
        {"dollar": "contradicts", "equities": "neutral", "crypto": "confirms", "verdict": "contradicts"},
        {"dollar": "confirms", "equities": "neutral", "verdict": "neutral"},
        TUESDAY,
    )
    assert flips == [
        {"pillar": "dollar", "previous_status": "confirms", "status": "contradicts", "as_of": "2026-11-24"},
        {"pillar": "verdict", "previous_status": "neutral", "status": "contradicts", "as_of": "2026-11-24"},
    ]


def test_write_summary_compares_with_the_previous_as_of_and_keeps_the_flips(con):
    assert write_summary(con, summary(MONDAY, "confirms", "neutral", "confirms"), "run-1", MONDAY) == []
    flips = write_summary(con, summary(TUESDAY, "stale", "neutral", "neutral"), "run-2", TUESDAY)
    assert [(f["pillar"], f["previous_status"], f["status"]) for f in flips] == [
        ("dollar", "confirms", "stale"),
        ("verdict", "confirms", "neutral"),
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
