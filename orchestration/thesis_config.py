"""The thesis configuration (`thesis.yaml`): loaded and validated, with errors that name the key."""

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

THESIS_PATH = Path(__file__).with_name("thesis.yaml")


class ThesisConfigError(ValueError):
    """thesis.yaml is invalid; the message names each offending key and its problem."""


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    mart: str = Field(pattern=r"^mart_[a-z0-9_]+$")
    column: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    unit: str
    window: str
    direction: Literal["below", "above"]
    threshold: float
    band: float = Field(ge=0)
    max_age_days: int = Field(gt=0)
    weight: float = Field(default=1.0, gt=0)
    sources: list[str] = Field(min_length=1)
    evidence: str

    @field_validator("sources")
    @classmethod
    def _source_refs(cls, refs: list[str]) -> list[str]:
        for ref in refs:
            if ref.count("/") != 1:
                raise ValueError(f"source {ref!r} must be written <source>/<series id>")
        return refs

    @field_validator("evidence")
    @classmethod
    def _evidence_placeholders(cls, text: str) -> str:
        try:
            text.format(value=0.0, threshold=0.0, band=0.0, date="2025-01-01", window="1 year")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"evidence template is not formattable: {exc}") from None
        return text


class Pillar(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    weight: float = Field(gt=0)
    metrics: list[Metric] = Field(min_length=1)


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    confirms_at: float = Field(gt=0, le=1)
    contradicts_at: float = Field(ge=-1, lt=0)


class Thesis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    verdict: Verdict
    pillars: dict[str, Pillar] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_metric_ids(self) -> "Thesis":
        seen: set[str] = set()
        for name, pillar in self.pillars.items():
            for metric in pillar.metrics:
                if metric.id in seen:
                    raise ValueError(f"metric id {metric.id!r} in pillar {name!r} is used twice")
                seen.add(metric.id)
        return self


def parse_thesis(text: str, origin: str = "thesis.yaml") -> Thesis:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ThesisConfigError(f"{origin} is not valid YAML: {exc}") from None
    try:
        return Thesis.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ThesisConfigError(f"{origin} is invalid:\n  " + "\n  ".join(problems)) from None


@functools.cache
def load_thesis(path: Path = THESIS_PATH) -> Thesis:
    return parse_thesis(path.read_text(), origin=str(path))
