"""genai-prices: how dated, tiered and time-of-day prices are reduced to one standard price a row,
the rows extracted from the installed package, and an idempotent load."""

import datetime as dt
from decimal import Decimal

import dagster as dg
import duckdb
import pytest
from genai_prices.types import (
    ClauseEquals,
    ConditionalPrice,
    ModelInfo,
    ModelPrice,
    Provider,
    StartDateConstraint,
    Tier,
    TieredPrices,
    TimeOfDateConstraint,
)

from assets import raw
from assets.ingest import genai_prices_ingest
from assets.sources import genai_prices
from config.resources import WarehouseResource
from tests.conftest import NOW


def model(model_id: str, prices, **fields) -> ModelInfo:
    return ModelInfo(id=model_id, match=ClauseEquals(equals=model_id), prices=prices, **fields)


def price(input_mtok, output_mtok) -> ModelPrice:
    return ModelPrice(input_mtok=input_mtok, output_mtok=output_mtok)


def provider(*models: ModelInfo, provider_id: str = "acme") -> Provider:
    return Provider(id=provider_id, name="Acme AI", api_pattern="acme", models=list(models))


def rows(*providers: Provider, version: str = "9.9.9") -> dict[tuple[str, dt.date | None], dict]:
    table = genai_prices.extract(list(providers), version)
    return {(r["model_id"], r["start_date"]): r for r in table.to_pylist()}


def test_an_undated_price_is_one_row_with_a_null_start_date():
    got = rows(provider(model("plain", price(Decimal("2.5"), Decimal("10")), context_window=128000)))
    assert got == {
        ("plain", None): {
            "provider_id": "acme",
            "provider_name": "Acme AI",
            "model_id": "plain",
            "model_name": None,
            "start_date": None,
            "input_usd_per_mtok": 2.5,
            "output_usd_per_mtok": 10.0,
            "is_tiered": False,
            "varies_by_time_of_day": False,
            "context_window": 128000,
            "deprecated": False,
            "package_version": "9.9.9",
        }
    }


def test_start_date_constraints_become_dated_rows_after_the_undated_one():
    dated = model(
        "dated",
        [
            ConditionalPrice(prices=price(Decimal("1"), Decimal("2"))),
            ConditionalPrice(
                constraint=StartDateConstraint(dt.date(2026, 3, 1)), prices=price(Decimal("3"), None)
            ),
            ConditionalPrice(
                constraint=StartDateConstraint(dt.date(2026, 9, 1)),
                prices=price(Decimal("0.5"), Decimal("1")),
            ),
        ],
    )
    got = {
        key: (r["input_usd_per_mtok"], r["output_usd_per_mtok"]) for key, r in rows(provider(dated)).items()
    }
    assert got == {
        ("dated", None): (1.0, 2.0),
        ("dated", dt.date(2026, 3, 1)): (3.0, None),
        ("dated", dt.date(2026, 9, 1)): (0.5, 1.0),
    }


def test_a_tiered_price_keeps_its_short_prompt_tier():
    tiered = TieredPrices(base=Decimal("3"), tiers=[Tier(start=200_000, price=Decimal("6"))])
    got = rows(provider(model("long", price(tiered, Decimal("15")))))[("long", None)]
    assert (got["input_usd_per_mtok"], got["output_usd_per_mtok"], got["is_tiered"]) == (3.0, 15.0, True)


def test_a_time_of_day_price_is_the_one_in_force_most_of_the_day():
    peak = dt.time(0, 30, tzinfo=dt.UTC), dt.time(16, 30, tzinfo=dt.UTC)  # 16 h of 24
    off_peak_by_default = model(
        "discounted-nights",
        [
            ConditionalPrice(prices=price(Decimal("0.135"), Decimal("0.55"))),
            ConditionalPrice(
                constraint=TimeOfDateConstraint(*peak), prices=price(Decimal("0.27"), Decimal("1.1"))
            ),
        ],
    )
    short_surge = model(
        "surge-hours",
        [
            ConditionalPrice(prices=price(Decimal("0.14"), Decimal("0.28"))),
            ConditionalPrice(
                constraint=TimeOfDateConstraint(dt.time(1, tzinfo=dt.UTC), dt.time(4, tzinfo=dt.UTC)),
                prices=price(Decimal("0.3"), Decimal("1.2")),
            ),
        ],
    )
    got = rows(provider(off_peak_by_default, short_surge))
    nights, surge = got[("discounted-nights", None)], got[("surge-hours", None)]
    assert (nights["input_usd_per_mtok"], nights["output_usd_per_mtok"], nights["varies_by_time_of_day"]) == (
        0.27,
        1.1,
        True,
    )
    assert (surge["input_usd_per_mtok"], surge["output_usd_per_mtok"], surge["varies_by_time_of_day"]) == (
        0.14,
        0.28,
        True,
    )


def test_models_without_a_token_price_are_left_out_and_deprecation_is_kept():
    searches = model("search-only", ModelPrice(web_searches_kcount=Decimal("10")))
    old = model("old", price(Decimal("30"), Decimal("60")), deprecated=True)
    got = rows(provider(searches, old))
    assert set(got) == {("old", None)}
    assert got[("old", None)]["deprecated"] is True


