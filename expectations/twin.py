"""The gate's SQL twin: each suite as one hand-written DuckDB query counting what each of its
expectations flags (what checks written as SQL, dbt-test style, would compute).

The benchmark (`make bench`) times the gate against it, on the same warehouse: both start from
the suite's query, so the ratio is GX's cost over the same relation. Tests prove the twin flags
exactly what GX flags (tests/test_gate.py, tests/test_gate_suites.py).
"""

from typing import Any

from assets.raw import ident
from expectations.suites.spec import Expect, Suite


def _condition(spec: Expect) -> tuple[str, list[Any]] | None:
    """The SQL predicate of a row that `spec` flags (None for a table-level expectation)."""
    k = spec.kwargs
    if spec.type == "ExpectColumnValuesToBeBetween":
        column, parts, params = ident(k["column"]), [], []
        if "min_value" in k:
            parts.append(f"{column} {'<=' if k.get('strict_min') else '<'} ?")
            params.append(k["min_value"])
        if "max_value" in k:
            parts.append(f"{column} > ?")
            params.append(k["max_value"])
        return f"{column} is not null and ({' or '.join(parts)})", params
    if spec.type == "ExpectColumnValuesToNotBeNull":
        return f"{ident(k['column'])} is null", []
    if spec.type == "ExpectColumnValuesToBeUnique":
        return f"{ident(k['column'])} is not null and n_{ident(k['column'])} > 1", []
    if spec.type == "ExpectColumnPairValuesAToBeGreaterThanB":
        a, b = ident(k["column_A"]), ident(k["column_B"])
        return f"{a} is not null and {b} is not null and {a} {'<' if k.get('or_equal') else '<='} {b}", []
    return None


def sql_twin(suite: Suite) -> tuple[str, list[Any]]:
    """One query over the suite's rows: per expectation, the rows it flags (or, table-level, the
    row count or the column's max), in the suite's order, as columns e0, e1, ..."""
    selects, params = [], []
    for i, spec in enumerate(suite.expectations):
        if spec.type == "ExpectTableRowCountToBeBetween":
            selects.append(f"count(*) as e{i}")
        elif spec.type == "ExpectColumnMaxToBeBetween":
            selects.append(f"max({ident(spec.kwargs['column'])}) as e{i}")
        else:
            condition, bound = _condition(spec)
            selects.append(f"count(*) filter (where {condition}) as e{i}")
            params += bound
    uniques = {s.kwargs["column"] for s in suite.expectations if s.type == "ExpectColumnValuesToBeUnique"}
    windows = "".join(f", count(*) over (partition by {ident(c)}) as n_{ident(c)}" for c in sorted(uniques))
    sql = f"with q as ({suite.query}), w as (select *{windows} from q) select {', '.join(selects)} from w"
    return sql, [*suite.params, *params]


def twin_flags(con, suite: Suite) -> list[Any]:
    """The twin's result: per expectation, its count of flagged rows (or the row count / max)."""
    sql, params = sql_twin(suite)
    return list(con.execute(sql, params).fetchall()[0])
