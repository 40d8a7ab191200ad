"""The crypto pillar's gate (basic): one row per bitcoin day, a price on every row, positive
prices, a fresh spine and no impossible daily move of bitcoin."""

import datetime as dt

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
# FRED's CBBTCUSD opens with Coinbase's thin pre-exchange book: its real prints of 2015-01-14/15
# move -54 % and +70 %. Jumps are checked from the day Coinbase's exchange opened; since then the
# worst day is -37 % (2020-03-12).
JUMPS_CHECKED_FROM = dt.date(2015, 1, 26)


def mart_crypto(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_crypto",
        spine_query("mart_crypto", "btc_usd", changes_from=JUMPS_CHECKED_FROM),
        [
            *completeness(inputs),
            Expect("ExpectColumnValuesToBeUnique", {"column": "date"}, "one row per calendar day"),
            Expect("ExpectColumnValuesToNotBeNull", {"column": "btc_usd"}, "every row has a bitcoin price"),
            *positive(PRICES),
            freshness(inputs),
            no_jumps(),
        ],
    )
