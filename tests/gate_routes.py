"""The gate's two routes side by side: every suite validated by GX on a pandas frame (the reference
route) and in DuckDB (GX's SQL route, what the gate runs), on one warehouse, and what each flags.

Shared by the corruption matrix (tests/test_gate.py) and the real-data replay
(tests/test_real_data.py): both assert the two routes agree expectation by expectation.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from expectations import record
from expectations.checks import GATES
from expectations.gx_runner import ExpectationOutcome, Validator
from expectations.suites.spec import SuiteInputs


def verdict(outcome: ExpectationOutcome) -> dict[str, Any]:
    """What an expectation decided and showed: pass or fail, counts, observed value, first failing row."""
    return {
        "expectation": outcome.expectation,
        "columns": outcome.columns,
        "success": outcome.success,
        "unexpected_count": outcome.unexpected_count,
        "element_count": outcome.element_count,
        "observed": outcome.observed,
        "first_failing_row": outcome.sample[0] if outcome.sample else None,
    }


def both_routes(warehouse: Path, as_of: dt.date) -> dict[str, tuple[list[dict], list[dict]]]:
    """Per gate check: (pandas route, SQL route) verdicts, in the suite's order. Baselines come from
    the warehouse's own gate record, as in the gate step."""
    pandas, in_db = Validator(), Validator()
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for gate in GATES:
            baseline = record.last_good(con, gate.check, gate.asset.to_user_string())
            suite = gate.build(SuiteInputs(as_of=as_of, previous_rows=baseline.rows if baseline else None))
            frame = con.execute(suite.query, suite.params).df()
            reference = pandas.validate(frame, suite)
            gated = in_db.validate_in_warehouse(con, suite)
            out[gate.check] = (
                [verdict(o) for o in reference.outcomes],
                [verdict(o) for o in gated.outcomes],
            )
            assert reference.rows == gated.rows, gate.check
    return out


def assert_same(routes: dict[str, tuple[list[dict], list[dict]]]) -> int:
    """Each expectation's verdict is the same on both routes; returns how many expectations failed
    (on both), so a caller can also check the matrix really made them fail."""
    failed = 0
    for check, (reference, gated) in routes.items():
        assert len(reference) == len(gated), check
        for a, b in zip(reference, gated, strict=True):
            assert a == b, (check, a, b)
            failed += not a["success"]
    return failed
