"""The crypto pillar's gate (basic): one row per bitcoin day, a price on every row, positive
prices, a fresh spine and no impossible daily move of bitcoin."""

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

PRICES = ["btc_usd", "eth_usd", "mstr_close", "nasdaq_close"]


def mart_crypto(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_crypto",
        spine_query("mart_crypto", "btc_usd"),
        [
            *completeness(inputs),
            Expect("ExpectColumnValuesToBeUnique", {"column": "date"}, "one row per calendar day"),
            Expect("ExpectColumnValuesToNotBeNull", {"column": "btc_usd"}, "every row has a bitcoin price"),
            *positive(PRICES),
            freshness(inputs),
            # Bitcoin's worst day since 2015 was about -40 % (March 2020): beyond ±50 % is a data error.
            no_jumps(),
        ],
    )
