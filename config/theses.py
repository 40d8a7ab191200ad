"""The thesis configuration (`theses/<name>.yaml`): loaded and validated, with errors that name the key.

Validation goes beyond types: every mart and column a metric names must exist in the marts'
dbt contracts (`dbt_project/models/marts/*/_*.yml`, enforced by dbt, so the YAML is the table),
observation-date columns must be dates and values numbers, every source series must be in the
catalog (or be a dbt seed), and evidence templates must format. An error reads
`pillars.dollar.metrics[1] (dxy_1y_change).column: mart_dollar has no column 'dxy_change'`.
"""

import difflib
import functools
import string
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

from config.catalog import load_catalog

# One YAML file per thesis. For now one thesis is read: THESIS_PATH, the default of load_thesis.
THESES_DIR = Path(__file__).with_name("theses")
THESIS_PATH = THESES_DIR / "american_exceptionalism.yaml"
DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
NAME = r"^[a-z][a-z0-9_]*$"
NUMERIC_TYPES = {"double", "float", "bigint", "integer", "int", "decimal", "numeric", "real", "hugeint"}
# What an evidence template may name besides row[<column of the metric's mart>].
TEMPLATE_FIELDS = {"value", "threshold", "band", "date", "window", "baseline", "label", "unit"}


class ThesisConfigError(ValueError):
    """A thesis file is invalid; the message names each offending key and its problem."""


def _suggest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Condition(BaseModel):
    """One measurable claim: a mart column, the direction that confirms the thesis, and a band."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=NAME)
    # No commas or semicolons: they separate the items of a pillar's evidence.
    label: str = Field(min_length=1, max_length=28, pattern=r"^[^,;]+$")
    mart: str = Field(pattern=r"^mart_[a-z0-9_]+$")
    column: str = Field(pattern=NAME)
    date_column: str = Field(default="date", pattern=NAME)
    release_lag_days: int = Field(default=0, ge=0, le=1000)
    unit: str
    window: str
    baseline: str
    direction: Literal["below", "above", "within"]
    threshold: float
    band: float = Field(ge=0)
    max_age_days: int = Field(gt=0)
    sources: list[str] = Field(min_length=1)
    evidence: str

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
        if types is None:  # no schema given, or the mart itself is already reported
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
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise ValueError(f"evidence template is not formattable: {exc}") from None
        for name in fields:
            if name.startswith("row[") and name.endswith("]"):
                if types is not None and name[4:-1] not in types:
                    raise ValueError(f"evidence names {name}, not a column of {info.data.get('mart')}")
            elif name not in TEMPLATE_FIELDS:
                raise ValueError(
                    f"evidence names {{{name}}}; allowed: {sorted(TEMPLATE_FIELDS)} and row[<column>]"
                )
        return text

    @model_validator(mode="after")
    def _can_be_fresh(self) -> "Condition":
        if self.max_age_days <= self.release_lag_days:
            raise ValueError(
                f"max_age_days ({self.max_age_days}) must exceed release_lag_days "
                f"({self.release_lag_days}), or every value is stale when it is published"
            )
        return self


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
    """How metric statuses become a pillar's score and status, and pillar statuses the verdict's."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    confirms_at: float = Field(gt=0, le=1)
    contradicts_at: float = Field(ge=-1, lt=0)
    min_fresh_weight: float = Field(gt=0, le=1)


class History(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    backfill_months: int = Field(ge=0, le=240)


class Thesis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    scoring: Scoring
    history: History
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

    def marts(self) -> set[str]:
        return {c.mart for p in self.pillars.values() for m in p.metrics for c in conditions(m)}


def conditions(metric: Metric | AllOf) -> list[Condition]:
    """The measured conditions of a metric: itself, or its parts."""
    return list(metric.all_of) if isinstance(metric, AllOf) else [metric]


@functools.cache
def mart_schemas(dbt_dir: Path = DBT_DIR) -> dict[str, dict[str, str]]:
    """{mart: {column: data_type}} from the marts' dbt YAML (their contracts are enforced)."""
    schemas: dict[str, dict[str, str]] = {}
    for path in sorted((dbt_dir / "models" / "marts").glob("*/_*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            columns = model.get("columns", [])
            schemas[model["name"]] = {c["name"]: str(c.get("data_type", "")).lower() for c in columns}
    return schemas


@functools.cache
def known_series(dbt_dir: Path = DBT_DIR) -> frozenset[str]:
    """Every `<source>/<series id>` a metric may cite: the catalog's series and the dbt seeds."""
    catalog = {f"{s.source}/{s.key}" for s in load_catalog().series}
    seeds = {f"seed/{p.stem}" for p in (dbt_dir / "seeds").glob("*.csv")}
    return frozenset(catalog | seeds)


def _where(raw: Any, loc: tuple) -> str:
    """A readable error location: list items named by their id, union tags dropped."""
    parts: list[str] = []
    node = raw
    for i, key in enumerate(loc):
        if i >= 2 and loc[i - 2] == "metrics" and isinstance(loc[i - 1], int) and key in ("metric", "all_of"):
            continue  # the discriminated union's tag, not a key of the file
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
) -> Thesis:
    """Parse and validate thesis YAML against the marts' columns and the catalog's series."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ThesisConfigError(f"{origin} is not valid YAML: {exc}") from None
    context = {
        "marts": mart_schemas() if marts is None else marts,
        "series": known_series() if series is None else series,
    }
    try:
        return Thesis.model_validate(raw, context=context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{_where(raw, err['loc'])}: {message.removeprefix('Value error, ')}")
        raise ThesisConfigError(f"{origin} is invalid:\n  " + "\n  ".join(problems)) from None


@functools.cache
def load_thesis(path: Path = THESIS_PATH) -> Thesis:
    return parse_thesis(path.read_text(), origin=str(path))
