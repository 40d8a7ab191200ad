"""The Great Expectations gate: every suite as a blocking Dagster asset check, run in one step.

Each mart's suite is the check `gx_<mart>` on `marts/<mart>`; the price series suite is
`gx_price_series` on `staging/int_prices__daily`, the long table every price mart is built from.
They run in one step (one GX import, one context, one Data Docs build), each validated by GX in
DuckDB on the step's warehouse connection (no rows copied to pandas), and a failed expectation
of severity `error` in any of them fails that check and the step, so the thesis summary, which
waits for every mart's check, does not run and the last good summary stays in place. Warnings
(`warn`) fail their check at WARN severity: shown in the UI and the metadata, blocking nothing.

Each check's metadata lists the expectations that did not pass, with counts and sample failing
rows (key and value), and links the suite's Data Docs page under the data directory.
"""

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from assets.markdown import md_table
from config.resources import SourceSettings, WarehouseResource, data_dir
from expectations import record
from expectations.suites import SERIES_SUITES, SUITES
from expectations.suites.spec import Suite, SuiteInputs

DOCS_DIR = "gx_docs"


@dataclass(frozen=True)
class Gate:
    check: str
    asset: dg.AssetKey
    build: Callable[[SuiteInputs], Suite]

    @property
    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(self.asset, self.check)


GATES = [
    *(Gate(f"gx_{mart}", dg.AssetKey(["marts", mart]), build) for mart, build in SUITES.items()),
    *(Gate(f"gx_{name}", dg.AssetKey(asset), build) for name, (asset, build) in SERIES_SUITES.items()),
]


def _problems_table(outcomes) -> str:
    import polars as pl

    frame = pl.DataFrame(
        {
            "expectation": [o.expectation for o in outcomes],
            "columns": [", ".join(o.columns) for o in outcomes],
            "severity": [o.severity for o in outcomes],
            "unexpected": [o.unexpected_count for o in outcomes],
            "of": [o.element_count for o in outcomes],
            "observed": [None if o.observed is None else str(o.observed)[:80] for o in outcomes],
            "first failing row": [
                " ".join(f"{k}={v}" for k, v in o.sample[0].items())[:160] if o.sample else None
                for o in outcomes
            ],
        },
        strict=False,
    )
    return md_table(frame)


def _result(gate: Gate, inputs: SuiteInputs, outcome, docs_dir) -> dg.AssetCheckResult:
    problems = outcome.failed + outcome.warnings
    metadata = {
        "rows": dg.MetadataValue.int(outcome.rows),
        "expectations": len(outcome.outcomes),
        "failed": len(outcome.failed),
        "warnings": len(outcome.warnings),
        "as_of": str(inputs.as_of),
    }
    if inputs.previous_rows is not None:
        metadata["previous_rows"] = inputs.previous_rows
    if problems:
        metadata["failing_expectations"] = dg.MetadataValue.md(_problems_table(problems))
        metadata["failures"] = dg.MetadataValue.json(
            [
                {
                    "summary": o.summary(),
                    "expectation": o.expectation,
                    "columns": o.columns,
                    "severity": o.severity,
                    "unexpected": o.unexpected_count,
                    "of": o.element_count,
                    "observed": o.observed,
                    "sample": o.sample,
                    "why": o.why,
                }
                for o in problems
            ]
        )
    if outcome.docs_path is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(outcome.docs_path))
        metadata["data_docs_index"] = dg.MetadataValue.path(str(docs_dir / "index.html"))
    return dg.AssetCheckResult(
        asset_key=gate.asset,
        check_name=gate.check,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR if outcome.failed else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


@dg.multi_asset_check(
    name="gx_gate",
    specs=[
        dg.AssetCheckSpec(
            gate.check,
            asset=gate.asset,
            blocking=True,
            description=f"Great Expectations suite `{gate.check.removeprefix('gx_')}` "
            "(expectations/suites/): ranges, freshness, completeness, gaps, jumps and cross-source "
            "agreement. Blocks the thesis summary on an error; warnings only show.",
        )
        for gate in GATES
    ],
    can_subset=True,
    compute_kind="great_expectations",
    pool="warehouse",
)
def gx_gate(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, sources: SourceSettings):
    """Validates every selected suite against the warehouse, then renders their Data Docs once."""
    import duckdb

    from expectations.gx_runner import SuiteOutcome, Validator, cap_memory

    as_of = sources.reference_date()
    docs_dir = data_dir() / DOCS_DIR
    validator = Validator(docs_dir, run_name=context.run.run_id)
    validated = []
    with warehouse.connect() as con:
        cap_memory(con, data_dir() / "gx_spill")
        for gate in GATES:
            if gate.key not in context.selected_asset_check_keys:
                continue
            baseline = record.last_good(con, gate.check, gate.asset.to_user_string())
            inputs = SuiteInputs(as_of=as_of, previous_rows=baseline.rows if baseline else None)
            suite = gate.build(inputs)
            try:
                # In the warehouse: the suite's rows become a temporary table GX validates in DuckDB.
                outcome = validator.validate_in_warehouse(con, suite)
            except duckdb.Error as exc:
                # A table that cannot be read (missing, a renamed column) fails its check, not the others.
                validated.append((gate, inputs, None, f"{type(exc).__name__}: {exc}"))
                continue
            validated.append((gate, inputs, outcome, None))
        record.record(
            con,
            context.run.run_id,
            as_of,
            [
                record.Evaluation(
                    gate.check,
                    gate.asset.to_user_string(),
                    passed=outcome is not None and not (outcome.failed or outcome.warnings),
                    failed=1 if outcome is None else len(outcome.failed),
                    warnings=0 if outcome is None else len(outcome.warnings),
                    rows=None if outcome is None else outcome.rows,
                )
                for gate, _, outcome, _ in validated
            ],
        )
    pages = validator.publish_docs()
    for gate, inputs, outcome, error in validated:
        if outcome is None:
            yield dg.AssetCheckResult(
                asset_key=gate.asset,
                check_name=gate.check,
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "error": error,
                    "failed": 1,
                    "as_of": str(as_of),
                    "failures": dg.MetadataValue.json([{"summary": f"the table could not be read: {error}"}]),
                },
            )
            continue
        page = pages.get(outcome.suite)
        yield _result(
            gate, inputs, SuiteOutcome(outcome.suite, outcome.outcomes, outcome.rows, page), docs_dir
        )


gx_checks = [gx_gate]
