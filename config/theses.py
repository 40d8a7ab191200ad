"""The theses (`theses/<id>.yaml`, one file each): loaded and validated, with errors that name the
file, the line and the key.

A metric reads either a numeric column of a pillar mart, or a signal (config/signals.py): a
series of the catalog, a transform and a window, which dbt computes for every series. Validation
goes beyond types: every mart and column a metric names must exist in the marts' dbt contracts
(`dbt_project/models/marts/*/_*.yml`, enforced by dbt, so the YAML is the table), a signal's
series must be in the catalog and its window among those dbt computes, observation-date columns
must be dates and values numbers, every source series must be in the catalog (or be a dbt seed),
and evidence templates must format. An error reads
`config/theses/x.yaml:42: pillars.dollar.metrics[1] (dxy_1y_change).column: mart_dollar has no
column 'dxy_change'`.
"""

import argparse
import difflib
import functools
import json
import re
import string
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.catalog import Series, load_catalog
from config.loading import load_yaml, yaml_line
from config.signals import Signal, signal_windows

# One YAML file per thesis; the file's name is the thesis' id. Every file here is evaluated.
THESES_DIR = Path(__file__).resolve().with_name("theses")
# The essay's thesis, the first one (the default of load_thesis).
THESIS_PATH = THESES_DIR / "american_exceptionalism.yaml"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT_ROOT / "dbt_project"
NAME = r"^[a-z][a-z0-9_]*$"
NUMERIC_TYPES = {"double", "float", "bigint", "integer", "int", "decimal", "numeric", "real", "hugeint"}
# What an evidence template may name besides row[<column of the metric's mart or signal table>].
TEMPLATE_FIELDS = {"value", "threshold", "band", "date", "window", "baseline", "label", "unit"}
# Charts a thesis' report may add to its pillar scores and metric statuses (assets/report.py).
ExtraChart = Literal["markets_rebased", "ai_price_decline"]


class ThesisConfigError(ValueError):
    """A thesis file is invalid; the message names each offending key, its line and its problem."""


