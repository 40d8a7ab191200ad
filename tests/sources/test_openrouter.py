"""OpenRouter `/api/v1/models`: every real payload in ../shared/real-data/openrouter, bad bodies,
and the demo body built from genai-prices."""

import datetime as dt
import json
import shutil

import dagster as dg
import duckdb
import pytest

from assets.ingest import ingest_assets
from assets.sources import openrouter
from assets.sources.base import Body, SourceError, Window
from assets.sources.bodies import DemoBodies
from config.catalog import load_catalog
from config.resources import SourceSettings, WarehouseResource
from tests.conftest import NOW

# file → (models, free, variable-price, tiered, aliases)
REAL_FILES = {
    "2025-07_wikiarena/openrouter_models.json": (151, 12, 0, 0, 0),
    "2025-12_lightnesscaster/openrouter_models.json": (335, 30, 1, 0, 0),
    "2026-05_sinkers/openrouter_models.json": (356, 28, 3, 0, 0),
    "2026-08_anuran-roy/openrouter_models.json": (414, 20, 5, 61, 11),
}

# file → model id → (prompt, completion USD per 1M tokens, is_variable_price, is_free, has_tiered_pricing)
REAL_MODELS = {
    "2025-07_wikiarena/openrouter_models.json": {
        "mistralai/mistral-small-3.2-24b-instruct:free": (0.0, 0.0, False, True, False),
        "openai/o3-pro": (20.0, 80.0, False, False, False),
        "anthropic/claude-sonnet-4": (3.0, 15.0, False, False, False),
        # Free without the `:free` suffix (an experimental model priced at 0).
        "google/gemini-2.5-pro-exp-03-25": (0.0, 0.0, False, True, False),
    },
    "2025-12_lightnesscaster/openrouter_models.json": {
        "openrouter/auto": (None, None, True, False, False),
        "amazon/nova-2-lite-v1:free": (0.0, 0.0, False, True, False),
        # Prices go up too: 3.0 prompt in 2025-07, 6.0 here.
        "anthropic/claude-3.5-sonnet": (6.0, 30.0, False, False, False),
        "openai/gpt-5-pro": (15.0, 120.0, False, False, False),
    },
    "2026-05_sinkers/openrouter_models.json": {
        "openrouter/pareto-code": (None, None, True, False, False),
        "baidu/cobuddy:free": (0.0, 0.0, False, True, False),
        "openai/gpt-5.5-pro": (30.0, 180.0, False, False, False),
        "anthropic/claude-opus-4.7-fast": (30.0, 150.0, False, False, False),
    },
    "2026-08_anuran-roy/openrouter_models.json": {
        "bytedance-seed/seed-2.0-code": (0.5, 3.0, False, False, True),
        "openrouter/fusion": (None, None, True, False, False),
        "dots-studio/dots-3-note-preview:free": (0.0, 0.0, False, True, False),
        "openai/o1-pro:batch": (75.0, 300.0, False, False, False),
        "qwen/qwen3.8-27b": (0.45, 3.2, False, False, False),
        "~deepseek/deepseek-v4-flash-latest": (0.078596, 0.157192, False, False, False),
    },
}


def body(content: bytes | str, when: dt.datetime = NOW, origin: str = "replay") -> Body:
    data = content.encode() if isinstance(content, str) else content
    return Body("openrouter", "models", "json", data, origin, when, "test://openrouter")


def by_id(table) -> dict[str, dict]:
    return {row["model_id"]: row for row in table.to_pylist()}


def test_every_real_openrouter_file_is_covered(real_data):
    on_disk = {str(p.relative_to(real_data / "openrouter")) for p in (real_data / "openrouter").glob("*/*")}
    assert on_disk == set(REAL_FILES) == set(REAL_MODELS)


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_openrouter_payload_parses_exactly(real_data, name):
    table = openrouter.parse(body((real_data / "openrouter" / name).read_bytes()))
    rows = table.to_pylist()
    models, free, variable, tiered, aliases = REAL_FILES[name]
    assert table.num_rows == models
    assert sum(r["is_free"] for r in rows) == free
    assert sum(r["is_variable_price"] for r in rows) == variable
    assert sum(r["has_tiered_pricing"] for r in rows) == tiered
    assert sum(r["alias_of"] is not None for r in rows) == aliases
    assert {r["snapshot_date"] for r in rows} == {NOW.date()}
    assert {r["series_id"] for r in rows} == {"models"}
    got = by_id(table)
    for model_id, (prompt, completion, is_variable, is_free, is_tiered) in REAL_MODELS[name].items():
        row = got[model_id]
        assert row["prompt_usd_per_mtok"] == prompt, model_id
        assert row["completion_usd_per_mtok"] == completion, model_id
        assert (row["is_variable_price"], row["is_free"], row["has_tiered_pricing"]) == (
            is_variable,
            is_free,
            is_tiered,
        ), model_id


