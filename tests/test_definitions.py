"""The code location loads, and the UI shows one connected graph with groups, kinds and docs."""

import dagster as dg

from orchestration.definitions import defs


def graph():
    return defs.resolve_asset_graph()


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("thesis_daily") is not None


def test_lineage_runs_ingest_to_dbt_to_summary_to_published_copy():
    g = graph()
    parents = lambda key: {k.to_user_string() for k in g.get(dg.AssetKey(key)).parent_keys}  # noqa: E731
    assert "raw/fred_observations" in parents(["staging", "stg_fred__observations"])
    assert {"staging/stg_fred__observations", "staging/stg_yahoo__prices"} <= parents(
        ["staging", "int_prices__daily"]
    )
    assert parents(["staging", "int_prices__returns"]) == {"staging/int_prices__daily"}
    assert "staging/int_prices__returns" in parents(["marts", "mart_dollar"])
    assert "marts/mart_dollar" in parents(["marts", "thesis_summary"])
    assert parents(["published", "warehouse"]) == {"marts/thesis_summary"}


def test_every_mart_is_gated_by_a_blocking_great_expectations_check():
    g = graph()
    marts = [k for k in g.get_all_asset_keys() if k.path[0] == "marts" and k.path[1].startswith("mart_")]
    assert marts
    for key in marts:
        gx = [c for c in g.asset_check_keys if c.asset_key == key and c.name == f"gx_{key.path[1]}"]
        assert gx, f"{key.to_user_string()} has no GX check"
        assert g.get_check_spec(gx[0]).blocking


def test_assets_have_groups_kinds_and_descriptions():
    g = graph()
    for key in g.get_all_asset_keys():
        node = g.get(key)
        assert node.group_name != "default", key
        assert node.kinds, key
        assert node.description, key
    assert "polars" in g.get(dg.AssetKey(["marts", "thesis_summary"])).kinds
    assert "dbt" in g.get(dg.AssetKey(["marts", "mart_dollar"])).kinds


def test_warehouse_writers_share_one_pool():
    g = graph()
    for key in g.get_all_asset_keys():
        assert g.get(key).pools == {"warehouse"}, key
