"""The curated seeds: byte-for-byte copies of ../shared/reference, every column typed and described."""

import csv
import hashlib
import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
REFERENCE = Path(os.environ.get("THESIS_REFERENCE", PROJECT_ROOT.parent / "shared" / "reference"))
# The SHA-256 of each curated file in ../shared/reference as it was copied (README there: where
# each number was read), so the check stands without ../shared beside the clone.
REFERENCE_SHA256 = {
    "ai_inference_prices": "6c1c3dc46f4a03bfb95e8db53db20a0cd40c37b8b6118dac1f2d07ac2a85af56",
    "structural_facts": "4b0a70ab716e0db623c25d9c5eb230ae0ca00da1d7e5984cc2f863465ec49e18",
}
NAMES = list(REFERENCE_SHA256)
# Mixed-precision dates (YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Qn) must stay text in the seed.
TEXT_DATES = {"ai_inference_prices": ["price_date", "period"], "structural_facts": ["period", "as_of"]}


def seed_config() -> dict[str, dict]:
    doc = yaml.safe_load((SEEDS / "_seeds.yml").read_text())
    return {seed["name"]: seed for seed in doc["seeds"]}


@pytest.mark.parametrize("name", NAMES)
def test_seed_is_still_the_reference_file(name):
    seed = (SEEDS / f"{name}.csv").read_bytes()
    assert hashlib.sha256(seed).hexdigest() == REFERENCE_SHA256[name]
    # Beside ../shared (or with THESIS_REFERENCE set) the file itself is compared too, so a new
    # reference release shows here as a difference to copy over, with the hash above.
    reference = REFERENCE / f"{name}.csv"
    if reference.is_file():
        assert seed == reference.read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_every_seed_column_is_typed_and_described(name):
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    seed = seed_config()[name]
    described = {c["name"]: c.get("description") for c in seed["columns"]}
    assert list(seed["config"]["column_types"]) == header
    assert list(described) == header and all(described.values())
    assert all(seed["config"]["column_types"][c] == "varchar" for c in TEXT_DATES[name])


def test_every_row_has_a_source_url():
    for name in NAMES:
        with (SEEDS / f"{name}.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows and all(r["source_url"].startswith("https://") for r in rows), name


def read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_capability_map_points_at_scored_seed_rows_and_their_sources():
    """Every mapped id gets a capability: its seed model has an MMLU score (the seed's capability
    column) or a GPQA Diamond score (ai_capability_scores), and the map cites where it was read."""
    scored = {
        r["model"]: r
        for r in read_seed("ai_inference_prices")
        if r["record_type"] == "price_point" and r["capability_score"]
    }
    bridged = {r["model"]: r for r in read_seed("ai_capability_scores") if r["benchmark"] == "GPQA Diamond"}
    mapping = read_seed("ai_model_capability_map")
    assert mapping
    for row in mapping:
        mmlu, gpqa = scored.get(row["seed_model"]), bridged.get(row["seed_model"])
        assert mmlu or gpqa, f"{row['model_id']}: {row['seed_model']!r} has no MMLU or GPQA Diamond score"
        if mmlu and mmlu["capability_benchmark"].startswith("MMLU"):
            assert row["source_url"] == mmlu["capability_source_url"], row["model_id"]
        else:
            assert gpqa and row["source_url"] == gpqa["source_url"], row["model_id"]
        assert row["notes"].strip(), row["model_id"]
    keys = [(r["provider_id"], r["model_id"]) for r in mapping]
    assert len(keys) == len(set(keys))


def test_capability_map_columns_are_text_and_described():
    with (SEEDS / "ai_model_capability_map.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    seed = seed_config()["ai_model_capability_map"]
    assert list(seed["config"]["column_types"]) == header
    assert set(seed["config"]["column_types"].values()) == {"varchar"}
    assert [c["name"] for c in seed["columns"]] == header and all(c["description"] for c in seed["columns"])


def test_capability_scores_are_sourced_and_name_seed_price_points():
    price_points = {r["model"] for r in read_seed("ai_inference_prices") if r["record_type"] == "price_point"}
    rows = read_seed("ai_capability_scores")
    assert rows
    for row in rows:
        assert row["model"] in price_points, f"{row['model']!r} is not a price point's model"
        assert row["benchmark"] == "GPQA Diamond", row["model"]
        assert 0 <= float(row["score"]) <= 100, row["model"]
        assert row["source_url"].startswith("https://"), row["model"]
        assert row["harness"].strip() and row["confidence"] in {"high", "medium", "low"}, row["model"]
    keys = [(r["model"], r["benchmark"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_capability_scores_columns_are_typed_and_described():
    with (SEEDS / "ai_capability_scores.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    seed = seed_config()["ai_capability_scores"]
    assert list(seed["config"]["column_types"]) == header
    assert seed["config"]["column_types"]["score"] == "double"
    assert [c["name"] for c in seed["columns"]] == header and all(c["description"] for c in seed["columns"])


def test_gpqa_bars_are_the_reference_models_own_sourced_scores():
    """The bridge maps "GPT-4 level on MMLU" to GPT-4-0314's own GPQA Diamond score and the
    GPT-3.5 level to gpt-3.5-turbo-0613's: the vars must stay the seed's sourced numbers."""
    variables = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    scores = {r["model"]: float(r["score"]) for r in read_seed("ai_capability_scores")}
    assert variables["ai_cost_gpt4_level_gpqa"] == scores["GPT-4 (8K, 0314)"] == 33
    assert variables["ai_cost_gpt35_level_gpqa"] == scores["gpt-3.5-turbo-0613"] == 28.8


def test_every_2025_2026_model_with_a_gpqa_score_clears_the_gpt4_bar():
    """A sanity check on the bridge: GPQA Diamond still separates 2023 models around the bar, but
    every 2025-2026 model scored is far above it, so a harness difference cannot flip its level."""
    dates = {r["model"]: r["price_date"] for r in read_seed("ai_inference_prices")}
    recent = [r for r in read_seed("ai_capability_scores") if dates[r["model"]] >= "2025"]
    assert len(recent) >= 15
    assert min(float(r["score"]) for r in recent) > 33 + 15
