"""The macro & Fed pillar's gate: one row per calendar month, plausible levels, fresh CPI."""

import datetime as dt

from expectations.suites.spec import Expect, Suite, SuiteInputs, completeness

# The spine reaches the month of the newest daily observation (fed funds, 10-year yield).
SPINE_STALENESS_DAYS = 45
# CPI for a month is out about two weeks after it ends, so the newest CPI month normally starts
# 45-75 days before the as-of date; 120 days allows one late or missed release.
CPI_STALENESS_DAYS = 120


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def mart_macro(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_macro",
        """
        select *,
               date - lag(date) over (order by date) as days_since_previous_month,
               case when cpi_index is not null then date end as cpi_month
        from marts.mart_macro
        """,
        [
            *completeness(inputs),
            Expect("ExpectColumnValuesToBeUnique", {"column": "date"}, "one row per month"),
            Expect("ExpectColumnValuesToNotBeNull", {"column": "date"}, "every row has its month"),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "days_since_previous_month", "min_value": 28, "max_value": 31},
                "the spine has every calendar month: an unpublished month is a row of NULLs, not a gap",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "cpi_yoy_pct", "min_value": -5, "max_value": 20},
                "US CPI inflation has stayed within -3 % (1949) and 15 % (1980) since 1948",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "core_cpi_yoy_pct", "min_value": -5, "max_value": 20},
                "core CPI inflation peaked at 13.6 % (1980)",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "unemployment_rate_pct", "min_value": 1, "max_value": 30},
                "US unemployment has stayed within 2.5 % (1953) and 14.8 % (April 2020)",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "dff_rate_pct", "min_value": 0, "max_value": 25},
                "the effective fed funds rate peaked near 22 % (1981) and has not gone negative",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "walcl_13w_change_pct", "min_value": -50, "max_value": 100},
                "the balance sheet's fastest 13 weeks (March-June 2020) added about 70 %",
            ),
            Expect(
                "ExpectColumnMaxToBeBetween",
                {
                    "column": "date",
                    "min_value": _midnight(inputs.as_of - dt.timedelta(days=SPINE_STALENESS_DAYS)),
                },
                f"the newest month is at most {SPINE_STALENESS_DAYS} days before {inputs.as_of}",
            ),
            Expect(
                "ExpectColumnMaxToBeBetween",
                {
                    "column": "cpi_month",
                    "min_value": _midnight(inputs.as_of - dt.timedelta(days=CPI_STALENESS_DAYS)),
                },
                f"the newest CPI month starts at most {CPI_STALENESS_DAYS} days before {inputs.as_of}",
            ),
        ],
    )