def _suggest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Condition(BaseModel):
    """One measurable claim: a mart column or a signal, the direction that confirms the thesis,
    and a band. A signal metric's unit, window, baseline, sources and evidence default to words
    derived from its signal; its column and observation date are the signal table's."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=NAME)
    # No commas or semicolons: they separate the items of a pillar's evidence.
    label: str = Field(min_length=1, max_length=28, pattern=r"^[^,;]+$")
    mart: str | None = Field(default=None, pattern=r"^mart_[a-z0-9_]+$")
    column: str | None = Field(default=None, pattern=NAME)
    signal: Signal | None = None
    date_column: str = Field(default="date", pattern=NAME)
    release_lag_days: int = Field(default=0, ge=0, le=1000)
    unit: str | None = None
    window: str | None = None
    baseline: str | None = None
    direction: Literal["below", "above", "within"]
    threshold: float
    band: float = Field(ge=0)
    max_age_days: int = Field(gt=0)
    sources: list[str] | None = Field(default=None, min_length=1)
    evidence: str | None = None

    @field_validator("mart")
    @classmethod
    def _known_mart(cls, mart: str, info: ValidationInfo) -> str:
        marts = (info.context or {}).get("marts")
        if marts is not None and mart not in marts:
            raise ValueError(
                f"unknown mart {mart!r}{_suggest(mart, set(marts))}; the marts are {sorted(marts)}"
            )
        return mart

    @field_validator("column", "date_column")
    @classmethod
    def _known_column(cls, column: str, info: ValidationInfo) -> str:
        if info.field_name == "date_column" and column != "date" and not column.endswith("_date"):
            raise ValueError(f"{column!r} is not an observation-date column (`date` or `<x>_date`)")
        types = (info.context or {}).get("marts", {}).get(info.data.get("mart"))
        if types is None:  # no schema given, no mart (a signal), or the mart itself is already reported
            return column
        mart = info.data["mart"]
        if column not in types:
            raise ValueError(f"{mart} has no column {column!r}{_suggest(column, set(types))}")
        if info.field_name == "column" and types[column] not in NUMERIC_TYPES:
            raise ValueError(f"{mart}.{column} is {types[column]}, not a number")
        if info.field_name == "date_column" and types[column] != "date":
            raise ValueError(f"{mart}.{column} is {types[column]}, not a date")
        return column

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, refs: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("series")
        for ref in refs:
            if ref.count("/") != 1:
                raise ValueError(f"source {ref!r} must be written <source>/<series id>")
            if known is not None and ref not in known:
                raise ValueError(
                    f"source {ref!r} is not in catalog.yaml nor a dbt seed{_suggest(ref, known)}"
                )
        return refs

    @field_validator("evidence")
    @classmethod
    def _formattable(cls, text: str, info: ValidationInfo) -> str:
        types = (info.context or {}).get("marts", {}).get(info.data.get("mart"))
        _check_template(text, types, info.data.get("mart"))
        return text

    @model_validator(mode="before")
    @classmethod
    def _signal_defaults(cls, data: Any, info: ValidationInfo) -> Any:
        """A signal metric reads its signal's column and observation date, and its unit, window,
        baseline, sources and evidence default to words derived from the signal. A signal that
        does not validate is left as it is, for the field's own error."""
        if not isinstance(data, dict) or data.get("signal") is None:
            return data
        named = [k for k in ("mart", "column", "date_column", "sources") if k in data]
        if named:
            raise ValueError(
                f"a signal metric takes no {', '.join(named)}: its signal names the data and its date"
            )
        try:
            signal = Signal.model_validate(data["signal"], context=info.context)
        except ValidationError:
            return data
        catalog = (info.context or {}).get("catalog") or catalog_series()
        series = catalog.get(signal.series)
        defaults = signal.defaults(series.unit if series else "")
        given = {k: v for k, v in data.items() if v is not None}
        return {**defaults, **given, "column": signal.column, "date_column": "observation_date"}

    @model_validator(mode="after")
    def _complete(self) -> "Condition":
        if self.signal is not None:
            _check_template(self.evidence, dict.fromkeys(self.signal.columns()), self.signal.table)
        else:
            needed = ("mart", "column", "unit", "window", "baseline", "sources", "evidence")
            missing = [k for k in needed if getattr(self, k) is None]
            if missing:
                raise ValueError(
                    f"missing {', '.join(missing)}: a metric names a mart and a column (with unit, "
                    "window, baseline, sources and evidence), or a signal"
                )
        if self.max_age_days <= self.release_lag_days:
            raise ValueError(
                f"max_age_days ({self.max_age_days}) must exceed release_lag_days "
                f"({self.release_lag_days}), or every value is stale when it is published"
            )
        return self

    @property
    def table(self) -> str:
        """The table the value is read from: the mart, or marts.signals / marts.signal_pairs."""
        return self.signal.table if self.signal else self.mart

    @property
    def frame_key(self) -> str:
        """Which frame of the summary's inputs holds the value: a mart, one series' or one pair's signals."""
        return self.signal.key if self.signal else self.mart


def _check_template(text: str, columns: dict | None, table: str | None) -> None:
    """The evidence names only the allowed fields and row[<column of `table`>] (when known)."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ValueError(f"evidence template is not formattable: {exc}") from None
    for name in fields:
        if name.startswith("row[") and name.endswith("]"):
            if columns is not None and name[4:-1] not in columns:
                raise ValueError(f"evidence names {name}, not a column of {table}")
        elif name not in TEMPLATE_FIELDS:
            raise ValueError(
                f"evidence names {{{name}}}; allowed: {sorted(TEMPLATE_FIELDS)} and row[<column>]"
            )


class Metric(Condition):
    """A scored metric; its weight counts in the pillar's score."""

    weight: float = Field(gt=0)


