"""The FRED parsers on every real payload in ../shared/real-data/fred and on small fixtures."""

import datetime as dt

import pytest

from assets.sources import fred
from assets.sources.base import Body, SourceError
from tests.conftest import NOW

# file → (rows, first (date, value), a missing date or None, last (date, value), missing count)
REAL_FILES = {
    "csv-2025-04_lexie-z/DFF.csv": (14697, ("1985-01-01", 8.74), None, ("2025-03-28", 4.33), 0),
    "csv-2025-11_matemadrigal/CPILFESL.csv": (225, ("2007-01-01", 208.6), None, ("2025-09-01", 330.542), 0),
    "csv-2025-11_matemadrigal/DGS10.csv": (
        4923,
        ("2007-01-02", 4.68),
        "2007-01-15",
        ("2025-11-13", 4.11),
        202,
    ),
    "csv-2025-11_matemadrigal/UNRATE.csv": (224, ("2007-01-01", 4.6), None, ("2025-08-01", 4.3), 0),
    "csv-2025-11_matemadrigal/WALCL.csv": (985, ("2007-01-03", 874626.0), None, ("2025-11-12", 6580462.0), 0),
    "csv-2025-11_yinkaadx/CPIAUCSL.csv": (945, ("1947-01-01", 21.48), None, ("2025-09-01", 324.368), 0),
    "csv-2025-11_yinkaadx/FEDFUNDS.csv": (856, ("1954-07-01", 0.8), None, ("2025-10-01", 4.09), 0),
    "csv-2025-11_yinkaadx/PAYEMS.csv": (1041, ("1939-01-01", 29923.0), None, ("2025-09-01", 159626.0), 0),
    "csv-2026-04_huhng24/DTWEXBGS.csv": (
        2941,
        ("2015-01-02", 102.9027),
        "2015-01-19",
        ("2026-04-10", 118.8552),
        131,
    ),
    "csv-2026-05_joaodso/CBBTCUSD.csv": (
        4193,
        ("2014-12-01", 370.0),
        "2014-12-05",
        ("2026-05-24", 77078.18),
        35,
    ),
    "csv-2026-05_joaodso/DTWEXBGS.csv": (
        5315,
        ("2006-01-02", 101.4155),
        "2007-01-02",
        ("2026-05-15", 119.2825),
        208,
    ),
    "csv-2026-05_joaodso/NASDAQCOM.csv": (
        14426,
        ("1971-02-05", 100.0),
        "1971-02-15",
        ("2026-05-22", 26343.97),
        484,
    ),
    "csv-2026-05_joaodso/SP500.csv": (
        2610,
        ("2016-05-23", 2048.04),
        "2016-05-30",
        ("2026-05-22", 7473.47),
        95,
    ),
    "csv-old-2024-02_dylanlayden/CBBTCUSD.csv": (
        1827,
        ("2019-02-09", 3623.73),
        "2020-09-04",
        ("2024-02-09", 47154.45),
        1,
    ),
    "csv-old-2024-02_dylanlayden/CBETHUSD.csv": (
        1827,
        ("2019-02-09", 118.06),
        "2020-09-04",
        ("2024-02-09", 2489.49),
        1,
    ),
    "csv-old-2024-02_dylanlayden/NASDAQCOM.csv": (
        1305,
        ("2019-02-08", 7298.2),
        "2019-02-18",
        ("2024-02-08", 15793.71),
        45,
    ),
    "csv-old-2024-09_yabotheboss/CPIAUCSL.csv": (
        932,
        ("1947-01-01", 21.48),
        None,
        ("2024-08-01", 314.121),
        0,
    ),
    "csv-old-2024-09_yabotheboss/DEXCHUS.csv": (
        1306,
        ("2019-09-13", 7.0754),
        "2019-10-14",
        ("2024-09-13", 7.093),
        56,
    ),
    "csv-old-2024-09_yabotheboss/DFF.csv": (1828, ("2019-09-19", 1.9), None, ("2024-09-19", 4.83), 0),
    "csv-old-2024-09_yabotheboss/GDPC1.csv": (
        310,
        ("1947-01-01", 2182.681),
        None,
        ("2024-04-01", 22924.863),
        0,
    ),
    "csv-old-2024-09_yabotheboss/UNRATE.csv": (920, ("1948-01-01", 3.4), None, ("2024-08-01", 4.2), 0),
    "api-json-2026-08_pansack/A191RL1Q225SBEA.json": (106, ("2000-01-01", 1.5), None, ("2026-04-01", 1.5), 0),
    "api-json-2026-08_pansack/CPIAUCSL.json": (
        319,
        ("2000-01-01", 169.3),
        "2025-10-01",
        ("2026-07-01", 332.813),
        1,
    ),
    "api-json-2026-08_pansack/FEDFUNDS.json": (319, ("2000-01-01", 5.45), None, ("2026-07-01", 3.63), 0),
    "api-json-2026-08_pansack/PAYEMS.json": (
        319,
        ("2000-01-01", 131011.0),
        None,
        ("2026-07-01", 158858.0),
        0,
    ),
    "api-json-2026-08_pansack/UNRATE.json": (319, ("2000-01-01", 4.0), "2025-10-01", ("2026-07-01", 4.1), 1),
}


def body(content: bytes | str, key: str = "DTWEXBGS", ext: str = "csv") -> Body:
    data = content.encode() if isinstance(content, str) else content
    return Body("fred", key, ext, data, "replay", NOW, "test://fred")


def values(table) -> dict[dt.date, float | None]:
    return dict(zip(table.column("obs_date").to_pylist(), table.column("value").to_pylist(), strict=True))


