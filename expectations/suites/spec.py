"""The vocabulary of a suite: expectations as reviewable data (no GX import here), and the
building blocks the suites share: completeness against the last good run, freshness against the
run's reference date, gaps and jumps along a spine, ranges.

Each suite is built at check time from a `SuiteInputs`, because some bounds move with the run:
freshness is judged against the run's reference date (today live, the recording date in replay,
THESIS_AS_OF in demo) and completeness against the row count of the previous successful check.

Severity: `error` blocks the thesis summary, `warn` is reported in the check's metadata and the
Data Docs but blocks nothing. Every expectation says why it exists and why it has its severity.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from assets.raw import ident
from config.gate import Allowances, Bounds, Observed, load_allowances

Severity = Literal["error", "warn"]


@dataclass(frozen=True)
class Expect:
    type: str  # a GX 1.x expectation class name, e.g. "ExpectColumnValuesToBeBetween"
    kwargs: dict[str, Any]
    why: str
    severity: Severity = "error"
    # Columns shown next to each failing row besides its key and the tested value (its worst date...).
    evidence: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """The columns the expectation tests (none for a table-level one)."""
        return [self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs]


@dataclass(frozen=True)
class Suite:
    """Expectations on the rows of `query` (with `params` bound): the table plus derived columns GX
    has no expectation for (gaps between dates, daily changes, per-series profiles), computed in
    DuckDB before the rows reach pandas. `key` names a failing row in samples."""

    name: str
    query: str
    expectations: list[Expect] = field(default_factory=list)
    key: tuple[str, ...] = ("date",)
    params: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class SuiteInputs:
    as_of: dt.date
    previous_rows: int | None = None
    allowances: Allowances = field(default_factory=load_allowances)


def midnight(day: dt.date) -> dt.datetime:
    """Dates reach pandas as datetime64: bounds on date columns are datetimes at midnight."""
    return dt.datetime.combine(day, dt.time())


def completeness(inputs: SuiteInputs, what: str = "rows") -> list[Expect]:
    """Rows are lost (ERROR) when the table holds more than `max_row_drop` fewer than at the last
    good gate run of this warehouse (`audit.gate_runs`). A table that is empty, and was empty or
    unseen at that run, is absence (WARN): its source series have not loaded yet, and the
    summary marks the metrics that read it `no_data` with the reason."""
    if not inputs.previous_rows:
        return [
            Expect(
                "ExpectTableRowCountToBeBetween",
                {"min_value": 1},
                f"no {what} yet: the series this table is built from are absent from the warehouse "
                "(never loaded, or failed: see the sources' load checks); warns: absence never blocks, "
                "the metrics that read it are no_data",
                severity="warn",
            )
        ]
    drop = inputs.allowances.settings.max_row_drop
    floor = int(inputs.previous_rows * (1 - drop))
    return [
        Expect(
            "ExpectTableRowCountToBeBetween",
            {"min_value": floor},
            f"no more than {drop:.0%} fewer {what} than the last good gate run of this warehouse "
            f"({inputs.previous_rows}): raw loads never delete, so lost rows are a truncated or "
            "corrupted build, and every later row of a window or as-of join would be wrong",
        )
    ]


def unique(column: str, what: str) -> Expect:
    return Expect(
        "ExpectColumnValuesToBeUnique",
        {"column": column},
        f"one row per {what}: a duplicated key doubles what reads it",
    )


def not_null(column: str, why: str) -> Expect:
    return Expect("ExpectColumnValuesToNotBeNull", {"column": column}, why)


def between(
    column: str,
    why: str,
    min_value: float | None = None,
    max_value: float | None = None,
    severity: Severity = "error",
    strict_min: bool = False,
    evidence: tuple[str, ...] = (),
) -> Expect:
    kwargs: dict[str, Any] = {"column": column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    if strict_min:
        kwargs["strict_min"] = True
    return Expect("ExpectColumnValuesToBeBetween", kwargs, why, severity, evidence)


def at_least(
    column_a: str, column_b: str, why: str, severity: Severity = "error", evidence: tuple[str, ...] = ()
) -> Expect:
    """`column_a` >= `column_b` on every row that has both."""
    return Expect(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": column_a,
            "column_B": column_b,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        why,
        severity,
        evidence,
    )


def positive(columns: Iterable[str]) -> list[Expect]:
    """Prices and index levels are > 0 where present (an as-of column is NULL before its series starts)."""
    return [
        between(column, "a price or index level is never zero or negative", min_value=0, strict_min=True)
        for column in columns
    ]


def spine_freshness(inputs: SuiteInputs, mart: str, ref: str | None, column: str = "date") -> Expect:
    """The spine's latest date is recent enough for its frequency. Warns: old data is absence of
    new data, not corruption; the summary marks each metric that reads it stale, with its date."""
    lag = inputs.allowances.max_lag_days(ref, mart, column)
    return Expect(
        "ExpectColumnMaxToBeBetween",
        {"column": column, "min_value": midnight(inputs.as_of - dt.timedelta(days=lag))},
        f"the latest {column} is at most {lag} days before {inputs.as_of}"
        f"{f' ({ref})' if ref else ''}; warns: a stale spine means the whole mart is old, and the "
        "summary marks its metrics stale rather than withholding the verdict",
        severity="warn",
    )


def as_of_freshness(inputs: SuiteInputs, mart: str, dates: Mapping[str, str]) -> list[Expect]:
    """Each as-of input's latest date (`<x>_date` column → catalog series) is recent enough for its
    frequency. Warns: the mart is current and one input lags; the source's freshness check and the
    summary's per-metric age rule name it, and blocking would withhold the fresh pillars too."""
    out = []
    for column, ref in dates.items():
        lag = inputs.allowances.max_lag_days(ref, mart, column)
        out.append(
            Expect(
                "ExpectColumnMaxToBeBetween",
                {"column": column, "min_value": midnight(inputs.as_of - dt.timedelta(days=lag))},
                f"{ref} was observed at most {lag} days before {inputs.as_of} (its frequency's "
                "max_lag_days); warns: a lagging input is reported, the fresh pillars still get a verdict",
                severity="warn",
            )
        )
    return out


