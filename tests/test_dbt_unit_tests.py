"""dbt's unit tests (given/expect rows for every model with logic), run here, not in the daily build.

Unit tests check the SQL's logic on fixed rows, so they belong to development and CI; the daily
`dbt build` excludes them. dbt needs each tested model's parents to exist to learn their column
types: the demo ingest creates the raw tables and `dbt build --empty` creates every model with no
rows, running the unit tests on the way.
"""

import json
import subprocess

import dagster as dg
import pytest

from assets.ingest import ingest_assets
from orchestration.resources import DBT_PROJECT_DIR, SourceSettings, WarehouseResource, dbt_executable

pytestmark = pytest.mark.e2e


def test_every_dbt_unit_test_passes(warehouse_env, tmp_path):
    resources = {"warehouse": WarehouseResource(), "sources": SourceSettings()}
    assert dg.materialize(ingest_assets, resources=resources).success
    target = tmp_path / "dbt_target"
    build = subprocess.run(
        [dbt_executable(), "build", "--empty", "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    unit = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    failed = {uid: status for uid, status in unit.items() if status != "pass"}
    assert build.returncode == 0 and not failed, (failed, build.stdout[-3000:])
    # Every unit test declared in the project ran (none silently deselected).
    manifest = json.loads((target / "manifest.json").read_text())
    assert set(unit) == set(manifest["unit_tests"]) and len(unit) >= 20
