"""dbt models as Dagster assets: staging views, one mart table per thesis pillar, and the
generic signals (marts.signals for every series, marts.signal_pairs for the pairs the theses
compare, passed to dbt as the var `signal_pairs`).

dbt tests become asset checks (those of severity error block downstream assets, like the
Great Expectations gates). The manifest is built by `make` (`dbt parse`), never at import;
under `dagster dev` it is re-parsed when the project changes.
"""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

from assets.raw import ident
from assets.warmup import import_in_background
from config.resources import DBT_PROJECT_DIR, DbtResource, WarehouseResource, dbt_executable, dbt_target_dir
from config.theses import dbt_vars, load_theses


class VenvDbtProjectPreparer(DagsterDbtProjectPreparer):
    """Parses with the venv's dbt, so `dagster dev` and `dg check defs` work without an activated venv."""

    def _prepare_manifest(self, project: DbtProject) -> None:
        dbt = DbtResource(project_dir=project, dbt_executable=dbt_executable())
        dbt.cli(["parse", "--quiet", *_parse_vars()], target_path=project.target_path).wait()
        self._invalidate_seeds_in_partial_parse(project)


def _parse_vars() -> list[str]:
    """The runs' `--vars`, so their builds reuse this parse; none while a thesis file is invalid,
    which the definitions then report (file, line and key) as they load."""
    try:
        return ["--vars", dbt_vars(load_theses())]
    except ValueError:
        return []


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Only under `dagster dev`/`dg`: elsewhere the manifest comes from `make` (never parsed at import).
VenvDbtProjectPreparer().prepare_if_dev(dbt_project)


class ThesisTranslator(DagsterDbtTranslator):
    """Groups come from each model's `meta.dagster.group` (set per folder in dbt_project.yml)."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.merge_attributes(kinds={"duckdb"})


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ThesisTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    ),
    pool="warehouse",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # dbt runs in a subprocess whose profile reads the environment (the target from
    # $THESIS_PROFILE, then $WAREHOUSE_PATH or the lake's catalog and data path): point it at the
    # warehouse the resource resolved, so dbt and the Python assets always share one warehouse.
    os.environ.update(warehouse.dbt_env())
    # The gate and the report import their libraries on the core dbt leaves idle (assets/warmup.py).
    import_in_background()
    # Unit tests check the models' logic on fixed rows, not the day's data: they run in `make test`
    # (tests/test_dbt_unit_tests.py), as dbt advises, and keep the daily build to models and data tests.
    invocation = dbt.cli(
        ["build", "--exclude-resource-type", "unit_test", "--vars", dbt_vars(load_theses())],
        context=context,
        target_path=dbt_target_dir(),
    )
    # Row counts are added here rather than with dagster-dbt's fetch_row_counts(): that opens the
    # dbt adapter's DuckDB connection inside this process and keeps it, which then blocks every
    # other connection the run opens with our settings.
    events = list(invocation.stream())
    with warehouse.connect(read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output) and event.output_name:
                table = _relation(context, event)
                if table:
                    rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
                    event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event


def _relation(context: dg.AssetExecutionContext, output: dg.Output) -> str | None:
    """`schema.table` of a model's output, from its spec (the database part depends on the file name)."""
    key = context.assets_def.keys_by_output_name[output.output_name]
    name = context.assets_def.specs_by_key[key].metadata.get("dagster/table_name")
    return ".".join(ident(part) for part in str(name).split(".")[-2:]) if name else None
