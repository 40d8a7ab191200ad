"""A suite's expectations as hand-written SQL: one aggregate query over the suite's own rows.

The floor the Great Expectations gate is compared with: the same rows (the suite's `query`), the
same checks, as the SQL an engineer would write, in one scan. Expectation types without a
translation here are counted and left out, so a new type in a suite shows up in the results.
"""

import datetime as dt
import re
from typing import Any

from expectations.suites.spec import Expect, Suite

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _column(name: str) -> str:
    if not _COLUMN.match(name):
        raise ValueError(f"refusing unsafe column name {name!r}")
    return f'"{name}"'


def _literal(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"no SQL literal for {value!r}")
    return repr(value)


def _between(column: str, kwargs: dict[str, Any]) -> str:
    """The SQL condition of a value outside [min, max] (strict bounds exclude the bound)."""
    outside = []
    if kwargs.get("min_value") is not None:
        op = "<=" if kwargs.get("strict_min") else "<"
        outside.append(f"{column} {op} {_literal(kwargs['min_value'])}")
    if kwargs.get("max_value") is not None:
        op = ">=" if kwargs.get("strict_max") else ">"
        outside.append(f"{column} {op} {_literal(kwargs['max_value'])}")
    return " or ".join(outside) or "false"


def aggregate(expect: Expect) -> str | None:
    """The aggregate that decides one expectation, or None when its type has no translation."""
    kwargs = expect.kwargs
    column = _column(kwargs["column"]) if "column" in kwargs else None
    match expect.type:
        case "ExpectTableRowCountToBeBetween":
            return "count(*)"
        case "ExpectColumnValuesToNotBeNull":
            return f"count(*) filter (where {column} is null)"
        case "ExpectColumnValuesToBeUnique":
            return f"count({column}) - count(distinct {column})"
        case "ExpectColumnValuesToBeBetween":
            return f"count(*) filter (where {_between(column, kwargs)})"
        case "ExpectColumnMaxToBeBetween":
            return f"max({column})"
        case "ExpectColumnMinToBeBetween":
            return f"min({column})"
        case "ExpectColumnMeanToBeBetween":
            return f"avg({column})"
    return None


def suite_sql(suite: Suite) -> tuple[str, int, list[str]]:
    """(the query, how many expectations it decides, the types left out)."""
    parts, skipped = [], []
    for i, expect in enumerate(suite.expectations):
        sql = aggregate(expect)
        if sql is None:
            skipped.append(expect.type)
        else:
            parts.append(f"{sql} as e{i}")
    select = ", ".join(parts) or "count(*)"
    return f"select {select} from ({suite.query}) as suite_rows", len(parts), skipped
