"""The equities pillar's gate: one row per S&P 500 trading day with a close, every market's
price positive, moving less than ±50 % a day and recently observed, returns in range."""

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

SPINE = "yahoo/^GSPC"
PRICES = {
    "sp500_close": SPINE,
    "acwx_close": "yahoo/ACWX",
    "mchi_close": "yahoo/MCHI",
    "fxi_close": "yahoo/FXI",
    "csi300_close": "yahoo/000300.SS",
    "hsi_close": "yahoo/^HSI",
}
AS_OF_DATES = {f"{column.removesuffix('_close')}_date": ref for column, ref in PRICES.items() if ref != SPINE}
RETURNS = [f"{column.removesuffix('_close')}_1y_return_pct" for column in PRICES]


def mart_equities(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_equities",
        spine_query(inputs, "mart_equities", SPINE, PRICES),
        [
            *completeness(inputs),
            unique("date", "S&P 500 trading day"),
            not_null("sp500_close", "every row of the spine has an S&P 500 close"),
            *positive(PRICES),
            spine_freshness(inputs, "mart_equities", SPINE),
            *as_of_freshness(inputs, "mart_equities", AS_OF_DATES),
            gaps(inputs, SPINE),
            *jumps(inputs, "mart_equities", PRICES),
            *(
                between(
                    column,
                    "a 1-year price return is above -100 % (a price stays positive)",
                    min_value=-100,
                    strict_min=True,
                )
                for column in RETURNS
            ),
            *(
                expectation
                for column in RETURNS
                for expectation in ranged(inputs, "mart_equities", column, column)
            ),
        ],
    )