def test_the_installed_package_gives_exact_rows():
    table = genai_prices.extract(genai_prices.providers(), genai_prices.package_version())
    got = {(r["provider_id"], r["model_id"], r["start_date"]): r for r in table.to_pylist()}
    assert len(got) == table.num_rows  # the raw key is unique
    assert len({r["provider_id"] for r in got.values()}) == 47
    assert {r["package_version"] for r in got.values()} == {genai_prices.package_version()}

    def prices(provider_id, model_id, start=None):
        r = got[(provider_id, model_id, start)]
        return r["input_usd_per_mtok"], r["output_usd_per_mtok"], r["is_tiered"], r["varies_by_time_of_day"]

    assert prices("openai", "gpt-4o") == (2.5, 10.0, False, False)
    assert prices("openai", "gpt-5") == (1.25, 10.0, False, False)
    assert prices("google", "gemini-2.5-pro") == (1.25, 10.0, True, False)
    assert prices("anthropic", "claude-opus-4-6") == (5.0, 25.0, True, False)
    assert prices("anthropic", "claude-opus-4-6", dt.date(2026, 3, 13)) == (5.0, 25.0, False, False)
    # DeepSeek's list price holds 16 h a day; the package's unconstrained price is the off-peak one.
    assert prices("deepseek", "deepseek-chat") == (0.27, 1.1, False, True)
    assert prices("deepseek", "deepseek-v4-flash", dt.date(2026, 8, 17)) == (0.22, 0.66, False, True)
    assert prices("voyageai", "voyage-3") == (0.06, None, False, False)  # embeddings: input only


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield connection
    connection.close()


def load(con, table, version: str, run_id: str) -> list[raw.SeriesStats]:
    parsed = [raw.Parsed(b, part) for b, part in genai_prices.bodies(table, version, NOW)]
    return raw.load(con, genai_prices.TABLE, parsed, [], run_id)


def dated_provider(second_price: str) -> Provider:
    return provider(
        model("a", price(Decimal("1"), Decimal("2"))),
        model(
            "b",
            [
                ConditionalPrice(prices=price(Decimal("1"), Decimal("2"))),
                ConditionalPrice(
                    constraint=StartDateConstraint(dt.date(2026, 3, 1)),
                    prices=price(Decimal(second_price), None),
                ),
            ],
        ),
    )


def test_reloading_the_same_version_changes_nothing_even_with_null_start_dates(con):
    table = genai_prices.extract([dated_provider("3")], "1.0.0")
    first = load(con, table, "1.0.0", "r1")
    before = con.execute("select * from raw.genai_prices order by all").fetchall()
    second = load(con, table, "1.0.0", "r2")
    assert (first[0].rows_new, second[0].rows_new, second[0].rows_revised) == (3, 0, 0)
    assert con.execute("select * from raw.genai_prices order by all").fetchall() == before
    assert con.execute("select count(*) from raw.genai_prices_history").fetchall() == [(0,)]


def test_a_new_version_that_changes_a_price_keeps_the_old_one_in_history(con):
    load(con, genai_prices.extract([dated_provider("3")], "1.0.0"), "1.0.0", "r1")
    stats = load(con, genai_prices.extract([dated_provider("2.5")], "1.1.0"), "1.1.0", "r2")
    assert (stats[0].rows_new, stats[0].rows_revised) == (0, 1)
    assert con.execute(
        "select model_id, start_date, input_usd_per_mtok, package_version from raw.genai_prices_history"
    ).fetchall() == [("b", dt.date(2026, 3, 1), 3.0, "1.0.0")]
    # Unchanged prices keep the version they were first read from.
    assert con.execute(
        "select model_id, start_date, package_version from raw.genai_prices order by 1, 2 nulls first"
    ).fetchall() == [("a", None, "1.0.0"), ("b", None, "1.0.0"), ("b", dt.date(2026, 3, 1), "1.1.0")]


def test_bodies_are_one_per_provider_with_a_stable_hash():
    table = genai_prices.extract(
        [dated_provider("3"), provider(model("z", price(1, 1)), provider_id="zeta")], "1"
    )
    first, again = genai_prices.bodies(table, "1", NOW), genai_prices.bodies(table, "1", NOW)
    assert [(b.key, part.num_rows, b.origin) for b, part in first] == [
        ("acme", 3, "package"),
        ("zeta", 1, "package"),
    ]
    assert [b.sha256 for b, _ in first] == [b.sha256 for b, _ in again]
    assert first[0][0].url == "https://pypi.org/project/genai-prices/1/"


def test_the_asset_loads_the_same_rows_in_any_mode_and_reruns_are_no_ops(warehouse_env, monkeypatch):
    # Replay without a snapshot: HTTP sources would fail; the package data does not care.
    monkeypatch.setenv("THESIS_SOURCE_MODE", "replay")
    first = dg.materialize([genai_prices_ingest], resources={"warehouse": WarehouseResource()})
    second = dg.materialize([genai_prices_ingest], resources={"warehouse": WarehouseResource()})
    meta = [r.asset_materializations_for_node("raw__genai_prices")[0].metadata for r in (first, second)]
    assert meta[0]["rows_new"].value == meta[0]["dagster/row_count"].value == meta[0]["rows_in_package"].value
    assert (meta[1]["rows_new"].value, meta[1]["rows_revised"].value) == (0, 0)
    assert meta[1]["package_version"].value == genai_prices.package_version()
    assert len(meta[1]["providers"].value) == 47
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        assert con.execute("select distinct origin from raw.genai_prices").fetchall() == [("package",)]
