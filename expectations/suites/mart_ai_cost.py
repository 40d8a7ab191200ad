"""The AI inference cost pillar's gate: one row per month, positive prices and factors, fresh."""

import datetime as dt

from expectations.suites.spec import Expect, Suite, SuiteInputs, completeness

BARS = ("gpt4_level", "gpt35_level")
# The newest price point is normally today's OpenRouter snapshot.
STALENESS_DAYS = 45


def mart_ai_cost(inputs: SuiteInputs) -> Suite:
    fresh_after = dt.datetime.combine(inputs.as_of - dt.timedelta(days=STALENESS_DAYS), dt.time())
    return Suite(
        "mart_ai_cost",
        """
        select *, date - lag(date) over (order by date) as days_since_previous_month
        from marts.mart_ai_cost
        """,
        [
            *completeness(inputs),
            Expect("ExpectColumnValuesToBeUnique", {"column": "date"}, "one row per month"),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "days_since_previous_month", "min_value": 28, "max_value": 31},
                "the spine has every calendar month",
            ),
            *(
                Expect(
                    "ExpectColumnValuesToBeBetween",
                    {"column": f"{bar}_{column}", "min_value": 0, "strict_min": True},
                    what,
                )
                for bar in BARS
                for column, what in (
                    ("usd_per_mtok", "a frontier price is a price: above 0 (free tiers are left out)"),
                    ("decline_factor_per_year", "a decline factor is a ratio of prices: above 0"),
                )
            ),
            Expect(
                "ExpectColumnMaxToBeBetween",
                {"column": "date", "min_value": fresh_after},
                f"the newest month is at most {STALENESS_DAYS} days before {inputs.as_of}",
            ),
        ],
    )
