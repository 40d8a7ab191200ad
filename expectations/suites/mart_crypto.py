"""The crypto pillar's gate: one row per bitcoin day with a price, positive prices that move less
than ±50 % a day (from Coinbase's exchange launch), drawdowns below the high, a beta and a
correlation that are possible, and every input recently observed."""

from expectations.suites.spec import (
    Suite,
    SuiteInputs,
    as_of_freshness,
    at_least,
    between,
    completeness,
    gaps,
    jumps,
    not_null,
    positive,
    ranged,
    spine_freshness,
    spine_query,
    unique,
)

SPINE = "fred/CBBTCUSD"
PRICES = {
    "btc_usd": SPINE,
    "eth_usd": "fred/CBETHUSD",
    "mstr_close": "yahoo/MSTR",
    "nasdaq_close": "fred/NASDAQCOM",
}
AS_OF_DATES = {
    "eth_date": "fred/CBETHUSD",
    "mstr_date": "yahoo/MSTR",
    "nasdaq_date": "fred/NASDAQCOM",
    "beta_date": "fred/NASDAQCOM",
}
DRAWDOWNS = ["btc_drawdown_pct", "eth_drawdown_pct", "mstr_drawdown_pct"]


def mart_crypto(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_crypto",
        spine_query(inputs, "mart_crypto", SPINE, PRICES),
        [
            *completeness(inputs),
            unique("date", "calendar day"),
            not_null("btc_usd", "every row of the spine has a bitcoin price"),
            *positive([*PRICES, "btc_all_time_high"]),
            at_least("btc_all_time_high", "btc_usd", "the all-time high to date is at least the day's price"),
            *(
                between(
                    column, "a drawdown is between -100 % and 0 (at a new high)", min_value=-100, max_value=0
                )
                for column in DRAWDOWNS
            ),
            between(
                "btc_nasdaq_correlation_1y",
                "a correlation lies in [-1, 1]",
                min_value=-1,
                max_value=1,
            ),
            *ranged(inputs, "mart_crypto", "btc_nasdaq_beta_1y", "bitcoin's 1-year beta to the Nasdaq"),
            spine_freshness(inputs, "mart_crypto", SPINE),
            *as_of_freshness(inputs, "mart_crypto", AS_OF_DATES),
            gaps(inputs, SPINE),
            *jumps(inputs, "mart_crypto", PRICES),
        ],
    )
