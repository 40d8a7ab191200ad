"""Great Expectations suites as blocking Dagster asset checks on the marts.

A failed suite (any expectation of severity `error`) fails its check, and since the check is
blocking the thesis summary does not run: the last good summary stays in place. Warnings are
reported in the check's metadata but do not block.
"""

from collections.abc import Callable

import dagster as dg

from assets.markdown import md_table
from expectations.suites import SUITES, Suite, SuiteInputs
from orchestration.resources import SourceSettings, WarehouseResource, data_dir


def _previous_rows(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey) -> int | None:
    """Row count validated by the last run of this check with no error (None on the first run)."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as Status

    history = instance.event_log_storage.get_asset_check_execution_history(
        check_key, limit=20, status={Status.SUCCEEDED, Status.FAILED}
    )
    for record in history:
        evaluation = record.evaluation
        if evaluation is None or "rows" not in evaluation.metadata:
            continue
        if evaluation.metadata.get("failed") and evaluation.metadata["failed"].value:
            continue
        return int(evaluation.metadata["rows"].value)
    return None


def _outcome_table(outcomes) -> str:
    import polars as pl

    frame = pl.DataFrame(
        {
            "expectation": [o.expectation for o in outcomes],
            "column": [o.column for o in outcomes],
            "severity": [o.severity for o in outcomes],
            "unexpected": [o.unexpected_count for o in outcomes],
            "observed": [str(o.observed) if o.observed is not None else None for o in outcomes],
            "sample": [str(o.sample)[:120] if o.sample else None for o in outcomes],
        },
        strict=False,
    )
    return md_table(frame)


def run_suite(suite: Suite, warehouse: WarehouseResource) -> "SuiteOutcome":  # noqa: F821
    from expectations.gx_runner import validate

    with warehouse.connect() as con:
        frame = con.sql(suite.query).df()
    return validate(frame, suite, docs_dir=data_dir() / "gx_docs" / suite.name)


def _build(mart: str, builder: Callable[[SuiteInputs], Suite]) -> dg.AssetChecksDefinition:
    asset_key = dg.AssetKey(["marts", mart])
    check_name = f"gx_{mart}"

    @dg.asset_check(
        asset=asset_key,
        name=check_name,
        blocking=True,
        description=f"Great Expectations suite `{mart}`: ranges, freshness, completeness, gaps and jumps.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, sources: SourceSettings):
        inputs = SuiteInputs(
            as_of=sources.reference_date(),
            previous_rows=_previous_rows(context.instance, dg.AssetCheckKey(asset_key, check_name)),
        )
        outcome = run_suite(builder(inputs), warehouse)
        problems = outcome.failed + outcome.warnings
        metadata = {
            "rows": dg.MetadataValue.int(outcome.rows),
            "expectations": len(outcome.outcomes),
            "failed": len(outcome.failed),
            "warnings": len(outcome.warnings),
            "as_of": str(inputs.as_of),
        }
        if problems:
            metadata["failing_expectations"] = dg.MetadataValue.md(_outcome_table(problems))
        if outcome.docs_path:
            metadata["data_docs"] = dg.MetadataValue.path(str(outcome.docs_path))
        # Only `error` expectations block the summary; `warn` ones fail the check at WARN severity,
        # which the UI shows but which does not block.
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR if outcome.failed else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )

    return _check


gx_checks = [_build(mart, builder) for mart, builder in SUITES.items()]