def test_every_real_fred_file_is_covered(real_data):
    on_disk = {str(p.relative_to(real_data / "fred")) for p in (real_data / "fred").glob("*/*.*")}
    assert on_disk == set(REAL_FILES)


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_fred_payload_parses_exactly(real_data, name):
    path = real_data / "fred" / name
    rows, (first_day, first_value), missing_day, (last_day, last_value), missing = REAL_FILES[name]
    table = fred.parse(body(path.read_bytes(), key=path.stem, ext=path.suffix[1:]))
    got = values(table)
    assert table.num_rows == rows
    assert got[dt.date.fromisoformat(first_day)] == pytest.approx(first_value, abs=0)
    assert got[dt.date.fromisoformat(last_day)] == pytest.approx(last_value, abs=0)
    if missing_day:
        assert got[dt.date.fromisoformat(missing_day)] is None
    assert sum(v is None for v in got.values()) == missing
    assert set(table.column("series_id").to_pylist()) == {path.stem}


def test_json_keeps_the_vintage_and_reads_long_decimals_as_numbers(real_data):
    path = real_data / "fred" / "api-json-2026-08_pansack" / "FEDFUNDS.json"
    table = fred.parse(body(path.read_bytes(), key="FEDFUNDS", ext="json"))
    last = table.slice(table.num_rows - 1).to_pylist()[0]
    assert last["value"] == 3.63  # sent as "3.6300000000"
    assert last["realtime_start"] == dt.date(2026, 8, 3)


def test_both_header_dialects_and_both_missing_markers():
    new = fred.parse(body("observation_date,DTWEXBGS\n2025-12-24,120.5\n2025-12-25,\n"))
    old = fred.parse(body("DATE,DTWEXBGS\n2025-12-24,120.5\n2025-12-25,.\n"))
    assert values(new) == values(old) == {dt.date(2025, 12, 24): 120.5, dt.date(2025, 12, 25): None}


def test_bom_crlf_and_unsorted_rows_parse():
    table = fred.parse(
        body(b"\xef\xbb\xbfobservation_date,DTWEXBGS\r\n2025-01-03,101.0\r\n2025-01-02,100.0\r\n")
    )
    assert values(table) == {dt.date(2025, 1, 2): 100.0, dt.date(2025, 1, 3): 101.0}


@pytest.mark.parametrize(
    ("content", "ext", "message"),
    [
        ("<!DOCTYPE html><html><body>Service Unavailable</body></html>", "csv", "HTML"),
        ("", "csv", "line 1: empty body"),
        ("observation_date,DTWEXBGS\n", "csv", "header only"),
        (
            "observation_date,SP500\n2025-01-02,5000\n",
            "csv",
            "expected header '<date>,DTWEXBGS', got 'observation_date,SP500'",
        ),
        ("observation_date,DTWEXBGS\n2025-01-02,abc\n", "csv", "line 2: non-numeric value 'abc'"),
        (
            "observation_date,DTWEXBGS\n2025-01-02,1\n2025-01-02,2\n",
            "csv",
            "line 3: duplicate date 2025-01-02",
        ),
        ("observation_date,DTWEXBGS\n2027-01-02,100\n", "csv", "in the future"),
        ("observation_date,DTWEXBGS\n2025-01-02,-5\n", "csv", "non-positive value"),
        ("observation_date,DTWEXBGS\n2025-01-02,1e300\n", "csv", "absurd value"),
        ("observation_date,DTWEXBGS\n02/01/2025,100\n", "csv", "not an ISO date"),
        (
            '{"error_code":400,"error_message":"Bad Request. The value for variable api_key is not valid."}',
            "json",
            "API error 400",
        ),
        ('{"observations":[{"date":"2025-01-02","value":"1"}', "json", "truncated JSON"),
        ('{"realtime_start":"2025-01-01","obs":[]}', "json", "no 'observations' list"),
        ('{"observations":[{"day":"2025-01-02","value":"1"}]}', "json", "observations[0]"),
    ],
)
def test_bad_bodies_are_rejected_naming_source_series_and_place(content, ext, message):
    with pytest.raises(SourceError) as raised:
        fred.parse(body(content, ext=ext))
    assert str(raised.value).startswith("fred/DTWEXBGS")
    assert message in str(raised.value)


def test_request_is_keyless_csv_without_a_key_and_json_with_one():
    from config.catalog import load_catalog

    series = load_catalog().get("fred", "DTWEXBGS")
    window = fred.Window(dt.date(2025, 1, 1), dt.date(2025, 2, 1))
    keyless = fred.request(series, window)
    keyed = fred.request(series, window, api_key="a" * 32)
    assert (keyless.ext, keyless.params["id"], keyless.params["cosd"]) == ("csv", "DTWEXBGS", "2025-01-01")
    assert keyed.ext == "json" and keyed.params["api_key"] == "a" * 32 and "api_key" in keyed.secret_params


def test_demo_body_is_fredgraph_csv_that_the_real_parser_reads():
    from config.catalog import load_catalog

    series = load_catalog().get("fred", "CPIAUCSL")
    content = fred.demo(series, fred.Window(dt.date(2025, 1, 1), dt.date(2026, 11, 24)))
    assert content.startswith(b"observation_date,CPIAUCSL\n")
    got = values(fred.parse(body(content, key="CPIAUCSL")))
    assert got[dt.date(2025, 10, 1)] is None  # the month the 2025 shutdown cancelled
    assert min(got) == dt.date(2025, 1, 1) and max(got) == dt.date(2026, 10, 1)
    assert all(v is None or v > 0 for v in got.values())
