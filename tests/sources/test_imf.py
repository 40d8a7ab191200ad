"""IMF COFER: the SDMX-CSV and DBnomics parsers, the vintage kept through revisions, the live
fallback to DBnomics, and the demo body."""

import datetime as dt

import duckdb
import httpx
import pytest
import respx

from assets import raw
from assets.sources import imf
from assets.sources.base import Body, SourceError, Window
from assets.sources.bodies import LiveBodies
from assets.sources.http import HttpClient
from config.catalog import load_catalog
from tests.conftest import FIXTURES, NOW

HEADER = "DATAFLOW,COUNTRY,INDICATOR,FXR_CURRENCY,TYPE_OF_TRANSFORMATION,FREQUENCY,TIME_PERIOD,OBS_VALUE"
ROW = "IMF.STA:COFER(7.0.1),G001,AFXRA,CI_USD,SHRO_PT,Q"


def body(content: bytes | str, ext: str = "csv", when: dt.datetime = NOW) -> Body:
    data = content.encode() if isinstance(content, str) else content
    return Body("imf", "cofer", ext, data, "replay", when, "test://imf")


def fixture(name: str, when: dt.datetime = NOW) -> Body:
    path = FIXTURES / "imf" / name
    return body(path.read_bytes(), ext=path.suffix[1:], when=when)


def shares(table) -> dict[str, float | None]:
    return dict(zip(table.column("period").to_pylist(), table.column("value").to_pylist(), strict=True))


def test_revised_sdmx_csv_parses_with_its_vintage_and_multiline_attributes():
    table = imf.parse(fixture("cofer_sdmx_2026-06_revised.csv"))
    assert shares(table) == {
        "2021-Q4": 59.4025,
        "2025-Q2": 57.08,
        "2025-Q3": 56.92,
        "2025-Q4": 56.77,
        "2026-Q1": 57.13,
    }
    assert table.column("obs_date").to_pylist()[-1] == dt.date(2026, 1, 1)
    assert set(table.column("dataflow").to_pylist()) == {"IMF.STA:COFER(7.0.1)"}
    assert set(table.column("series_id").to_pylist()) == {"cofer"}


def test_dbnomics_json_parses_with_na_as_missing_and_its_own_vintage():
    table = imf.parse(fixture("dbnomics_cofer.json"))
    assert shares(table) == {"2024-Q2": None, "2024-Q3": 57.3, "2024-Q4": 57.8, "2025-Q1": 57.79}
    assert table.column("obs_date").to_pylist()[1] == dt.date(2024, 7, 1)
    assert set(table.column("dataflow").to_pylist()) == {"DBnomics IMF/COFER"}


def test_bom_crlf_and_unsorted_rows_parse():
    content = f"\ufeff{HEADER}\r\n{ROW},2026-Q1,57.13\r\n{ROW},2025-Q3,56.92\r\n".encode()
    assert shares(imf.parse(body(content))) == {"2026-Q1": 57.13, "2025-Q3": 56.92}


def test_sdmx_csv_2_0_stamp_column_is_read_too():
    content = (
        "STRUCTURE,STRUCTURE_ID,ACTION,COUNTRY,INDICATOR,FXR_CURRENCY,TYPE_OF_TRANSFORMATION,FREQUENCY,"
        "TIME_PERIOD,OBS_VALUE\ndataflow,IMF.STA:COFER(7.0.1),I,G001,AFXRA,CI_USD,SHRO_PT,Q,2026-Q1,57.13\n"
    )
    table = imf.parse(body(content))
    assert table.column("dataflow").to_pylist() == ["IMF.STA:COFER(7.0.1)"]


