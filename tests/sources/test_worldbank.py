"""The World Bank connector: every real payload in ../shared/real-data/worldbank, fixtures in the
API's own format, a mocked live fetch, the aggregates seed, and the demo bodies."""

import csv
import datetime as dt
import json
import os
import random
import subprocess

import duckdb
import httpx
import pytest
import respx

from assets import raw
from assets.sources import worldbank
from assets.sources.base import Body, SourceError, Window
from assets.sources.bodies import LiveBodies, ReplayBodies
from assets.sources.http import HttpClient
from assets.sources.worldbank import api, demo, parsing
from assets.sources.worldbank.aggregates import Economy, aggregates_csv, parse_countries
from assets.sources.worldbank.paging import Paging
from config.catalog import load_catalog
from config.resources import DBT_PROJECT_DIR, dbt_executable
from tests.conftest import NOW

FOLDER = "worldbank/2024-04_oliverqueen14"
SEED = DBT_PROJECT_DIR / "seeds" / "worldbank_aggregates.csv"
GDP = "NY.GDP.MKTP.CD"


def body(content: bytes | str, key: str = GDP, fetched: dt.datetime = NOW) -> Body:
    data = content.encode() if isinstance(content, str) else content
    return Body("worldbank", key, "json", data, "replay", fetched, "test://worldbank")


def by_key(table) -> dict[tuple[str, int], dict]:
    return {(r["country_code"], r["year"]): r for r in table.to_pylist()}


def row(iso3="USA", country="US", name="United States", date="2022", value=25.4e12, indicator=GDP) -> dict:
    """One row exactly as the API writes it."""
    return {
        "indicator": {"id": indicator, "value": "GDP (current US$)"},
        "country": {"id": country, "value": name},
        "countryiso3code": iso3,
        "date": date,
        "value": value,
        "unit": "",
        "obs_status": "",
        "decimal": 0,
    }


def answer(rows: list | None, **paging) -> str:
    head = {"page": 1, "pages": 1, "per_page": 20000, "total": len(rows or []), "sourceid": "2"}
    return json.dumps([{**head, "lastupdated": "2026-07-01", **paging}, rows], separators=(",", ":"))


# ---- real payloads --------------------------------------------------------------------------


def test_every_real_worldbank_file_is_covered(real_data):
    on_disk = {p.name for p in (real_data / FOLDER).iterdir()}
    assert on_disk == {
        "GBR_SP.POP.TOTL.json",
        "FRA_NY.GDP.MKTP.CD.json",
        "all_NY.GDP.MKTP.CD_page1of2.json",
        "countries.json",
    }


def test_real_single_country_population(real_data):
    table = parsing.parse(body((real_data / FOLDER / "GBR_SP.POP.TOTL.json").read_bytes(), "SP.POP.TOTL"))
    got = by_key(table)
    assert table.num_rows == 64 and set(table.column("indicator_id").to_pylist()) == {"SP.POP.TOTL"}
    assert got["GBR", 2023] == {
        "indicator_id": "SP.POP.TOTL",
        "country_code": "GBR",
        "country_id": "GB",
        "country_name": "United Kingdom",
        "year": 2023,
        "obs_date": dt.date(2023, 1, 1),
        "value": None,  # the latest year is null until the WDI update
        "last_updated": dt.date(2024, 3, 28),
    }
    assert got["GBR", 2022]["value"] == 66971395
    assert got["GBR", 2000]["value"] == 58892514
    assert got["GBR", 1960]["value"] == 52400000


def test_real_single_country_gdp_keeps_every_decimal(real_data):
    got = by_key(parsing.parse(body((real_data / FOLDER / "FRA_NY.GDP.MKTP.CD.json").read_bytes())))
    assert len(got) == 64 and got["FRA", 2023]["value"] is None
    assert got["FRA", 2022]["value"] == 2779092236505.85
    assert got["FRA", 2008]["value"] == 2930303780828.12
    assert got["FRA", 1960]["value"] == 62225478000.8822


