"""The dollar pillar's gate: the broad index is present, plausible, fresh, gap-free and jump-free."""

from expectations.suites.spec import (
    Expect,
    Suite,
    SuiteInputs,
    completeness,
    freshness,
    no_jumps,
    positive,
    spine_query,
)


def mart_dollar(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_dollar",
        spine_query("mart_dollar", "broad_dollar_index"),
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
            *positive(["afe_dollar_index", "dxy_index", "usd_cny"]),
            freshness(inputs),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "days_since_previous", "max_value": inputs.max_gap_days},
                f"no gap longer than {inputs.max_gap_days} days between observations",
            ),
            no_jumps(),
            Expect(
                "ExpectColumnValuesToBeBetween",
                {"column": "broad_dollar_1y_change_pct", "min_value": -40, "max_value": 40},
                "a year's move beyond ±40% would be unprecedented for the broad index",
                severity="warn",
            ),
        ],
    )
