"""The dollar pillar's gate: the broad index is present, plausible, fresh, gap-free and jump-free."""

import datetime as dt

from expectations.suites.spec import Expect, Suite, SuiteInputs, completeness


def mart_dollar(inputs: SuiteInputs) -> Suite:
    fresh_after = inputs.as_of - dt.timedelta(days=inputs.max_staleness_days)
    return Suite(
        "mart_dollar",
        """
        select *,
               date - lag(date) over (order by date) as days_since_previous,
               100 * broad_dollar_index / lag(broad_dollar_index) over (order by date) - 100
                   as daily_change_pct
        from marts.mart_dollar
        """,
        [
            *completeness(inputs),
            Expect("ExpectColumnValuesToBeUnique", {"column": "date"}, "one row per day"),
            Expect(
                "ExpectColumnValuesToNotBeNull", {"column": "broad_dollar_index"}, "every row has a level"
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "broad_dollar_index", "min_value": 50, "max_value": 200},
                "the broad index (Jan 2006 = 100) has stayed within 80-130 since 2006",
            ),
            Expect(
                "ExpectColumnMaxToBeBetween",
                {"column": "date", "min_value": dt.datetime.combine(fresh_after, dt.time())},
                f"the latest observation is at most {inputs.max_staleness_days} days before {inputs.as_of}",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "days_since_previous", "max_value": inputs.max_gap_days},
                f"no gap longer than {inputs.max_gap_days} days between observations",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "daily_change_pct", "min_value": -50, "max_value": 50},
                "a daily move beyond ±50% is a data error, not a market move",
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "broad_dollar_1y_change_pct", "min_value": -40, "max_value": 40},
                "a year's move beyond ±40% would be unprecedented for the broad index",
                severity="warn",
            ),
        ],
    )