def test_real_first_page_of_two_is_rejected_as_incomplete(real_data):
    content = (real_data / FOLDER / "all_NY.GDP.MKTP.CD_page1of2.json").read_bytes()
    with pytest.raises(SourceError) as raised:
        parsing.parse(body(content))
    assert str(raised.value) == (
        "worldbank/NY.GDP.MKTP.CD at paging: the body is page 1 of 2 (10000 of 17024 rows), "
        "so the answer is incomplete; per_page would need to be at least 17024"
    )


def test_real_all_countries_page_parses_exactly(real_data):
    content = (real_data / FOLDER / "all_NY.GDP.MKTP.CD_page1of2.json").read_bytes()
    paging, table = parsing.parse_page(body(content))
    got = by_key(table)
    assert paging == Paging(1, 2, 10000, 17024, dt.date(2024, 3, 28))
    assert table.num_rows == 10000 and sum(v is None for v in table.column("value").to_pylist()) == 1969
    world = got["WLD", 2022]
    assert (world["country_id"], world["country_name"], world["value"]) == ("1W", "World", 100879560825391.0)
    assert got["WLD", 2023]["value"] is None and got["WLD", 1960]["value"] == 1381135479871.29
    assert got["AFE", 2022]["value"] == 1185137703650.99  # an aggregate, first in the body
    assert got["CHN", 2022]["value"] == 17963171479205.3
    assert got["KGZ", 2008]["value"] == 5139958909.17936  # the page's last row
    # Income groups come without an ISO3 code: the key falls back to the API's own id.
    assert (got["XD", 2022]["country_name"], got["XD", 2022]["value"]) == ("High income", 61729512123777.8)


# ---- fixtures in the API's format -------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<!DOCTYPE html><html><head><title>Request Error</title></head></html>", "an HTML/XML page"),
        ("", "empty body"),
        (
            '[{"message":[{"id":"120","key":"Invalid value",'
            '"value":"The provided parameter value is not valid"}]}]',
            "API error id 120 'Invalid value': 'The provided parameter value is not valid'",
        ),
        (
            '[{"message":[{"id":"175","key":"Invalid format","value":'
            '"The indicator was not found. It may have been deleted or archived."}]}]',
            "API error id 175 'Invalid format': 'The indicator was not found.",
        ),
        (
            '[{"page":0,"pages":0,"per_page":0,"total":0,"sourceid":null,"lastupdated":null},null]',
            "no rows (total 0, rows null)",
        ),
        (answer([], pages=0), "no rows (total 0, rows empty)"),
        (answer([row()])[:-40], "invalid or truncated JSON"),
        ('{"page":1,"pages":1}', "expected a 2-element array [paging, rows]"),
        (answer([row()], pages="two"), "paging: paging field 'pages' is not a count: 'two'"),
        (answer([row()], lastupdated="28/03/2024"), "lastupdated is not an ISO date"),
        (answer([row()], total=5), "the page holds 1 rows where its paging block promises 5"),
        (
            answer([row(date="2022"), row(date="2021", indicator="SP.POP.TOTL")]),
            "rows[1] (USA 2021): row is for indicator 'SP.POP.TOTL', not the one requested",
        ),
        (
            answer([row(value=1.0), row(date="2021"), row(value=2.0)]),
            "rows[2] (USA 2022): duplicate date 2022-01-01 (first at rows[0] (USA 2022))",
        ),
        (answer([row(date="2027")]), "rows[0] (USA 2027): date 2027-01-01 is in the future"),
        (answer([row(value="25.4e12")]), "rows[0] (USA 2022): non-numeric value '25.4e12'"),
        (answer([row(value=True)]), "non-numeric value 'True'"),
        (answer([row(value=2.0e16)]), "rows[0] (USA 2022): absurd value"),
        (answer([row(value=-1.0)]), "non-positive value -1.0 for a positive series"),
        (answer([row(date="2022Q1")]), "rows[0] (USA): date is not a year: '2022Q1'"),
        (answer([{**row(), "country": {"value": "Nowhere"}}]), "rows[0]: row without country.id"),
        (answer([row()], page=1, pages=3, per_page=1, total=3), "page 1 of 3 (1 of 3 rows)"),
    ],
)
def test_bad_bodies_are_rejected_naming_source_series_and_place(content, message):
    with pytest.raises(SourceError) as raised:
        parsing.parse(body(content))
    assert str(raised.value).startswith(f"worldbank/{GDP}")
    assert message in str(raised.value)