def test_model_attributes_are_kept(real_data):
    old = by_id(
        openrouter.parse(
            body((real_data / "openrouter" / "2025-07_wikiarena/openrouter_models.json").read_bytes())
        )
    )
    free = old["mistralai/mistral-small-3.2-24b-instruct:free"]
    assert free["canonical_slug"] == "mistralai/mistral-small-3.2-24b-instruct-2506"
    assert free["name"] == "Mistral: Mistral Small 3.2 24B (free)"
    assert free["created_at"] == dt.datetime(2025, 6, 20, 18, 10, 16, tzinfo=dt.UTC)
    assert (free["context_length"], free["modality"]) == (128000, "text+image->text")
    new = by_id(
        openrouter.parse(
            body((real_data / "openrouter" / "2026-08_anuran-roy/openrouter_models.json").read_bytes())
        )
    )
    assert new["~deepseek/deepseek-v4-flash-latest"]["alias_of"] == "deepseek/deepseek-v4-flash-0731"
    assert new["bytedance-seed/seed-2.0-code"]["created_at"] == dt.datetime(
        2026, 8, 12, 16, 5, 1, tzinfo=dt.UTC
    )


def test_snapshot_date_is_the_fetch_day_so_each_day_appends_a_snapshot():
    content = json.dumps(
        {"data": [{"id": "a/b", "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]}
    )
    first = openrouter.parse(body(content, when=dt.datetime(2026, 8, 14, 23, 59, tzinfo=dt.UTC)))
    second = openrouter.parse(body(content, when=dt.datetime(2026, 8, 15, 0, 1, tzinfo=dt.UTC)))
    assert first.column("snapshot_date").to_pylist() == [dt.date(2026, 8, 14)]
    assert second.column("snapshot_date").to_pylist() == [dt.date(2026, 8, 15)]


def test_missing_price_keys_and_new_fields_are_lenient():
    content = json.dumps(
        {
            "data": [
                {"id": "x/no-pricing", "brand_new_field": {"any": "thing"}},
                {"id": "x/prompt-only", "pricing": {"prompt": "0.0000001", "new_price_kind": "whatever"}},
                {"id": "x/router-half", "pricing": {"prompt": "-1", "completion": "0.000001"}},
                {"id": "x/scientific", "pricing": {"prompt": 2.5e-6, "completion": "1E-5"}},
            ]
        }
    )
    got = by_id(openrouter.parse(body(content)))
    assert (got["x/no-pricing"]["prompt_usd_per_mtok"], got["x/no-pricing"]["is_free"]) == (None, False)
    assert got["x/prompt-only"]["prompt_usd_per_mtok"] == 0.1
    assert got["x/prompt-only"]["completion_usd_per_mtok"] is None
    router = got["x/router-half"]
    assert (
        router["prompt_usd_per_mtok"],
        router["completion_usd_per_mtok"],
        router["is_variable_price"],
    ) == (
        None,
        1.0,
        True,
    )
    assert (got["x/scientific"]["prompt_usd_per_mtok"], got["x/scientific"]["completion_usd_per_mtok"]) == (
        2.5,
        10.0,
    )


def model(**fields) -> dict:
    return {"id": "a/b", "pricing": {"prompt": "0.000001", "completion": "0.000002"}, **fields}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "an HTML/XML page"),
        ('{"error": {"code": 429, "message": "Rate limit exceeded"}}', "API error 429: Rate limit exceeded"),
        ('{"data": [{"id": "a/b", "pricing": {"prompt": "0.0000', "invalid or truncated JSON"),
        ('{"models": []}', "no 'data' list (got ['models'])"),
        ('[{"id": "a/b"}]', "no 'data' list (got list)"),
        ('{"data": []}', "an empty catalogue"),
        (json.dumps({"data": [{"name": "No id"}]}), "data[0]: model without an 'id'"),
        (json.dumps({"data": [model(), model()]}), "data[1]: duplicate model id 'a/b' (first at data[0])"),
        (
            json.dumps({"data": [model(pricing={"prompt": "free"})]}),
            "data[0] (a/b): non-numeric prompt price 'free'",
        ),
        (json.dumps({"data": [model(pricing={"prompt": "NaN"})]}), "non-numeric prompt price 'NaN'"),
        (json.dumps({"data": [model(pricing={"completion": "-0.5"})]}), "negative completion price '-0.5'"),
        (json.dumps({"data": [model(pricing={"prompt": "3"})]}), "absurd prompt price '3' USD per token"),
        (json.dumps({"data": [model(pricing="0.1")]}), "'pricing' is not an object"),
        (json.dumps({"data": [model(created="2025-06-20")]}), "'created' is not int"),
        (json.dumps({"data": [model(context_length=12.5)]}), "'context_length' is not int"),
        (
            json.dumps(
                {"data": [model()], "total_count": 549, "links": {"next": "/api/v1/models?offset=500"}}
            ),
            "a partial catalogue: 1 of 549 models, next page '/api/v1/models?offset=500'",
        ),
        (json.dumps({"data": [model()], "total_count": 2}), "a partial catalogue: 1 of 2 models"),
    ],
)
def test_bad_bodies_are_rejected_naming_source_series_and_place(content, message):
    with pytest.raises(SourceError) as raised:
        openrouter.parse(body(content))
    assert str(raised.value).startswith("openrouter/models")
    assert message in str(raised.value)


