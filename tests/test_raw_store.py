"""The raw layer: idempotent upserts, revisions kept in history, failed loads change nothing."""

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from assets import raw
from assets.sources import fred
from assets.sources.base import Body
from tests.conftest import NOW


def parsed(csv: str, when: dt.datetime = NOW) -> raw.Parsed:
    body = Body("fred", "DTWEXBGS", "csv", csv.encode(), "replay", when, "test://fred")
    return raw.Parsed(body, fred.parse(body))


def snapshot(con) -> list[tuple]:
    return con.execute("select * from raw.fred_observations order by obs_date").fetchall()


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield connection
    connection.close()


BODY = "observation_date,DTWEXBGS\n2025-01-02,100.0\n2025-01-03,101.0\n2025-01-06,\n"


def test_reloading_the_same_payload_changes_nothing(con):
    first = raw.load(con, fred.CONNECTOR, [parsed(BODY)], [], run_id="r1")
    before = snapshot(con)
    second = raw.load(con, fred.CONNECTOR, [parsed(BODY, NOW + dt.timedelta(days=1))], [], run_id="r2")
    assert (first[0].rows_new, second[0].rows_new, second[0].rows_revised) == (3, 0, 0)
    assert snapshot(con) == before
    assert con.execute("select count(*) from raw.fred_observations_history").fetchall() == [(0,)]


def test_a_revised_value_keeps_its_previous_version(con):
    raw.load(con, fred.CONNECTOR, [parsed(BODY)], [], run_id="r1")
    revised = BODY.replace("101.0", "101.5").replace("2025-01-06,", "2025-01-06,99.0")
    later = NOW + dt.timedelta(days=7)
    stats = raw.load(con, fred.CONNECTOR, [parsed(revised, later)], [], run_id="r2")
    assert (stats[0].rows_new, stats[0].rows_revised) == (0, 2)
    current = {
        r[0]: r[1] for r in con.execute("select obs_date, value from raw.fred_observations").fetchall()
    }
    assert current[dt.date(2025, 1, 3)] == 101.5 and current[dt.date(2025, 1, 6)] == 99.0
    history = con.execute(
        "select obs_date, value, fetched_at, superseded_at is not null "
        "from raw.fred_observations_history order by 1"
    ).fetchall()
    assert [(h[0], h[1]) for h in history] == [(dt.date(2025, 1, 3), 101.0), (dt.date(2025, 1, 6), None)]
    assert all(h[2] == NOW and h[3] for h in history)


def test_every_row_carries_its_lineage(con):
    raw.load(con, fred.CONNECTOR, [parsed(BODY)], [], run_id="r1")
    rows = con.execute(
        "select distinct origin, fetched_at, body_sha256 from raw.fred_observations"
    ).fetchall()
    assert rows == [("replay", NOW, parsed(BODY).body.sha256)]