def test_paging_numbers_sent_as_strings_parse():
    content = answer([row(), row(date="2021", value=None)], page="1", pages="1", per_page="20000", total="2")
    assert by_key(parsing.parse(body(content)))["USA", 2021]["value"] is None


def test_bom_and_crlf_parse():
    pretty = json.dumps(json.loads(answer([row(), row(date="2021", value=23.3e12)])), indent=1)
    content = b"\xef\xbb\xbf" + pretty.replace("\n", "\r\n").encode()
    assert {k: r["value"] for k, r in by_key(parsing.parse(body(content))).items()} == {
        ("USA", 2022): 25.4e12,
        ("USA", 2021): 23.3e12,
    }


def test_row_order_does_not_matter_and_codes_fall_back_to_the_api_id():
    rows = [
        row(iso3=iso3, country=cid, date=str(year), value=1e12 + year)
        for iso3, cid in [("USA", "US"), ("", "XD")]
        for year in range(2015, 2023)
    ]
    newest_first = parsing.parse(body(answer(rows))).to_pylist()
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(parsing.parse(body(answer(shuffled))).to_pylist(), key=str) == sorted(newest_first, key=str)
    assert {r["country_code"] for r in newest_first} == {"USA", "XD"}


def test_negative_values_pass_only_for_series_the_catalog_allows(monkeypatch):
    catalog = load_catalog()
    growth = catalog.get("worldbank", GDP).model_copy(update={"id": "NY.GDP.MKTP.KD.ZG", "positive": False})
    widened = catalog.model_copy(update={"series": [*catalog.series, growth]})
    monkeypatch.setattr(parsing, "load_catalog", lambda: widened)
    content = answer([row(value=-2.5, indicator="NY.GDP.MKTP.KD.ZG")])
    assert parsing.parse(body(content, key="NY.GDP.MKTP.KD.ZG")).column("value").to_pylist() == [-2.5]
    with pytest.raises(SourceError, match="non-positive"):
        parsing.parse(body(answer([row(value=-2.5)])))


# ---- request and live fetch -----------------------------------------------------------------


def test_request_asks_every_economy_in_one_page_for_the_window_years():
    series = load_catalog().get("worldbank", "SP.POP.TOTL")
    request = api.request(series, Window(dt.date(1960, 1, 1), dt.date(2026, 11, 24)), api_key="k" * 32)
    assert request.url == "https://api.worldbank.org/v2/country/all/indicator/SP.POP.TOTL"
    assert dict(request.params) == {"format": "json", "per_page": "20000", "date": "1960:2026"}
    assert request.ext == "json" and not request.secret_params


@respx.mock
def test_live_fetch_retries_a_502_then_records_a_body_replay_reads_back(tmp_path):
    content = answer([row(), row(iso3="WLD", country="1W", name="World", value=105.4e12)])
    route = respx.get(f"https://api.worldbank.org/v2/country/all/indicator/{GDP}").mock(
        side_effect=[httpx.Response(502, text="Bad Gateway"), httpx.Response(200, content=content.encode())]
    )
    sleeps: list[float] = []
    client = HttpClient(sleep=sleeps.append, backoff_initial=0.01)
    series = load_catalog().get("worldbank", GDP)
    try:
        live = LiveBodies(client, fred_api_key="not-for-the-world-bank", record_dir=tmp_path)
        fetched = live.get(worldbank.CONNECTOR, series, Window(dt.date(2021, 1, 1), dt.date(2026, 11, 24)))
    finally:
        client.close()
    assert route.call_count == 2 and sleeps
    assert dict(route.calls[-1].request.url.params) == {
        "format": "json",
        "per_page": "20000",
        "date": "2021:2026",
    }
    assert "api_key" not in str(route.calls[-1].request.url)
    assert by_key(parsing.parse(fetched))["WLD", 2022]["value"] == 105.4e12
    replayed = ReplayBodies(tmp_path).get(
        worldbank.CONNECTOR, series, Window(dt.date(2021, 1, 1), dt.date(2026, 11, 24))
    )
    assert replayed.content == content.encode() and (tmp_path / "worldbank" / f"{GDP}.json").is_file()


