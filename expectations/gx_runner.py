"""The one module that touches Great Expectations.

GX is imported lazily, inside `validate`, so loading the code location stays fast; a change of
GX's API touches this file only. Validation uses an ephemeral context and a pandas batch: GX's
SQL route over duckdb-engine silently returns empty metrics (see STACK.md), and `dagster-ge`
supports GX 0.x only.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.suites.spec import Expect, Suite


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str  # critical | warning
    success: bool
    unexpected_count: int | None
    observed: Any
    sample: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    outcomes: list[ExpectationOutcome]
    rows: int
    docs_path: Path | None

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]

    @property
    def success(self) -> bool:
        return not self.failed


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return str(value)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value


def _context(docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name="thesis_warehouse",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _expectation(spec: Expect):
    import great_expectations as gx

    cls = getattr(gx.expectations, spec.type)
    return cls(
        **spec.kwargs, severity="critical" if spec.severity == "error" else "warning", meta={"why": spec.why}
    )


def validate(df: pd.DataFrame, suite: Suite, docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate a dataframe against a suite; with `docs_dir`, also render GX Data Docs there."""
    import great_expectations as gx

    context = _context(docs_dir)
    batch = (
        context.data_sources.add_pandas(f"{suite.name}_source")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    gx_suite = context.suites.add(
        gx.ExpectationSuite(name=suite.name, expectations=[_expectation(e) for e in suite.expectations])
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )
    actions = [gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if docs_dir is not None else []
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=suite.name, validation_definitions=[definition], actions=actions, result_format="SUMMARY"
        )
    )
    run = checkpoint.run(batch_parameters={"dataframe": df})
    result = next(iter(run.run_results.values()))
    outcomes = []
    for r in result.results:
        cfg = r.expectation_config
        details = r.result or {}
        outcomes.append(
            ExpectationOutcome(
                expectation=cfg.type,
                column=cfg.kwargs.get("column"),
                severity=str(getattr(cfg.severity, "value", cfg.severity)).lower(),
                success=bool(r.success),
                unexpected_count=details.get("unexpected_count"),
                observed=_jsonable(details.get("observed_value")),
                sample=_jsonable(list(details.get("partial_unexpected_list") or [])[:10]),
            )
        )
    docs = docs_dir / "index.html" if docs_dir is not None and (docs_dir / "index.html").exists() else None
    return SuiteOutcome(suite=suite.name, outcomes=outcomes, rows=len(df), docs_path=docs)
