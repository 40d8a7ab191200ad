"""The one module that touches Great Expectations.

GX is imported lazily, inside `Validator`, so loading the code location stays fast; a change of
GX's API touches this file only. Validation uses an ephemeral context (`dagster-ge` supports GX
0.x only), and two routes to the same expectations:

* in the warehouse (`Validator.validate_in_warehouse`, what the gate runs): the suite's query,
  its parameters bound, becomes a temporary table on the run's own DuckDB connection, and GX's
  SQL datasource validates it there (expectations/gx_sql.py: the adapter that makes GX's SQL
  route over duckdb-engine return its rows). No row reaches pandas: the gate's memory is DuckDB's.
* on a pandas frame (`Validator.validate`): the reference route, kept for tests/test_gate_route.py,
  which proves the two flag exactly the same things, expectation by expectation, on the
  corruption matrix and the real-data replay. No expectation of a suite needs it.

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

from assets.raw import ident
from config.lake import sql_string
from expectations.suites.spec import Expect, Suite

SITE = "thesis_warehouse"
DATASOURCE = "thesis_warehouse"
KEEP_RUNS = 30
SAMPLE_ROWS = 5
# Two passes. Every expectation is validated with BASIC: success, counts and observed values (what
# Data Docs and the metadata show). Only those that failed on rows are then validated again with
# SUMMARY, for their first failing rows: asking every expectation for them (SUMMARY throughout,
# on SQL with the key columns) cost the gate 40 % more for rows that a passing run never shows.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_ROWS}
SAMPLE_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}

# The gate's DuckDB memory, per thread (DuckDB's own guidance for spilling operators). Uncapped,
# its buffer pool keeps what a query scanned, up to 80 % of RAM: at 5,000 series x 10 years the
# price gate's profile (one window over 13 M rows) held the gate at 1.50 GB where 100 series need
# 0.48 GB. Capped, DuckDB spills that query to disk instead.
MEMORY_PER_THREAD_MIB = 128


def cap_memory(con, spill_dir: Path) -> None:
    """Caps the DuckDB of `con` (the database instance, until its last connection closes) at
    MEMORY_PER_THREAD_MIB per thread. An in-memory database (the team profile's lake session)
    would spill to `.tmp` in the working directory: it spills to `spill_dir` instead."""
    settings = "select current_setting('threads'), current_setting('temp_directory')"
    threads, temp = con.execute(settings).fetchone()
    if not Path(temp).is_absolute():
        spill_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"set temp_directory = {sql_string(spill_dir)}")
    con.execute(f"set memory_limit = '{MEMORY_PER_THREAD_MIB * int(threads)}MiB'")


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
    if isinstance(value, dt.datetime):  # pandas' Timestamp too; a date column on SQL, at midnight
        midnight = value.hour == value.minute == value.second == value.microsecond == 0
        return value.date().isoformat() if midnight and value.tzinfo is None else value.isoformat()
    if isinstance(value, dt.date):
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


def _wanted(suite: Suite, spec: Expect) -> list[str]:
    """A failing row's sample columns: the suite's key, the tested columns, the evidence columns."""
    return list(dict.fromkeys([*suite.key, *spec.columns, *spec.evidence]))


def _frame_sample(frame: pd.DataFrame, suite: Suite, spec: Expect, details: dict) -> list[dict[str, Any]]:
    """The first failing rows, by their positions in the frame (GX's partial_unexpected_index_list)."""
    positions = list(details.get("partial_unexpected_index_list") or [])[:SAMPLE_ROWS]
    wanted = [c for c in _wanted(suite, spec) if c in frame.columns]
    rows = []
    for position in positions:
        if isinstance(position, int) and 0 <= position < len(frame):
            rows.append({c: _jsonable(frame.iloc[position][c]) for c in wanted})
    return rows


def _sql_sample(suite: Suite, spec: Expect, details: dict) -> list[dict[str, Any]]:
    """The first failing rows as GX's SQL route returns them: one dict per row holding the
    `unexpected_index_column_names` (the key and every evidence column of the suite) and the
    tested columns; only this expectation's columns are kept, in the pandas route's order."""
    found = [r for r in details.get("partial_unexpected_index_list") or [] if isinstance(r, dict)]
    return [{c: _jsonable(r[c]) for c in _wanted(suite, spec) if c in r} for r in found[:SAMPLE_ROWS]]


def _index_columns(suite: Suite, columns: list[str]) -> list[str]:
    """What GX's SQL route returns for each failing row: the key and every evidence column."""
    wanted = [*suite.key, *(c for spec in suite.expectations for c in spec.evidence)]
    return [c for c in dict.fromkeys(wanted) if c in columns]


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
        self._pandas = None
        self._validated: set[str] = set()
        self._sql: dict[int, tuple] = {}

    def _expectation(self, spec: Expect, position: int):
        cls = getattr(self._gx.expectations, spec.type)
        severity = "critical" if spec.severity == "error" else "warning"
        return cls(
            **spec.kwargs, severity=severity, notes=spec.why, meta={"why": spec.why, "position": position}
        )

    def _replace(self, suite: Suite):
        """A fresh GX suite and validation definition named after `suite` (a suite validated
        again by this context, on another route or warehouse, replaces the earlier one)."""
        gx = self._gx
        if suite.name in self._validated:
            self.context.validation_definitions.delete(suite.name)
            self.context.suites.delete(suite.name)
        self._validated.add(suite.name)
        expectations = [self._expectation(e, i) for i, e in enumerate(suite.expectations)]
        return self.context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=expectations))

    def _run(self, suite: Suite, batch, batch_parameters: dict, sample_format: dict, sample):
        """Validate `suite` on `batch` (stored, for Data Docs), then its expectations that failed
        on rows again, unstored, for their first failing rows (`sample(spec, details)`)."""
        gx_suite = self._replace(suite)
        definition = self.context.validation_definitions.add(
            self._gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
        )
        result = definition.run(
            batch_parameters=batch_parameters, result_format=dict(RESULT_FORMAT), run_id=self.run_id
        )
        failing = [
            r.expectation_config.meta["position"]
            for r in result.results
            if not r.success and (r.result or {}).get("unexpected_count")
        ]
        samples: dict[int, list[dict[str, Any]]] = {}
        if failing:
            again = self._gx.ExpectationSuite(
                name=f"{suite.name}_samples",
                expectations=[self._expectation(suite.expectations[p], p) for p in failing],
            )
            rerun = batch.get_batch(batch_parameters=batch_parameters).validate(
                again, result_format=sample_format
            )
            for r in rerun.results:
                position = r.expectation_config.meta["position"]
                samples[position] = sample(suite.expectations[position], r.result or {})
        return result, samples

    @staticmethod
    def _asset(source, name: str, add):
        """A fresh data asset `name` on `source` (replacing one of the same name)."""
        if name in {a.name for a in source.assets}:
            source.delete_asset(name)
        return add(name)

    def validate(self, frame: pd.DataFrame, suite: Suite) -> SuiteOutcome:
        """The pandas route: `frame` holds the suite's rows (the reference route, for tests)."""
        if self._pandas is None:
            self._pandas = self.context.data_sources.add_pandas(DATASOURCE)
        asset = self._asset(self._pandas, suite.name, self._pandas.add_dataframe_asset)
        batch = asset.add_batch_definition_whole_dataframe("whole_table")
        result, samples = self._run(
            suite,
            batch,
            {"dataframe": frame},
            dict(SAMPLE_FORMAT),
            lambda spec, d: _frame_sample(frame, suite, spec, d),
        )
        return _outcome(result, suite, len(frame), samples)

    def validate_in_warehouse(self, con, suite: Suite) -> SuiteOutcome:
        """The SQL route: the suite's query (its parameters bound) as a temporary table on `con`,
        validated by GX in DuckDB; the table is dropped afterwards. `con` must hold no open
        transaction (GX's queries begin and roll back their own on it)."""
        table = f"gx_{suite.name}"
        con.execute(f"create or replace temp table {ident(table)} as {suite.query}", suite.params)
        try:
            columns = [d[0] for d in con.execute(f"select * from temp.{ident(table)} limit 0").description]
            rows = con.execute(f"select count(*) from temp.{ident(table)}").fetchall()[0][0]
            source = self._sql_source(con)
            asset = self._asset(
                source,
                suite.name,
                # Unqualified: DuckDB resolves a temporary table first (GX deprecates schema_name).
                lambda name: source.add_table_asset(name, table_name=table),
            )
            batch = asset.add_batch_definition_whole_table("whole_table")
            sample_format = {**SAMPLE_FORMAT, "unexpected_index_column_names": _index_columns(suite, columns)}
            result, samples = self._run(
                suite, batch, {}, sample_format, lambda spec, d: _sql_sample(suite, spec, d)
            )
        finally:
            con.execute(f"drop table if exists temp.{ident(table)}")
        return _outcome(result, suite, rows, samples)

    def _sql_source(self, con):
        """GX's SQL datasource on `con`, one per connection this validator has seen."""
        key = id(con)
        if key not in self._sql:
            from expectations import gx_sql

            self._sql[key] = (
                con,  # held, so the id stays this connection's while the validator lives
                self.context.data_sources.add_sql(
                    f"{DATASOURCE}_sql_{len(self._sql)}",
                    connection_string=gx_sql.URL,
                    kwargs=gx_sql.engine_kwargs(con),
                ),
            )
        return self._sql[key][1]

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