# ---- the aggregates seed ----------------------------------------------------------------------


def countries(real_data) -> list[Economy]:
    return parse_countries(body((real_data / FOLDER / "countries.json").read_bytes(), "countries"))


def test_the_seed_is_exactly_the_aggregates_of_the_real_country_list(real_data):
    economies = countries(real_data)
    aggregates = [e for e in economies if e.is_aggregate]
    assert len(economies) == 296 and len(aggregates) == 79
    assert SEED.read_text() == aggregates_csv(economies)
    assert {"WLD", "EUU", "HIC"} <= {e.iso3 for e in aggregates}


def test_namibia_is_a_country_and_its_code_na_survives(real_data):
    namibia = next(e for e in countries(real_data) if e.iso3 == "NAM")
    assert namibia == Economy("NAM", "NA", "Namibia", is_aggregate=False)
    with SEED.open() as handle:
        seeded = list(csv.DictReader(handle))
    assert "NAM" not in {r["iso3"] for r in seeded} and all(r["iso2"] for r in seeded)


def test_dbt_loads_the_seed_as_text_with_every_code(tmp_path, real_data):
    warehouse = tmp_path / "seed.duckdb"
    subprocess.run(
        [
            dbt_executable(),
            "seed",
            "--quiet",
            "--select",
            "worldbank_aggregates",
            "--target-path",
            str(tmp_path / "target"),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "WAREHOUSE_PATH": str(warehouse)},
        check=True,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        types = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'reference' and table_name = 'worldbank_aggregates'"
        ).fetchall()
        loaded = set(con.execute("select iso3, iso2, name from reference.worldbank_aggregates").fetchall())
    assert dict(types) == dict.fromkeys(["iso3", "iso2", "name", "source_url"], "VARCHAR")
    assert loaded == {(e.iso3, e.iso2, e.name) for e in countries(real_data) if e.is_aggregate}


# ---- demo bodies ------------------------------------------------------------------------------

CATALOG_IDS = ["SP.POP.TOTL", GDP, "NE.EXP.GNFS.CD", "CM.MKT.LCAP.CD"]


def demo_table(series_id: str, end: dt.date, start: dt.date = dt.date(2015, 1, 1)):
    series = load_catalog().get("worldbank", series_id)
    content = demo.demo(series, Window(start, end))
    fetched = dt.datetime.combine(end, dt.time(12), dt.UTC)
    return content, parsing.parse(body(content, series_id, fetched))


def test_demo_bodies_cover_every_catalog_indicator():
    assert sorted(s.id for s in load_catalog().for_source("worldbank")) == sorted(CATALOG_IDS)


@pytest.mark.parametrize("series_id", CATALOG_IDS)
def test_demo_body_is_the_api_wire_format(series_id):
    content, table = demo_table(series_id, dt.date(2026, 11, 24))
    paging, rows = json.loads(content)
    assert paging == {
        "page": 1,
        "pages": 1,
        "per_page": 20000,
        "total": len(rows),
        "sourceid": "2",
        "lastupdated": "2026-07-15",
    }
    assert set(rows[0]) == {
        "indicator",
        "country",
        "countryiso3code",
        "date",
        "value",
        "unit",
        "obs_status",
        "decimal",
    }
    assert [r["date"] for r in rows[:12]] == [str(y) for y in range(2026, 2014, -1)]  # newest first
    assert [r["country"]["value"] for r in rows[::12][:3]] == ["European Union", "High income", "World"]
    codes = {r["country_code"] for r in table.to_pylist()}
    assert {"USA", "CHN", "WLD", "EUU", "XD", "NAM"} <= codes and len(codes) == 16


def test_the_same_window_gives_the_same_bytes():
    assert demo_table(GDP, dt.date(2026, 11, 24))[0] == demo_table(GDP, dt.date(2026, 11, 24))[0]


