"""The one module that touches Great Expectations.

GX is imported lazily, inside `Validator`, so loading the code location stays fast; a change of
GX's API touches this file only. Validation uses an ephemeral context and a pandas batch: GX's
SQL route over duckdb-engine silently returns empty metrics (see STACK.md), and `dagster-ge`
supports GX 0.x only.

One `Validator` serves a whole gate step: one context for every suite, and one Data Docs build
at the end (a validation page per suite, the suite pages and the index) under the data
directory, where the last `KEEP_RUNS` runs of each suite are kept.
"""

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from expectations.suites.spec import Expect, Suite

SITE = "thesis_warehouse"
DATASOURCE = "thesis_warehouse"
KEEP_RUNS = 30
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str  # GX's snake-case type, e.g. expect_column_values_to_be_between
    columns: list[str]
    severity: str  # error | warn
    success: bool
    unexpected_count: int | None
    element_count: int | None
    observed: Any
    why: str
    # Failing rows: each row's key, the tested value(s) and the expectation's evidence columns.
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def column(self) -> str | None:
        return self.columns[0] if self.columns else None

    def summary(self) -> str:
        """One line for logs and the terminal: what failed, how often, and an example."""
        target = f"{self.expectation}({', '.join(self.columns)})" if self.columns else self.expectation
        if self.unexpected_count is not None:
            count = f"{self.unexpected_count} of {self.element_count} rows unexpected"
        else:
            count = f"observed {self.observed}"
        example = ""
        if self.sample:
            example = ", e.g. " + " ".join(f"{k}={v}" for k, v in self.sample[0].items())
        return f"{target} [{self.severity}]: {count}{example}"


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    outcomes: list[ExpectationOutcome]
    rows: int
    docs_path: Path | None = None

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "error"]

    @property
    def success(self) -> bool:
        return not self.failed


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return str(value)


def _sample(frame: pd.DataFrame, suite: Suite, spec: Expect, details: dict) -> list[dict[str, Any]]:
    """The first failing rows, by their positions in the frame (GX's partial_unexpected_index_list)."""
    positions = list(details.get("partial_unexpected_index_list") or [])[:SAMPLE_ROWS]
    wanted = [c for c in dict.fromkeys([*suite.key, *spec.columns, *spec.evidence]) if c in frame.columns]
    rows = []
    for position in positions:
        if isinstance(position, int) and 0 <= position < len(frame):
            rows.append({c: _jsonable(frame.iloc[position][c]) for c in wanted})
    return rows


class Validator:
    """A GX context for one gate step: validate suites one by one, then publish their Data Docs."""

    def __init__(self, docs_dir: Path | None = None, run_name: str | None = None):
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self._gx = gx
        self.docs_dir = docs_dir
        self.run_id = gx.RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
        config = DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        if docs_dir is not None:
            self.context.add_data_docs_site(
                site_name=SITE,
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        self._source = self.context.data_sources.add_pandas(DATASOURCE)

    def _expectation(self, spec: Expect, position: int):
        cls = getattr(self._gx.expectations, spec.type)
        severity = "critical" if spec.severity == "error" else "warning"
        return cls(
            **spec.kwargs, severity=severity, notes=spec.why, meta={"why": spec.why, "position": position}
        )

    def validate(self, frame: pd.DataFrame, suite: Suite) -> SuiteOutcome:
        gx = self._gx
        batch = self._source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe(
            "whole_table"
        )
        expectations = [self._expectation(e, i) for i, e in enumerate(suite.expectations)]
        gx_suite = self.context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=expectations))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
        )
        result = definition.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS},
            run_id=self.run_id,
        )
        outcomes: list[ExpectationOutcome | None] = [None] * len(suite.expectations)
        for r in result.results:
            position = r.expectation_config.meta["position"]
            spec = suite.expectations[position]
            details = r.result or {}
            observed = details.get("observed_value")
            if r.exception_info and r.exception_info.get("raised_exception"):
                observed = r.exception_info.get("exception_message")
            outcomes[position] = ExpectationOutcome(
                expectation=r.expectation_config.type,
                columns=spec.columns,
                severity=spec.severity,
                success=bool(r.success),
                unexpected_count=details.get("unexpected_count"),
                element_count=details.get("element_count"),
                observed=_jsonable(observed),
                why=spec.why,
                sample=[] if r.success else _sample(frame, suite, spec, details),
            )
        return SuiteOutcome(suite=suite.name, outcomes=[o for o in outcomes if o], rows=len(frame))

    def publish_docs(self) -> dict[str, Path]:
        """Render this session's validations into the Data Docs site; each suite's page path."""
        if self.docs_dir is None:
            return {}
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        keys = list(self.context.validation_results_store.list_keys())
        suites = {key.expectation_suite_identifier.name for key in keys}
        for suite in suites:
            _prune(self.docs_dir / "validations" / suite, keep=KEEP_RUNS - 1)
        self.context.build_data_docs(
            site_names=[SITE],
            resource_identifiers=[*keys, *(ExpectationSuiteIdentifier(name=s) for s in suites)],
        )
        pages = {}
        for key in keys:
            (site,) = self.context.get_docs_sites_urls(resource_identifier=key, site_name=SITE)
            pages[key.expectation_suite_identifier.name] = Path(unquote(urlparse(site["site_url"]).path))
        return pages


def _prune(suite_dir: Path, keep: int) -> None:
    """Keep the newest `keep` run folders of a suite's validation pages (each run adds one)."""
    if not suite_dir.is_dir():
        return
    runs = sorted(
        (p for p in suite_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def validate(df: pd.DataFrame, suite: Suite, docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate one dataframe against one suite (with `docs_dir`, also render its Data Docs)."""
    validator = Validator(docs_dir)
    outcome = validator.validate(df, suite)
    page = validator.publish_docs().get(suite.name)
    return SuiteOutcome(outcome.suite, outcome.outcomes, outcome.rows, page)
