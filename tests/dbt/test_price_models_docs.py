"""The price marts and their intermediate models reach the Dagster UI documented: a description,
and a column schema in which every column has a type and a description, with its unit."""

import dagster as dg
import pytest

from orchestration.definitions import defs

PRICE_MODELS = [
    ["marts", "mart_dollar"],
    ["marts", "mart_equities"],
    ["marts", "mart_crypto"],
    ["staging", "int_prices__daily"],
    ["staging", "int_prices__returns"],
    ["staging", "int_prices__paired_returns"],
]
# Keys, dates and ids need no unit; every measured column names one.
KEYS = {
    "date",
    "source",
    "series_id",
    "asset_source",
    "asset_series_id",
    "benchmark_source",
    "benchmark_series_id",
}


def is_unitless(name: str) -> bool:
    return name in KEYS or name.endswith("_date")


@pytest.mark.parametrize("key", PRICE_MODELS, ids=lambda key: key[1])
def test_price_model_shows_a_column_schema_with_types_descriptions_and_units(key):
    node = defs.resolve_asset_graph().get(dg.AssetKey(key))
    assert node.description and len(node.description) > 80
    schema = node.metadata["dagster/column_schema"]
    assert len(schema.columns) >= 4
    for column in schema.columns:
        assert column.type != "?", f"{key[1]}.{column.name} has no data_type"
        assert column.description, f"{key[1]}.{column.name} has no description"
        if not is_unitless(column.name):
            assert "Unit:" in column.description, f"{key[1]}.{column.name} names no unit"


def test_every_as_of_column_of_a_mart_has_its_observation_date():
    """A mart column from a series on another calendar comes with `<series>_date`."""
    schema = defs.resolve_asset_graph().get(dg.AssetKey(["marts", "mart_equities"])).metadata
    names = {c.name for c in schema["dagster/column_schema"].columns}
    for market in ("acwx", "mchi", "fxi", "csi300", "hsi"):
        assert {
            f"{market}_close",
            f"{market}_1y_return_pct",
            f"{market}_ytd_return_pct",
            f"{market}_date",
        } <= names
    crypto = defs.resolve_asset_graph().get(dg.AssetKey(["marts", "mart_crypto"])).metadata
    names = {c.name for c in crypto["dagster/column_schema"].columns}
    assert {"eth_date", "mstr_date", "nasdaq_date", "beta_date"} <= names
    dollar = defs.resolve_asset_graph().get(dg.AssetKey(["marts", "mart_dollar"])).metadata
    names = {c.name for c in dollar["dagster/column_schema"].columns}
    assert {"afe_dollar_date", "dxy_date", "usd_cny_date"} <= names