@pytest.mark.parametrize("series_id", CATALOG_IDS)
def test_moving_the_end_date_never_changes_a_past_value(series_id):
    ends = [dt.date(2016, 8, 1) + dt.timedelta(days=97 * i) for i in range(40)]
    seen: dict[tuple[str, int], float] = {}
    for end in ends:
        for key, r in by_key(demo_table(series_id, end)[1]).items():
            if r["value"] is not None:
                assert seen.setdefault(key, r["value"]) == r["value"], (key, end)


def test_the_latest_year_is_null_until_published_and_the_vintage_moves_with_it():
    def usa(end):
        content, table = demo_table(GDP, end)
        return json.loads(content)[0]["lastupdated"], {
            y: r["value"] for (c, y), r in by_key(table).items() if c == "USA"
        }

    vintage, before = usa(dt.date(2026, 7, 14))
    assert vintage == "2025-07-15" and max(before) == 2025 and before[2025] is None and before[2024] > 0
    vintage, after = usa(dt.date(2026, 7, 15))
    assert vintage == "2026-07-15" and max(after) == 2026 and after[2026] is None and after[2025] > 0


def test_world_market_cap_is_null_from_2021_and_present_before():
    got = by_key(demo_table("CM.MKT.LCAP.CD", dt.date(2026, 11, 24))[1])
    assert [got["WLD", y]["value"] is None for y in range(2018, 2026)] == [False] * 3 + [True] * 5
    assert all(got["USA", y]["value"] is not None for y in range(2015, 2026))


def shares(series_id: str) -> dict[int, tuple[float | None, float, float]]:
    """Per year: US/World, US/sum of countries (seed aggregates left out), US/sum of every row."""
    with SEED.open() as handle:
        seeded = list(csv.DictReader(handle))
    aggregates = {r["iso3"] for r in seeded} | {r["iso2"] for r in seeded}
    years: dict[int, dict[str, float | None]] = {}
    for r in demo_table(series_id, dt.date(2026, 11, 24))[1].to_pylist():
        years.setdefault(r["year"], {})[r["country_code"]] = r["value"]
    out = {}
    for year, values in years.items():
        if values["USA"] is None:
            continue
        countries_only = sum(v for c, v in values.items() if c not in aggregates)
        everything = sum(v for v in values.values() if v is not None)
        world = values["WLD"]
        assert world is None or world > countries_only  # World holds every country, listed or not
        out[year] = (
            world and values["USA"] / world,
            values["USA"] / countries_only,
            values["USA"] / everything,
        )
    return out


def test_demo_us_shares_are_plausible():
    population = shares("SP.POP.TOTL")
    assert all(0.041 <= s[0] <= 0.044 for s in population.values())
    assert 0.0415 <= population[2024][0] <= 0.0435  # WDI 2024: 4.18 %
    assert all(0.22 <= s[0] <= 0.27 for s in shares(GDP).values())
    assert all(0.07 <= s[0] <= 0.12 for s in shares("NE.EXP.GNFS.CD").values())
    market_cap = shares("CM.MKT.LCAP.CD")
    assert all(0.40 <= s[1] <= 0.60 for s in market_cap.values())
    # Summing the aggregates too would understate the US share badly: the fallback must drop them.
    assert all(s[2] < 0.7 * s[1] for s in market_cap.values())


def test_a_demo_load_keys_economies_and_lands_the_new_year_as_a_revision(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        for run, end in (("r1", dt.date(2026, 7, 14)), ("r2", dt.date(2026, 7, 15))):
            content, table = demo_table(GDP, end)
            loaded = Body(
                "worldbank",
                GDP,
                "json",
                content,
                "demo",
                dt.datetime.combine(end, dt.time(12), dt.UTC),
                "demo://",
            )
            stats = raw.load(con, worldbank.CONNECTOR, [raw.Parsed(loaded, table)], [], run_id=run)
        assert (stats[0].rows_new, stats[0].rows_revised) == (16, 16)  # 2026 listed, 2025 published
        assert con.execute(
            "select count(*), count(value) from raw.worldbank_indicators_history where year = 2025"
        ).fetchall() == [(16, 0)]
        assert con.execute(
            "select country_id, country_name from raw.worldbank_indicators where country_code = 'NAM' limit 1"
        ).fetchall() == [("NA", "Namibia")]
