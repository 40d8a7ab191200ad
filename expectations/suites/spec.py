"""The vocabulary of a suite: expectations as reviewable data (no GX import here), and the
building blocks every mart's suite shares (completeness against the last good run, freshness).

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


def completeness(inputs: SuiteInputs) -> list[Expect]:
    """Not empty on a first run; afterwards, not much smaller than the last good run."""
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


def spine_query(mart: str, spine_column: str, changes_from: dt.date | None = None) -> str:
    """The mart's rows plus, along its spine (one row per date), the days since the previous row
    and the spine series' change from it, in percent: the columns the gap and jump checks read.
    With `changes_from`, the change is left NULL (not checked) on earlier dates."""
    change = f"100 * {spine_column} / lag({spine_column}) over (order by date) - 100"
    if changes_from is not None:
        change = f"case when date >= date '{changes_from.isoformat()}' then {change} end"
    return f"""
        select *,
               date - lag(date) over (order by date) as days_since_previous,
               {change} as daily_change_pct
        from marts.{mart}
    """


def freshness(inputs: SuiteInputs) -> Expect:
    """The spine's latest date is at most `max_staleness_days` before the run's as-of date."""
    fresh_after = inputs.as_of - dt.timedelta(days=inputs.max_staleness_days)
    return Expect(
        "ExpectColumnMaxToBeBetween",
        {"column": "date", "min_value": dt.datetime.combine(fresh_after, dt.time())},
        f"the latest observation is at most {inputs.max_staleness_days} days before {inputs.as_of}",
    )


def no_jumps(max_move_pct: float = 50) -> Expect:
    """No daily move of the spine series beyond ±`max_move_pct` (needs `spine_query`'s columns)."""
    return Expect(
        "ExpectColumnValuesToBeBetween",
        {"column": "daily_change_pct", "min_value": -max_move_pct, "max_value": max_move_pct},
        f"a daily move beyond ±{max_move_pct:g}% is a data error, not a market move",
    )


def positive(columns: list[str]) -> list[Expect]:
    """Prices and index levels are > 0 where present (an as-of column is NULL before its series starts)."""
    return [
        Expect(
            "ExpectColumnValuesToBeBetween",
            {"column": column, "min_value": 0, "strict_min": True},
            "a price or index level is never zero or negative",
        )
        for column in columns
    ]
