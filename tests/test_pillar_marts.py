"""The macro, value-share and AI-cost marts reach the Dagster UI documented: descriptions, typed
column schemas with a unit on every metric, lineage from their staging inputs and a GX gate."""

import dagster as dg
import pytest

from orchestration.definitions import defs

MARTS = {
    ("marts", "mart_macro"): {"staging/stg_fred__observations"},
    ("marts", "mart_value_share"): {
        "staging/stg_worldbank__indicators",
        "reference/worldbank_aggregates",
        "staging/stg_reference__structural_facts",
        "staging/stg_imf__cofer",
    },
    ("marts", "mart_ai_cost"): {"staging/int_ai_cost__price_points", "staging/stg_reference__ai_prices"},
    ("staging", "int_ai_cost__price_points"): {
        "staging/stg_reference__ai_prices",
        "staging/stg_openrouter__models",
        "staging/stg_genai_prices__prices",
        "reference/ai_model_capability_map",
        "reference/ai_capability_scores",
    },
}
# Column-name endings of metrics: each such column's description must give its unit.
METRIC_SUFFIXES = ("_pct", "_pp", "_thousands", "_usd_mn", "_ratio", "_per_year", "_usd_per_mtok", "_index")


@pytest.mark.parametrize("key", MARTS, ids="/".join)
def test_mart_is_documented_typed_and_connected(key):
    node = defs.resolve_asset_graph().get(dg.AssetKey(list(key)))
    assert node.description and len(node.description) > 200
    assert {k.to_user_string() for k in node.parent_keys} == MARTS[key]
    columns = node.metadata["dagster/column_schema"].columns
    assert columns and all(c.description and c.type != "?" for c in columns), key
    undocumented_units = [
        c.name for c in columns if c.name.endswith(METRIC_SUFFIXES) and "Unit:" not in c.description
    ]
    assert undocumented_units == []