class AllOf(BaseModel):
    """A claim of several parts that must all hold (the Fed's squeeze: growth slows AND CPI stays
    high AND rises). Scored as a logical AND of three values: contradicts when any part
    contradicts, confirms when every part confirms, neutral otherwise; stale or no_data when a
    part is and no part already contradicts."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=NAME)
    label: str = Field(min_length=1, max_length=28, pattern=r"^[^,;]+$")
    weight: float = Field(gt=0)
    all_of: list[Condition] = Field(min_length=2)


def _metric_kind(value: Any) -> str:
    has_parts = "all_of" in value if isinstance(value, dict) else isinstance(value, AllOf)
    return "all_of" if has_parts else "metric"


PillarMetric = Annotated[
    Annotated[Metric, Tag("metric")] | Annotated[AllOf, Tag("all_of")], Discriminator(_metric_kind)
]


class Pillar(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    weight: float = Field(gt=0)
    metrics: list[PillarMetric] = Field(min_length=1)


class Scoring(BaseModel):
    """How metric statuses become a pillar's score and status, and pillar statuses the verdict's.
    The defaults are the essay's: ±0.25 separates the statuses, half the weight must be fresh."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    confirms_at: float = Field(default=0.25, gt=0, le=1)
    contradicts_at: float = Field(default=-0.25, ge=-1, lt=0)
    min_fresh_weight: float = Field(default=0.5, gt=0, le=1)


