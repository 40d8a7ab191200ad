"""The warehouse target is configuration only: an `md:` (MotherDuck) WAREHOUSE_PATH reaches the
dbt profile and the Dagster resources unchanged. No connection is opened, nothing leaves the machine."""

import contextvars

import dagster as dg
import pytest
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context
from dbt_common.exceptions import DbtRuntimeError

from assets.publish import published_warehouse
from config.dbt_file_plugin import Plugin, warehouse_path
from config.resources import DBT_PROJECT_DIR, SourceSettings, WarehouseResource

TARGET = "md:thesis_warehouse"


def dbt_credentials(env: dict[str, str]) -> DuckDBCredentials:
    """Render profiles.yml the way dbt does (its env_var() and renderer), then build the adapter's
    credentials from it; in a copied context, so dbt's invocation state does not leak."""

    def render() -> DuckDBCredentials:
        set_invocation_context(env)
        raw = read_profile(str(DBT_PROJECT_DIR))["thesis_warehouse"]
        _, data = Profile.render_profile(raw, "thesis_warehouse", None, ProfileRenderer({}))
        assert data.pop("type") == "duckdb"
        return DuckDBCredentials.from_dict(data)

    return contextvars.copy_context().run(render)


def test_a_motherduck_warehouse_path_reaches_dbt_and_the_resources_unchanged(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", TARGET)
    credentials = dbt_credentials({"WAREHOUSE_PATH": TARGET})
    assert credentials.path == TARGET and credentials.is_motherduck
    assert credentials.database == "thesis_warehouse"
    assert credentials.config_options["storage_compatibility_version"] == "v1.5.0"
    warehouse = WarehouseResource()
    assert warehouse.resolved_path() == TARGET and not warehouse.is_local_file()


def test_a_local_path_is_what_dbt_opens_too(tmp_path, monkeypatch):
    path = str(tmp_path / "warehouse.duckdb")
    credentials = dbt_credentials({"WAREHOUSE_PATH": path})
    # The profile names the file alone, so dbt's last parse stays valid in any folder (dbt compares
    # the profiles); its plugin, when dbt connects, opens the file in $WAREHOUSE_PATH's folder.
    assert credentials.path == "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_PATH", path)
    Plugin("file", {}, credentials).update_connection_config(credentials, {})
    assert credentials.path == path
    assert WarehouseResource(path=path).resolved_path() == path


def test_dbt_refuses_a_warehouse_path_that_changed_after_its_profile_was_rendered(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "other.duckdb"))
    with pytest.raises(DbtRuntimeError, match=r"other\.duckdb"):
        warehouse_path("warehouse.duckdb")


def test_publishing_makes_no_file_copy_of_a_remote_warehouse(monkeypatch, tmp_path):
    monkeypatch.setenv("THESIS_DATA_DIR", str(tmp_path))
    result = published_warehouse(
        context=dg.build_asset_context(),
        warehouse=WarehouseResource(path=TARGET),
        sources=SourceSettings(mode="demo"),
    )
    assert "not a local file" in result.metadata["published"]
    assert not (tmp_path / "published").exists()


def test_dbt_duckdb_memory_is_capped_unless_raised_in_the_environment(tmp_path):
    path = str(tmp_path / "warehouse.duckdb")
    assert dbt_credentials({"WAREHOUSE_PATH": path}).config_options["memory_limit"] == "1500MB"
    raised = dbt_credentials({"WAREHOUSE_PATH": path, "THESIS_DBT_MEMORY_LIMIT": "8GB"})
    assert raised.config_options["memory_limit"] == "8GB"


def test_the_team_target_opens_the_lake_the_warehouse_resource_opens(tmp_path):
    """THESIS_PROFILE=team: dbt works in memory with the DuckLake attached as `lake` (its catalog and
    data path exported by the warehouse resource), the extension files loaded by our plugin."""
    warehouse = WarehouseResource(
        profile="team", lake_catalog="postgres:dbname=lake host=127.0.0.1", lake_data_path=str(tmp_path)
    )
    credentials = dbt_credentials(warehouse.dbt_env())
    assert credentials.path == ":memory:" and credentials.database == "lake"
    (attachment,) = credentials.attach
    ours = warehouse.lake().attach_statement()
    assert ours == f"ATTACH 'ducklake:postgres:dbname=lake host=127.0.0.1' AS lake (DATA_PATH '{tmp_path}')"
    assert attachment.to_sql() == ours.replace("ATTACH", "ATTACH IF NOT EXISTS")
    assert [plugin.module for plugin in credentials.plugins] == ["config.dbt_lake_plugin"]
    assert "lake" in credentials._ducklake_dbs  # dbt-duckdb's DuckLake-aware SQL
    assert not warehouse.is_local_file()
