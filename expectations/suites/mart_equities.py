"""The equities pillar's gate (basic): one row per S&P 500 trading day, a close on every row,
positive prices for every market, a fresh spine and no impossible daily move of the S&P 500."""

from expectations.suites.spec import (
    Expect,
    Suite,
    SuiteInputs,
    completeness,
    freshness,
    no_jumps,
    positive,
    spine_query,
)

PRICES = ["sp500_close", "acwx_close", "mchi_close", "fxi_close", "csi300_close", "hsi_close"]


def mart_equities(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_equities",
        spine_query("mart_equities", "sp500_close"),
        [
            *completeness(inputs),
            Expect("ExpectColumnValuesToBeUnique", {"column": "date"}, "one row per S&P 500 trading day"),
            Expect(
                "ExpectColumnValuesToNotBeNull", {"column": "sp500_close"}, "every row has an S&P 500 close"
            ),
            *positive(PRICES),
            freshness(inputs),
            no_jumps(),
        ],
    )