def spine_query(
    inputs: SuiteInputs,
    mart: str,
    spine: str | None,
    prices: Mapping[str, str | None],
    extra: Iterable[str] = (),
) -> str:
    """The mart's rows plus, along its spine (one row per date, in date order): the days since the
    previous row (`days_since_previous`) and, for each price column (→ its catalog series), its
    change from the previous row in percent (`<column>_change_pct`): the columns the gap and jump
    expectations read. Both are NULL before a series' `checked_from` (gate.yaml)."""

    def since(ref: str | None, expression: str) -> str:
        start = inputs.allowances.checked_from(ref) if ref else None
        return (
            expression
            if start is None
            else f"case when date >= date '{start.isoformat()}' then {expression} end"
        )

    derived = [f"{since(spine, 'date - lag(date) over spine')} as days_since_previous"]
    for column, ref in prices.items():
        change = f"100 * {ident(column)} / lag({ident(column)}) over spine - 100"
        derived.append(f"{since(ref, change)} as {ident(column)}_change_pct")
    derived += list(extra)
    return f"select *, {', '.join(derived)} from marts.{ident(mart)} window spine as (order by date)"


def gaps(inputs: SuiteInputs, ref: str) -> Expect:
    """No gap along a business-day or daily spine longer than its frequency allows."""
    allowed = inputs.allowances.max_gap_days(ref)
    return between(
        "days_since_previous",
        f"no gap longer than {allowed} days between two {ref} observations: a hole in the spine "
        "is a lost load, and every window or 1-year change across it would be wrong",
        max_value=allowed,
    )


def _record(observed: Observed | None, unit: str = "") -> str:
    """Real history's extremes, for a why: `real history -9.02..131.45 (2009-02 and 2008-11)`."""
    if observed is None:
        return ""
    values = [f"{v:g}{unit}" for v in (observed.min, observed.max) if v is not None]
    return f" (real history: {'..'.join(values)}, {observed.at})"


def jumps(inputs: SuiteInputs, mart: str, columns: Iterable[str], what: str = "daily") -> list[Expect]:
    """No move of a level column (needs `spine_query`'s `<column>_change_pct`) beyond the limit
    gate.yaml calibrates for it (its own under `marts.<mart>.moves`, else `max_move_pct`)."""
    out = []
    for column in columns:
        move = inputs.allowances.move(mart, column)
        out.append(
            between(
                f"{column}_change_pct",
                f"a {what} move of {column} beyond ±{move.limit:g} %{_record(move.real, ' %')} is a "
                "load error (a decimal, a unit, a bad print), not a market move",
                min_value=-move.limit,
                max_value=move.limit,
                evidence=(column,),
            )
        )
    return out


def ranged(inputs: SuiteInputs, mart: str, column: str, what: str) -> list[Expect]:
    """`column` within the bounds gate.yaml calibrates for it, and within its warn-only inner
    bounds if it has them."""
    bounds = inputs.allowances.range(mart, column)
    record = _record(bounds.real)
    if bounds.severity == "error":
        consequence = "beyond them is a unit, decimal or series error, and blocks"
    else:
        consequence = "beyond them is possible but more likely a bad input: warns"
    out = [
        between(
            column,
            f"{what} stays within {_span(bounds)}{record}; {consequence}",
            min_value=bounds.min,
            max_value=bounds.max,
            severity=bounds.severity,
        )
    ]
    if bounds.warn is not None:
        out.append(
            between(
                column,
                f"{what} outside {_span(bounds.warn)} is possible but never seen{record}: warns",
                min_value=bounds.warn.min,
                max_value=bounds.warn.max,
                severity="warn",
            )
        )
    return out


def _span(bounds: Bounds) -> str:
    low = "" if bounds.min is None else f"{bounds.min:g}"
    high = "" if bounds.max is None else f"{bounds.max:g}"
    return f"{low}..{high}"