def test_a_load_that_fails_midway_leaves_the_table_as_it_was(con, monkeypatch):
    raw.load(con, fred.CONNECTOR, [parsed(BODY)], [], run_id="r1")
    before = snapshot(con)

    def broken_merge(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(raw, "upsert", broken_merge)
    with pytest.raises(RuntimeError):
        raw.load(con, fred.CONNECTOR, [parsed(BODY.replace("100.0", "1.0"))], [], run_id="r2")
    assert snapshot(con) == before
    assert con.execute("select count(*) from raw.load_audit where run_id = 'r2'").fetchall() == [(0,)]


def test_failures_are_audited_without_touching_data(con):
    raw.load(
        con,
        fred.CONNECTOR,
        [],
        [raw.Failure("DTWEXBGS", "failed", "fred/DTWEXBGS: HTTP 500", "live")],
        run_id="r1",
    )
    assert con.execute("select count(*) from raw.fred_observations").fetchall() == [(0,)]
    assert con.execute("select status, error from raw.load_audit").fetchall() == [
        ("failed", "fred/DTWEXBGS: HTTP 500")
    ]


def test_identifiers_spliced_into_sql_are_validated():
    with pytest.raises(ValueError, match="unsafe SQL identifier"):
        raw.ident("fred; drop table x")


def test_a_load_merged_in_batches_stores_and_counts_what_one_merge_would(tmp_path, monkeypatch):
    def body(series: str, csv: str) -> raw.Parsed:
        b = Body(
            "fred", series, "csv", csv.replace("DTWEXBGS", series).encode(), "replay", NOW, "test://fred"
        )
        return raw.Parsed(b, fred.parse(b))

    bodies = [body(s, BODY) for s in ("DTWEXBGS", "DEXCHUS", "SP500")]
    results = []
    for batch_rows in (raw.UPSERT_BATCH_ROWS, 4):  # one merge; then one body per merge (3 rows each)
        monkeypatch.setattr(raw, "UPSERT_BATCH_ROWS", batch_rows)
        with duckdb.connect(str(tmp_path / f"wh-{batch_rows}.duckdb")) as connection:
            stats = raw.load(connection, fred.CONNECTOR, bodies, [], run_id="r1")
            rows = connection.execute(
                "select * exclude (fetched_at) from raw.fred_observations order by all"
            ).fetchall()
        results.append((sorted(stats, key=lambda s: s.series_id), rows))
    assert [len(b) for b in raw._batches(bodies, 4)] == [1, 1, 1]
    assert results[0] == results[1] and len(results[0][1]) == 9


def test_a_first_load_inserts_and_counts_what_the_merge_would(tmp_path):
    incoming, bodies = raw._batch_tables([parsed(BODY)], fred.CONNECTOR.schema)
    results = []
    for first in (True, False):
        with duckdb.connect(str(tmp_path / f"wh-{first}.duckdb")) as connection:
            raw.ensure_tables(connection, fred.CONNECTOR)
            stats = raw.upsert(connection, fred.CONNECTOR, incoming, bodies=bodies, first=first)
            results.append((stats, snapshot(connection)))
    assert results[0] == results[1]
    assert [(s.series_id, s.rows_in_body, s.rows_new, s.rows_revised) for s in results[0][0]] == [
        ("DTWEXBGS", 3, 3, 0)
    ]


@pytest.mark.parametrize("held", [False, True], ids=["first load", "merge"])
def test_each_row_of_a_batch_gets_the_lineage_of_its_own_body(con, held):
    # One batch of three bodies, each fetched at its own time from its own origin: the rows are
    # numbered by body and DuckDB joins each body's lineage in (raw._batch_tables).
    def fetched(series: str, origin: str, when: dt.datetime) -> raw.Parsed:
        csv = BODY.replace("DTWEXBGS", series)
        b = Body("fred", series, "csv", csv.encode(), origin, when, f"test://fred/{series}")
        return raw.Parsed(b, fred.parse(b))

    if held:  # the table already holds DTWEXBGS, so the batch is merged rather than inserted
        raw.load(con, fred.CONNECTOR, [fetched("DTWEXBGS", "replay", NOW - dt.timedelta(days=9))], [], "r0")
    batch = [
        fetched("DTWEXBGS", "replay", NOW),
        fetched("SP500", "live", NOW + dt.timedelta(hours=1)),
        fetched("DEXCHUS", "demo", NOW + dt.timedelta(hours=2)),
    ]
    raw.load(con, fred.CONNECTOR, batch, [], run_id="r1")
    expected = {p.body.key: (p.body.origin, p.body.fetched_at, p.body.sha256) for p in batch}
    if held:  # its values are unchanged: its rows keep the lineage of the body that first had them
        expected["DTWEXBGS"] = ("replay", NOW - dt.timedelta(days=9), expected["DTWEXBGS"][2])
    rows = con.execute(
        "select series_id, origin, fetched_at, body_sha256, count(*) from raw.fred_observations group by all"
    ).fetchall()
    assert {r[0]: r[1:4] for r in rows} == expected and {r[4] for r in rows} == {3}


def test_a_load_joins_only_batches_holding_a_series_the_table_already_has(con, monkeypatch):
    raw.load(con, fred.CONNECTOR, [parsed(BODY)], [], run_id="r1")
    revised = parsed(BODY.replace("101.0", "101.5"), NOW + dt.timedelta(days=1))
    new = Body(
        "fred", "SP500", "csv", BODY.replace("DTWEXBGS", "SP500").encode(), "replay", NOW, "test://fred"
    )
    upsert, firsts = raw.upsert, []

    def recording_upsert(*args, first=False, **kw):
        firsts.append(first)
        return upsert(*args, first=first, **kw)

    monkeypatch.setattr(raw, "UPSERT_BATCH_ROWS", 4)  # one body per batch
    monkeypatch.setattr(raw, "upsert", recording_upsert)
    stats = raw.load(con, fred.CONNECTOR, [revised, raw.Parsed(new, fred.parse(new))], [], run_id="r2")
    assert firsts == [False, True]
    assert [(s.series_id, s.rows_new, s.rows_revised) for s in stats] == [("DTWEXBGS", 0, 1), ("SP500", 3, 0)]
    assert con.execute("select count(*) from raw.fred_observations_history").fetchall() == [(1,)]


def test_a_load_in_many_batches_does_not_hold_the_batches_it_has_merged(con, monkeypatch):
    # DuckDB keeps every view a transaction replaced until it commits, and with it the Arrow table
    # the view reads: a first load that named each batch in SQL held them all until the end.
    def body(i: int) -> raw.Parsed:
        series = f"S{i:03d}"
        lines = (f"{dt.date(2000, 1, 1) + dt.timedelta(days=d)},{i + 1 + d / 1000}\n" for d in range(2_000))
        csv = f"observation_date,{series}\n" + "".join(lines)
        b = Body("fred", series, "csv", csv.encode(), "replay", NOW, "test://fred")
        return raw.Parsed(b, fred.parse(b))

    upsert, allocated = raw.upsert, []

    def measuring_upsert(*args, **kw):
        result = upsert(*args, **kw)
        allocated.append(pa.total_allocated_bytes())
        return result

    monkeypatch.setattr(raw, "UPSERT_BATCH_ROWS", 2_000)  # one body per batch
    monkeypatch.setattr(raw, "upsert", measuring_upsert)
    raw.load(con, fred.CONNECTOR, (body(i) for i in range(30)), [], run_id="r1")
    batch = sum(table.nbytes for table in raw._batch_tables([body(0)], fred.CONNECTOR.schema))
    assert len(allocated) == 30 and allocated[-1] - allocated[0] < 3 * batch


def test_a_streamed_load_merges_as_it_goes_and_a_late_failure_undoes_every_batch(con, monkeypatch):
    def fetched(series: str) -> raw.Parsed:
        b = Body(
            "fred", series, "csv", BODY.replace("DTWEXBGS", series).encode(), "replay", NOW, "test://fred"
        )
        return raw.Parsed(b, fred.parse(b))

    pulled: list[str] = []
    merged_after: list[int] = []
    upsert = raw.upsert

    def counting_upsert(*args, **kw):
        merged_after.append(len(pulled))
        return upsert(*args, **kw)

    def bodies():
        for series in ("DTWEXBGS", "DEXCHUS", "SP500"):
            pulled.append(series)
            yield fetched(series)
        raise RuntimeError("connection reset while fetching the fourth series")

    monkeypatch.setattr(raw, "UPSERT_BATCH_ROWS", 4)  # one body (3 rows) per merge
    monkeypatch.setattr(raw, "upsert", counting_upsert)
    with pytest.raises(RuntimeError, match="fourth series"):
        raw.load(con, fred.CONNECTOR, bodies(), [], run_id="r1")
    # Each body was merged once the next one arrived, not after all were held in memory...
    assert merged_after == [2, 3]
    # ...and the failure rolled back the batches already merged, audit included.
    assert con.execute("select count(*) from raw.fred_observations").fetchall() == [(0,)]
    assert con.execute("select count(*) from raw.load_audit").fetchall() == [(0,)]
