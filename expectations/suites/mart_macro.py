"""The macro & Fed pillar's gate: one row per calendar month, levels and rates within what US
history allows, no impossible month-on-month move, a current spine and recent releases."""

from expectations.suites.spec import (
    Suite,
    SuiteInputs,
    as_of_freshness,
    at_least,
    between,
    completeness,
    jumps,
    not_null,
    positive,
    ranged,
    spine_freshness,
    spine_query,
    unique,
)

# Monthly series on the spine itself: the month each was last published, for freshness.
MONTHLY = {
    "cpi_index": "fred/CPIAUCSL",
    "core_cpi_index": "fred/CPILFESL",
    "unemployment_rate_pct": "fred/UNRATE",
    "payrolls_thousands": "fred/PAYEMS",
}
# Index levels whose month-on-month change is checked.
LEVELS = {column: MONTHLY[column] for column in ("cpi_index", "core_cpi_index", "payrolls_thousands")}
PUBLISHED_MONTHS = [
    f"case when {column} is not null then date end as {column.split('_')[0]}_month" for column in MONTHLY
]
AS_OF_DATES = {
    **{f"{column.split('_')[0]}_month": ref for column, ref in MONTHLY.items()},
    "gdp_quarter_date": "fred/A191RL1Q225SBEA",
    "dff_date": "fred/DFF",
    "walcl_date": "fred/WALCL",
    "dgs10_date": "fred/DGS10",
}


def mart_macro(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_macro",
        spine_query(inputs, "mart_macro", None, LEVELS, PUBLISHED_MONTHS),
        [
            *completeness(inputs),
            unique("date", "month"),
            not_null("date", "every row has its month"),
            between(
                "days_since_previous",
                "the spine has every calendar month: an unpublished month is a row of NULLs, not a gap",
                min_value=28,
                max_value=31,
            ),
            *positive(["cpi_index", "core_cpi_index", "payrolls_thousands", "walcl_usd_mn"]),
            *jumps(inputs, "mart_macro", LEVELS, what="monthly"),
            *ranged(inputs, "mart_macro", "cpi_yoy_pct", "US CPI inflation"),
            *ranged(inputs, "mart_macro", "core_cpi_yoy_pct", "US core CPI inflation"),
            *ranged(inputs, "mart_macro", "unemployment_rate_pct", "US unemployment"),
            at_least(
                "unemployment_rate_pct",
                "unemployment_12m_low_pct",
                "the 12-month low includes the month itself, so it is never above the rate",
            ),
            *ranged(
                inputs, "mart_macro", "payrolls_3m_avg_change_thousands", "the 3-month average payroll change"
            ),
            *ranged(inputs, "mart_macro", "gdp_growth_saar_pct", "real GDP growth (SAAR)"),
            *ranged(inputs, "mart_macro", "dff_rate_pct", "the effective fed funds rate"),
            *ranged(inputs, "mart_macro", "dgs10_yield_pct", "the 10-year Treasury yield"),
            *ranged(inputs, "mart_macro", "walcl_13w_change_pct", "the Fed balance sheet's 13-week change"),
            spine_freshness(inputs, "mart_macro", None),
            *as_of_freshness(inputs, "mart_macro", AS_OF_DATES),
        ],
    )