def _exception(info: dict | None) -> str | None:
    """The message of an exception GX caught while validating an expectation: at the top level
    of `exception_info`, or (a metric that failed to resolve, as on the SQL route) per metric."""
    if not info:
        return None
    if info.get("raised_exception"):
        return info.get("exception_message")
    nested = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    return nested[0].get("exception_message") if nested else None


def _outcome(result, suite: Suite, rows: int, samples: dict[int, list[dict[str, Any]]]) -> SuiteOutcome:
    """GX's validation result as this project's outcome: one entry per expectation, in the suite's
    order, with its counts, observed value and (failing) sample rows (by position in the suite)."""
    outcomes: list[ExpectationOutcome | None] = [None] * len(suite.expectations)
    for r in result.results:
        position = r.expectation_config.meta["position"]
        spec = suite.expectations[position]
        details = r.result or {}
        observed = details.get("observed_value")
        error = _exception(r.exception_info)
        if error is not None:
            observed = error
        unexpected = details.get("unexpected_count")
        if unexpected is None and details.get("element_count") == 0:
            # A column check on no rows: GX's SQL engine leaves the count out where pandas says 0.
            unexpected = 0
        outcomes[position] = ExpectationOutcome(
            expectation=r.expectation_config.type,
            columns=spec.columns,
            severity=spec.severity,
            success=bool(r.success),
            unexpected_count=unexpected,
            element_count=details.get("element_count"),
            observed=_jsonable(observed),
            why=spec.why,
            sample=[] if r.success else samples.get(position, []),
        )
    return SuiteOutcome(suite=suite.name, outcomes=[o for o in outcomes if o], rows=rows)


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
