"""The curated seeds: byte-for-byte copies of ../shared/reference, every column typed and described."""

import csv
import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
REFERENCE = Path(os.environ.get("THESIS_REFERENCE", PROJECT_ROOT.parent / "shared" / "reference"))
NAMES = ["ai_inference_prices", "structural_facts"]
# Mixed-precision dates (YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Qn) must stay text in the seed.
TEXT_DATES = {"ai_inference_prices": ["price_date", "period"], "structural_facts": ["period", "as_of"]}


def seed_config() -> dict[str, dict]:
    doc = yaml.safe_load((SEEDS / "_seeds.yml").read_text())
    return {seed["name"]: seed for seed in doc["seeds"]}


@pytest.mark.parametrize("name", NAMES)
def test_seed_is_still_the_reference_file(name):
    reference = REFERENCE / f"{name}.csv"
    if not reference.is_file():
        pytest.skip(f"reference files not found at {REFERENCE} (set THESIS_REFERENCE)")
    assert (SEEDS / f"{name}.csv").read_bytes() == reference.read_bytes()


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


def test_capability_map_points_at_mmlu_scored_seed_rows_and_their_sources():
    scored = {
        r["model"]: r
        for r in read_seed("ai_inference_prices")
        if r["record_type"] == "price_point" and r["capability_score"]
    }
    mapping = read_seed("ai_model_capability_map")
    assert mapping
    for row in mapping:
        seed_row = scored.get(row["seed_model"])
        assert seed_row is not None, f"{row['model_id']}: {row['seed_model']!r} is not a scored price point"
        assert seed_row["capability_benchmark"].startswith("MMLU"), row["model_id"]
        assert row["source_url"] == seed_row["capability_source_url"], row["model_id"]
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
