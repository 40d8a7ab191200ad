"""The global value share pillar's gate: one row per year, shares that are shares, a recent year."""

from expectations.suites.spec import Expect, Suite, SuiteInputs, completeness

SHARES = [
    f"{country}_{indicator}_share_pct"
    for indicator in ("population", "gdp", "exports", "market_cap")
    for country in ("us", "cn")
]
# World Bank annual values are out 6-18 months after the year ends; three years allows a late
# WDI update.
MAX_AGE_YEARS = 3


def mart_value_share(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_value_share",
        """
        select *, case when us_gdp_share_pct is not null then year end as gdp_year
        from marts.mart_value_share
        """,
        [
            *completeness(inputs),
            Expect("ExpectColumnValuesToBeUnique", {"column": "year"}, "one row per year"),
            Expect("ExpectColumnValuesToNotBeNull", {"column": "year"}, "every row has its year"),
            *(
                Expect(
                    "ExpectColumnValuesToBeBetween",
                    {"column": share, "min_value": 0, "max_value": 100},
                    "a share of the world is between 0 and 100 %",
                )
                for share in SHARES
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "us_population_share_pct", "min_value": 3, "max_value": 7},
                "the US has held 4-6 % of the world's people since 1960",
            ),
            Expect(
                "ExpectColumnMaxToBeBetween",
                {"column": "gdp_year", "min_value": inputs.as_of.year - MAX_AGE_YEARS},
                f"a US GDP share exists for {inputs.as_of.year - MAX_AGE_YEARS} or later",
            ),
        ],
    )