def test_the_real_wide_portal_export_is_rejected_as_another_dataflow(real_data):
    path = real_data / "imf" / "2026-05_kgoel99" / "ctot_model_input_wide_2000_2024.csv"
    with pytest.raises(SourceError) as raised:
        imf.parse(body(path.read_bytes()))
    message = str(raised.value)
    assert message.startswith("imf/cofer at line 1: a wide data-portal export")
    assert "'IMF.RES:CTOT(5.0.1)', not SDMX-CSV of IMF.STA:COFER G001.AFXRA.CI_USD.SHRO_PT.Q" in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            f"{HEADER}\n{ROW},2026-Q1,57.13\n{ROW.replace('CI_USD', 'CI_EUR')},2026-Q1,20.1\n",
            "line 3: wrong series",
        ),
        (f"{HEADER}\n{ROW.replace('COFER', 'IRFCL')},2026-Q1,57.13\n", "line 2: wrong dataflow"),
        (f"{HEADER}\n{ROW},2026Q1,57.13\n", "line 2: not a YYYY-Qn quarter: '2026Q1'"),
        (f"{HEADER}\n{ROW},2026-Q5,57.13\n", "line 2: not a YYYY-Qn quarter"),
        (f"{HEADER}\n{ROW},2026-Q1,101.5\n", "line 2: share 101.5 outside [0, 100]"),
        (f"{HEADER}\n{ROW},2026-Q1,abc\n", "line 2: non-numeric value 'abc'"),
        (f"{HEADER}\n{ROW},2026-Q1,57.1\n{ROW},2026-Q1,57.2\n", "line 3: duplicate date 2026-01-01"),
        (f"{HEADER}\n{ROW},2027-Q1,57.1\n", "in the future"),
        ("<!DOCTYPE html><html><body>Service maintenance</body></html>", "line 1: an HTML/XML page"),
        ("", "line 1: empty body"),
        (f"{HEADER}\n", "no observations in the body (header only)"),
        (f"{HEADER}\n{ROW},2026-Q1,57.13\n{ROW},2025-Q", "line 3: 7 fields, expected 8 (truncated body?)"),
        (
            f'{HEADER},NOTE\n{ROW},2026-Q1,57.13,"cut inside a quot',
            "line 2: malformed CSV (unexpected end of data)",
        ),
        ("TIME_PERIOD,OBS_VALUE\n2026-Q1,57.13\n", "line 1: not SDMX-CSV: no COUNTRY/INDICATOR"),
        (
            f"{HEADER}\n{ROW},2026-Q1,57.13\n{ROW.replace('7.0.1', '7.0.0')},2025-Q4,56.7\n",
            "line 3: two vintages in one body: IMF.STA:COFER(7.0.1) (line 2) and IMF.STA:COFER(7.0.0)",
        ),
        ('{"errorCode": 500, "message": "Internal error"}', "line 1: JSON instead of CSV"),
    ],
)
def test_bad_sdmx_csv_bodies_are_rejected_naming_the_place(content, message):
    with pytest.raises(SourceError) as raised:
        imf.parse(body(content))
    assert str(raised.value).startswith("imf/cofer")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            (FIXTURES / "imf" / "dbnomics_error.json").read_text(),
            "DBnomics error: [{'message': 'Series not found'",
        ),
        (
            '{"message": "Provider not found", "status": 404}',
            "no 'series' object (message 'Provider not found'",
        ),
        ('{"series": {"docs": [], "num_found": 0}}', "expected one series in series.docs, got 0"),
        (
            '{"series": {"docs": [{"provider_code": "IMF", "dataset_code": "COFER", '
            '"series_code": "Q.W00.RAXGFXAREURRT_PT", "period": ["2025-Q1"], "value": [20.0]}]}}',
            "wrong series IMF/COFER/Q.W00.RAXGFXAREURRT_PT",
        ),
        (
            '{"series": {"docs": [{"provider_code": "IMF", "dataset_code": "COFER", '
            '"series_code": "Q.W00.RAXGFXARUSDRT_PT", "period": ["2025-Q1"], "value": ["57.8"]}]}}',
            "value[0]: non-numeric value '57.8'",
        ),
        (
            '{"series": {"docs": [{"provider_code": "IMF", "dataset_code": "COFER", '
            '"series_code": "Q.W00.RAXGFXARUSDRT_PT", "period": ["2025-Q1"], '
            '"period_start_day": ["2025-02-01"], "value": [57.8]}]}}',
            "period_start_day '2025-02-01' does not match 2025-Q1",
        ),
        ('{"series": {"docs": [{"provider_code": "IMF"', "invalid or truncated JSON"),
    ],
)
def test_bad_dbnomics_bodies_are_rejected(content, message):
    with pytest.raises(SourceError) as raised:
        imf.parse(body(content, ext="json"))
    assert str(raised.value).startswith("imf/cofer")
    assert message in str(raised.value)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield connection
    connection.close()


