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