class History(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Month-ends recomputed point in time before each run's as-of date (three years by default).
    backfill_months: int = Field(default=36, ge=0, le=240)


class Thesis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # The file's name, set when the folder is loaded (never written in the file).
    id: str = Field(default="thesis", pattern=NAME, exclude=True)
    # The claim, as a statement; the verdict asks it as a question.
    title: str = Field(min_length=1, max_length=80, pattern=r"^[^?\n]+$")
    charts: list[ExtraChart] = Field(default_factory=list)
    scoring: Scoring = Field(default_factory=Scoring)
    history: History = Field(default_factory=History)
    pillars: dict[Annotated[str, Field(pattern=NAME)], Pillar] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Thesis":
        seen: set[str] = set()
        for name, pillar in self.pillars.items():
            for metric in pillar.metrics:
                parts = metric.all_of if isinstance(metric, AllOf) else []
                for item in [metric, *parts]:
                    if item.id in seen:
                        raise ValueError(f"metric id {item.id!r} in pillar {name!r} is used twice")
                    seen.add(item.id)
        return self

    @property
    def question(self) -> str:
        return f"{self.title}?"

    def conditions(self) -> list[Condition]:
        """Every measured condition: each metric, or each part of an all_of metric."""
        return [c for p in self.pillars.values() for m in p.metrics for c in conditions(m)]

    def marts(self) -> set[str]:
        return {c.mart for c in self.conditions() if c.mart}

    def signals(self) -> list[Signal]:
        return [c.signal for c in self.conditions() if c.signal]


def conditions(metric: Metric | AllOf) -> list[Condition]:
    """The measured conditions of a metric: itself, or its parts."""
    return list(metric.all_of) if isinstance(metric, AllOf) else [metric]


def signal_pairs(theses: dict[str, Thesis]) -> list[dict[str, str]]:
    """Every pair a thesis' metric compares, once: what dbt's var `signal_pairs` must list."""
    pairs = {(s.series, s.against) for t in theses.values() for s in t.signals() if s.against}
    return [{"series": series, "against": against} for series, against in sorted(pairs)]


def dbt_vars(theses: dict[str, Thesis]) -> str:
    """dbt's `--vars` for these theses: the pairs they compare (marts.signal_pairs), as compact JSON
    (valid YAML, one argument without spaces). The run's `dbt build` and `make`'s `dbt parse` pass the
    same, so the build reuses that parse: dbt re-parses the whole project when its vars change."""
    return json.dumps({"signal_pairs": signal_pairs(theses)}, separators=(",", ":"))


@functools.cache
def mart_schemas(dbt_dir: Path = DBT_DIR) -> dict[str, dict[str, str]]:
    """{mart: {column: data_type}} from the pillar marts' dbt YAML (their contracts are enforced)."""
    schemas: dict[str, dict[str, str]] = {}
    for path in sorted((dbt_dir / "models" / "marts").glob("*/_*.yml")):
        for model in load_yaml(path.read_text()).get("models", []):
            columns = model.get("columns", [])
            if model["name"].startswith("mart_"):
                schemas[model["name"]] = {c["name"]: str(c.get("data_type", "")).lower() for c in columns}
    return schemas


def catalog_series() -> dict[str, Series]:
    """Every series of the catalog by `<source>/<series id>`."""
    return {f"{s.source}/{s.key}": s for s in load_catalog().series}


@functools.cache
def _seeds(dbt_dir: Path) -> frozenset[str]:
    return frozenset(f"seed/{p.stem}" for p in (dbt_dir / "seeds").glob("*.csv"))


def known_series(dbt_dir: Path = DBT_DIR) -> frozenset[str]:
    """Every `<source>/<series id>` a metric may cite: the catalog's series and the dbt seeds."""
    return frozenset(catalog_series()) | _seeds(dbt_dir)


def _path(loc: tuple) -> list:
    """The keys of an error location in the file: the discriminated union's tags dropped."""
    return [
        key
        for i, key in enumerate(loc)
        if not (
            i >= 2 and loc[i - 2] == "metrics" and isinstance(loc[i - 1], int) and key in ("metric", "all_of")
        )
    ]


def _where(raw: Any, loc: tuple) -> str:
    """A readable error location: list items named by their id."""
    parts: list[str] = []
    node = raw
    for key in _path(loc):
        if key == "[key]":  # the dict key itself failed (a pillar's name)
            parts[-1] += " (the name)"
            continue
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            name = node.get("id") if isinstance(node, dict) else None
            parts[-1] += f"[{key}]" + (f" ({name})" if name else "")
            continue
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(str(key))
    return ".".join(parts) or "(top level)"


def parse_thesis(
    text: str,
    origin: str = "thesis file",
    marts: dict[str, dict[str, str]] | None = None,
    series: frozenset[str] | None = None,
    thesis_id: str = "thesis",
) -> Thesis:
    """Parse and validate thesis YAML against the marts' columns, the catalog's series and the
    signals dbt computes. Every problem is reported at once, each with its line in the file."""
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ThesisConfigError(f"{origin} is not valid YAML: {exc}") from None
    if isinstance(raw, dict) and "id" in raw:
        line = yaml_line(text, ("id",))
        raise ThesisConfigError(
            f"{origin} is invalid:\n  {origin}:{line}: id: the thesis' id is its file name ({thesis_id}), "
            "not a key of the file"
        )
    context = {
        "marts": mart_schemas() if marts is None else marts,
        "series": known_series() if series is None else series,
        "catalog": catalog_series(),
        "signal_windows": signal_windows(),
    }
    try:
        thesis = Thesis.model_validate(raw, context=context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            line = yaml_line(text, tuple(k for k in _path(err["loc"]) if k != "[key]"))
            where = _where(raw, err["loc"])
            problems.append(f"{origin}:{line}: {where}: {message.removeprefix('Value error, ')}")
        raise ThesisConfigError(f"{origin} is invalid:\n  " + "\n  ".join(problems)) from None
    return thesis.model_copy(update={"id": thesis_id})


@functools.cache
def load_thesis(path: Path = THESIS_PATH) -> Thesis:
    # Errors name the file as the user knows it: from the project's root when it lies inside it.
    origin = str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)
    if not re.fullmatch(NAME[1:-1], path.stem):
        raise ThesisConfigError(
            f"{origin}: a thesis' file name is its id: lower-case letters, digits and _, from a letter"
        )
    return parse_thesis(path.read_text(), origin=origin, thesis_id=path.stem)


def load_theses(directory: Path = THESES_DIR) -> dict[str, Thesis]:
    """Every thesis of the folder (`<id>.yaml`), by id, in file-name order."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ThesisConfigError(f"{directory} holds no thesis (<id>.yaml)")
    return {path.stem: load_thesis(path) for path in paths}


def main(argv: list[str] | None = None) -> int:
    """`python -m config.theses`: every thesis file validated, one line each, or the errors.
    With `--dbt-vars`: the theses' dbt vars alone (`make` parses the dbt project with them)."""
    parser = argparse.ArgumentParser(prog="python -m config.theses", description=main.__doc__)
    parser.add_argument("--dbt-vars", action="store_true", help="print the theses' dbt vars alone")
    args = parser.parse_args(argv)
    try:
        theses = load_theses()
    except ValueError as exc:  # ThesisConfigError, or the catalog's CatalogError
        print(exc, file=sys.stderr)
        return 1
    if args.dbt_vars:
        print(dbt_vars(theses))
        return 0
    for t in theses.values():
        conditions_ = t.conditions()
        signals = sum(c.signal is not None for c in conditions_)
        print(
            f"{t.id}: {t.question} {len(t.pillars)} pillars, {len(conditions_)} measured conditions "
            f"({signals} on signals)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
