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
            *jumps(inputs, ["cpi_index", "core_cpi_index"], max_move_pct=5, what="monthly"),
            *jumps(inputs, ["payrolls_thousands"], max_move_pct=20, what="monthly"),
            between(
                "cpi_yoy_pct",
                "US CPI inflation has stayed within -3 % (1949) and 15 % (1980) since 1948",
                min_value=-5,
                max_value=20,
            ),
            between(
                "core_cpi_yoy_pct",
                "core CPI inflation peaked at 13.6 % (1980)",
                min_value=-5,
                max_value=20,
            ),
            between(
                "unemployment_rate_pct",
                "US unemployment has stayed within 2.5 % (1953) and 14.8 % (April 2020)",
                min_value=1,
                max_value=30,
            ),
            at_least(
                "unemployment_rate_pct",
                "unemployment_12m_low_pct",
                "the 12-month low includes the month itself, so it is never above the rate",
            ),
            between(
                "payrolls_3m_avg_change_thousands",
                "April 2020 lost 20.5 M jobs, a 3-month average of about -7 M: beyond ±15 M is a unit error",
                min_value=-15000,
                max_value=15000,
            ),
            between(
                "gdp_growth_saar_pct",
                "real GDP growth (SAAR) has stayed within -28 % and +35 % (2020) since 1947",
                min_value=-60,
                max_value=60,
            ),
            between(
                "dff_rate_pct",
                "the effective fed funds rate peaked near 22 % (1981) and has not gone negative",
                min_value=0,
                max_value=25,
            ),
            between(
                "dgs10_yield_pct",
                "the 10-year Treasury yield has stayed within 0.5 % (2020) and 15.8 % (1981)",
                min_value=-1,
                max_value=20,
            ),
            between(
                "walcl_13w_change_pct",
                "the balance sheet's fastest 13 weeks (March-June 2020) added about 70 %",
                min_value=-50,
                max_value=100,
            ),
            spine_freshness(inputs, "mart_macro", None),
            *as_of_freshness(inputs, "mart_macro", AS_OF_DATES),
        ],
    )
