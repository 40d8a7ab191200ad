"""Expectation suites, one per mart, as reviewable data (no GX import here).

Each suite is built at check time from a `SuiteInputs`, because some bounds move with the run:
freshness is judged against the run's as-of date (today live, the recording date in replay) and
completeness against the row count of the previous successful check.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Expect:
    type: str  # a GX 1.x expectation class name, e.g. "ExpectColumnValuesToBeBetween"
    kwargs: dict[str, Any]
    why: str
    severity: Literal["error", "warn"] = "error"


@dataclass(frozen=True)
class Suite:
    """Expectations on the rows of `query`: the mart plus derived columns GX has no expectation for
    (gaps between dates, daily changes), computed in DuckDB before the rows reach pandas."""

    name: str
    query: str
    expectations: list[Expect] = field(default_factory=list)


@dataclass(frozen=True)
class SuiteInputs:
    as_of: dt.date
    previous_rows: int | None = None
    # Days a daily series may lag the as-of date (weekends, holidays, the H.10 weekly release).
    max_staleness_days: int = 10
    # How much a mart may shrink between two successful runs before it is called truncated.
    max_row_drop: float = 0.05
    # Longest gap between two observations of a business-day series (Easter + a holiday week).
    max_gap_days: int = 6


def _completeness(inputs: SuiteInputs) -> list[Expect]:
    if inputs.previous_rows is None:
        return [Expect("ExpectTableRowCountToBeBetween", {"min_value": 1}, "the mart is not empty")]
    floor = int(inputs.previous_rows * (1 - inputs.max_row_drop))
    return [
        Expect(
            "ExpectTableRowCountToBeBetween",
            {"min_value": floor},
            f"no more than {inputs.max_row_drop:.0%} fewer rows than the last good run "
            f"({inputs.previous_rows})",
        )
    ]


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
            *_completeness(inputs),
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


# mart name -> suite builder; checks.py turns each into a blocking asset check on marts/<mart>.
SUITES = {"mart_dollar": mart_dollar}
