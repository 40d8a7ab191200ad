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
            between(
                "broad_dollar_index",
                "the broad index (Jan 2006 = 100) has stayed within 85-130 since 2006: outside 50-200 "
                "is a unit or series mix-up",
                min_value=50,
                max_value=200,
            ),
            between(
                "dxy_index",
                "the DXY (Mar 1973 = 100) has ranged 70-165 since 1973: outside 40-250 is a wrong series",
                min_value=40,
                max_value=250,
            ),
            between(
                "usd_cny",
                "CNY per USD has ranged 1.5-8.7 since 1981: outside 1-20 is an inverted or scaled quote",
                min_value=1,
                max_value=20,
            ),
            between(
                "cofer_usd_share_pct",
                "a share of reserves is a percentage",
                min_value=0,
                max_value=100,
            ),
            between(
                "cofer_usd_share_pct",
                "the USD share of allocated reserves has stayed within 55-73 % since 1999; outside "
                "40-85 warns (plausible only after a methodology change)",
                min_value=40,
                max_value=85,
                severity="warn",
            ),
            spine_freshness(inputs, "mart_dollar", SPINE),
            *as_of_freshness(inputs, "mart_dollar", AS_OF_DATES),
            gaps(inputs, SPINE),
            *jumps(inputs, PRICES),
            between(
                "broad_dollar_1y_change_pct",
                "the broad index's worst years moved about ±15 %; beyond ±40 % warns (a real shock "
                "is possible, a bad year-ago value more likely)",
                min_value=-40,
                max_value=40,
                severity="warn",
            ),
        ],
    )