def test_the_last_page_of_a_paginated_answer_is_accepted():
    content = json.dumps({"data": [model()], "total_count": 1, "links": {"next": None}})
    assert openrouter.parse(body(content)).num_rows == 1


SERIES = load_catalog().get("openrouter", "models")


def demo_rows(as_of: dt.date) -> dict[str, dict]:
    got = DemoBodies().get(openrouter.CONNECTOR, SERIES, Window(dt.date(2015, 1, 1), as_of))
    assert got.fetched_at == dt.datetime.combine(as_of, dt.time(), dt.UTC)
    return by_id(openrouter.parse(got))


def test_demo_is_the_genai_prices_openrouter_catalogue_on_the_as_of_date():
    rows = demo_rows(dt.date(2026, 11, 24))
    assert {r["snapshot_date"] for r in rows.values()} == {dt.date(2026, 11, 24)}
    assert (
        rows["01-ai/yi-large"]["prompt_usd_per_mtok"],
        rows["01-ai/yi-large"]["completion_usd_per_mtok"],
    ) == (
        3.0,
        3.0,
    )
    gpt4o = rows["openai/gpt-4o"]
    assert (gpt4o["prompt_usd_per_mtok"], gpt4o["completion_usd_per_mtok"], gpt4o["context_length"]) == (
        2.5,
        10.0,
        128000,
    )
    free = rows["agentica-org/deepcoder-14b-preview:free"]
    assert (free["prompt_usd_per_mtok"], free["completion_usd_per_mtok"], free["is_free"]) == (0.0, 0.0, True)


def test_demo_follows_genai_prices_dated_price_changes():
    before = demo_rows(dt.date(2026, 10, 18))["aion-labs/aion-rp-llama-3.1-8b"]
    after = demo_rows(dt.date(2026, 10, 19))["aion-labs/aion-rp-llama-3.1-8b"]
    assert (before["prompt_usd_per_mtok"], before["completion_usd_per_mtok"]) == (0.2, 0.2)
    assert (after["prompt_usd_per_mtok"], after["completion_usd_per_mtok"]) == (0.8, 1.6)


def test_demo_is_deterministic_for_an_as_of_date():
    window = Window(dt.date(2015, 1, 1), dt.date(2026, 11, 24))
    assert openrouter.demo(SERIES, window) == openrouter.demo(SERIES, window)
    assert openrouter.demo(SERIES, window) != openrouter.demo(
        SERIES, Window(window.start, dt.date(2026, 1, 1))
    )


def test_replay_through_the_ingest_asset_dates_the_snapshot_by_its_recording(
    real_data, warehouse_env, tmp_path
):
    snapshot = tmp_path / "snapshot"
    (snapshot / "openrouter").mkdir(parents=True)
    shutil.copy(
        real_data / "openrouter/2026-08_anuran-roy/openrouter_models.json",
        snapshot / "openrouter/models.json",
    )
    (snapshot / "RECORDED_AT").write_text("2026-08-14T09:30:00+00:00\n")
    asset = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", "openrouter_models"]))
    resources = {
        "warehouse": WarehouseResource(),
        "sources": SourceSettings(mode="replay", snapshot_dir=str(snapshot)),
    }
    result = dg.materialize([asset], resources=resources)
    assert (
        result.asset_materializations_for_node("raw__openrouter_models")[0].metadata["rows_new"].value == 414
    )
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        assert con.execute("select distinct snapshot_date, origin from raw.openrouter_models").fetchall() == [
            (dt.date(2026, 8, 14), "replay")
        ]