def load(con, parsed_body: Body, run_id: str) -> list[raw.SeriesStats]:
    return raw.load(con, imf.CONNECTOR, [raw.Parsed(parsed_body, imf.parse(parsed_body))], [], run_id)


def test_the_2025_revision_keeps_the_first_published_vintage_in_history(con):
    first = fixture("cofer_sdmx_2025-09_first_published.csv", when=dt.datetime(2025, 10, 1, tzinfo=dt.UTC))
    revised = fixture("cofer_sdmx_2026-06_revised.csv", when=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    load(con, first, "r1")
    stats = load(con, revised, "r2")
    assert (stats[0].rows_new, stats[0].rows_revised) == (4, 1)
    assert con.execute(
        "select period, value, dataflow from raw.imf_cofer where period = '2025-Q2'"
    ).fetchall() == [("2025-Q2", 57.08, "IMF.STA:COFER(7.0.1)")]
    assert con.execute(
        "select period, value, dataflow, fetched_at, superseded_by_sha256 from raw.imf_cofer_history"
    ).fetchall() == [("2025-Q2", 56.32, "IMF.STA:COFER(7.0.0)", first.fetched_at, revised.sha256)]
    # Quarters the revised body did not carry keep the old stamp: staging keeps only the newest one.
    assert con.execute("select dataflow, count(*) from raw.imf_cofer group by 1 order by 1").fetchall() == [
        ("IMF.STA:COFER(7.0.0)", 3),
        ("IMF.STA:COFER(7.0.1)", 5),
    ]


def test_a_body_of_another_vintage_restamps_rows_even_where_the_value_is_unchanged(con):
    load(con, fixture("dbnomics_cofer.json", when=dt.datetime(2025, 9, 1, tzinfo=dt.UTC)), "r1")
    stats = load(con, fixture("cofer_sdmx_2025-09_first_published.csv"), "r2")
    # 2024-Q3, 2024-Q4 and 2025-Q1 have the same values in both: restamped, not left as DBnomics.
    assert (stats[0].rows_new, stats[0].rows_revised) == (1, 3)
    history = con.execute("select period, value, dataflow from raw.imf_cofer_history order by 1").fetchall()
    assert history == [
        ("2024-Q3", 57.3, "DBnomics IMF/COFER"),
        ("2024-Q4", 57.8, "DBnomics IMF/COFER"),
        ("2025-Q1", 57.79, "DBnomics IMF/COFER"),
    ]


def test_reloading_the_same_body_changes_nothing(con):
    load(con, fixture("cofer_sdmx_2026-06_revised.csv"), "r1")
    stats = load(con, fixture("cofer_sdmx_2026-06_revised.csv", when=NOW + dt.timedelta(days=1)), "r2")
    assert (stats[0].rows_new, stats[0].rows_revised) == (0, 0)
    assert con.execute("select count(*) from raw.imf_cofer_history").fetchall() == [(0,)]


SERIES = load_catalog().get("imf", "cofer")
WINDOW = Window(dt.date(2023, 1, 1), dt.date(2026, 11, 24))


def test_request_asks_the_imf_for_sdmx_csv_of_the_whole_history():
    request = imf.request(SERIES, WINDOW)
    assert (
        request.url == "https://api.imf.org/external/sdmx/2.1/data/IMF.STA,COFER/G001.AFXRA.CI_USD.SHRO_PT.Q"
    )
    assert dict(request.params) == {"startPeriod": "1999-Q1"}
    assert request.headers["Accept"] == "application/vnd.sdmx.data+csv;version=1.0.0"
    assert request.ext == "csv"


@pytest.fixture
def sleeps() -> list[float]:
    return []


def live(sleeps: list[float]) -> LiveBodies:
    return LiveBodies(HttpClient(attempts=3, sleep=sleeps.append))


@respx.mock
def test_live_falls_back_to_dbnomics_after_the_imf_fails_its_retries(sleeps):
    imf_route = respx.get(imf.SDMX_URL).mock(return_value=httpx.Response(503, text="Service Unavailable"))
    dbnomics = respx.get(imf.DBNOMICS_URL).mock(
        return_value=httpx.Response(200, content=(FIXTURES / "imf" / "dbnomics_cofer.json").read_bytes())
    )
    got = live(sleeps).get(imf.CONNECTOR, SERIES, WINDOW)
    assert imf_route.call_count == 3 and dbnomics.call_count == 1
    assert imf_route.calls[0].request.headers["Accept"] == imf.SDMX_CSV
    assert sum(s > 0 for s in sleeps) >= 2  # two backoff waits, slept on the fake clock
    assert (got.ext, got.origin, got.url) == ("json", "live", f"{imf.DBNOMICS_URL}?observations=1")
    assert set(imf.parse(got).column("dataflow").to_pylist()) == {"DBnomics IMF/COFER"}


@respx.mock
def test_live_uses_the_imf_answer_and_never_asks_dbnomics_when_the_imf_answers(sleeps):
    respx.get(imf.SDMX_URL).mock(return_value=httpx.Response(200, text=f"{HEADER}\n{ROW},2026-Q1,57.13\n"))
    dbnomics = respx.get(imf.DBNOMICS_URL).mock(return_value=httpx.Response(200, json={}))
    got = live(sleeps).get(imf.CONNECTOR, SERIES, WINDOW)
    assert dbnomics.call_count == 0
    assert got.ext == "csv" and got.url == f"{imf.SDMX_URL}?startPeriod=1999-Q1"


@respx.mock
def test_live_reports_both_failures_when_the_fallback_fails_too(sleeps):
    respx.get(imf.SDMX_URL).mock(return_value=httpx.Response(503, text="Service Unavailable"))
    respx.get(imf.DBNOMICS_URL).mock(return_value=httpx.Response(404, json={"message": "Series not found"}))
    with pytest.raises(SourceError) as raised:
        live(sleeps).get(imf.CONNECTOR, SERIES, WINDOW)
    message = str(raised.value)
    assert message.startswith(f"imf/cofer at {imf.DBNOMICS_URL}?observations=1: HTTP 503 after 3 attempts")
    assert "the fallback failed too: HTTP 404" in message


def test_demo_is_sdmx_csv_that_the_parser_reads_with_the_publication_lag():
    table = imf.parse(body(imf.demo(SERIES, WINDOW)))
    days = table.column("obs_date").to_pylist()
    # Whole history from the demo start, whatever the window; Q3 2026 is out by mid-November.
    assert min(days) == dt.date(2015, 1, 1) and max(days) == dt.date(2026, 7, 1)
    assert set(table.column("dataflow").to_pylist()) == {imf.DEMO_DATAFLOW}
    assert all(0 < v < 100 for v in table.column("value").to_pylist())
    earlier = imf.parse(body(imf.demo(SERIES, Window(WINDOW.start, dt.date(2026, 11, 10)))))
    assert max(earlier.column("obs_date").to_pylist()) == dt.date(2026, 4, 1)


def test_demo_is_deterministic_and_a_past_value_never_moves():
    assert imf.demo(SERIES, WINDOW) == imf.demo(SERIES, WINDOW)
    a_year_on = Window(WINDOW.start, dt.date(2027, 11, 24))
    later = shares(imf.parse(body(imf.demo(SERIES, a_year_on), when=NOW.replace(year=2027))))
    now = shares(imf.parse(body(imf.demo(SERIES, WINDOW))))
    assert len(later) > len(now)
    assert {period: later[period] for period in now} == now
