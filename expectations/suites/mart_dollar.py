"""The dollar pillar's gate: the broad index's business days present, plausible, fresh, gap-free
and jump-free, with every other dollar measure in range and recent."""

from expectations.suites.spec import (
    Suite,
    SuiteInputs,
    as_of_freshness,
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

SPINE = "fred/DTWEXBGS"
# Price columns and the catalog series they hold.
PRICES = {
    "broad_dollar_index": SPINE,
    "afe_dollar_index": "fred/DTWEXAFEGS",
    "dxy_index": "yahoo/DX-Y.NYB",
    "usd_cny": "fred/DEXCHUS",
}
AS_OF_DATES = {
    "afe_dollar_date": "fred/DTWEXAFEGS",
    "dxy_date": "yahoo/DX-Y.NYB",
    "usd_cny_date": "fred/DEXCHUS",
    "cofer_quarter_date": "imf/cofer",
}


def mart_dollar(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_dollar",
        spine_query(inputs, "mart_dollar", SPINE, PRICES),
        [
            *completeness(inputs),
            unique("date", "business day"),
            not_null("broad_dollar_index", "every row of the spine has the broad index's level"),
            *positive([*PRICES, "broad_dollar_200d_average"]),
            *ranged(inputs, "mart_dollar", "broad_dollar_index", "the broad index (Jan 2006 = 100)"),
            *ranged(inputs, "mart_dollar", "dxy_index", "the DXY (Mar 1973 = 100)"),
            *ranged(inputs, "mart_dollar", "usd_cny", "CNY per USD"),
            between(
                "cofer_usd_share_pct",
                "a share of reserves is a percentage",
                min_value=0,
                max_value=100,
            ),
            *ranged(inputs, "mart_dollar", "cofer_usd_share_pct", "the USD share of allocated reserves"),
            spine_freshness(inputs, "mart_dollar", SPINE),
            *as_of_freshness(inputs, "mart_dollar", AS_OF_DATES),
            gaps(inputs, SPINE),
            *jumps(inputs, "mart_dollar", PRICES),
            *ranged(inputs, "mart_dollar", "broad_dollar_1y_change_pct", "the broad index's 1-year change"),
        ],
    )
