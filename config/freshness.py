"""The freshness policy (`freshness.yaml`): per catalog frequency, how often to refetch a series
and how old its latest observation may be. Loaded and validated; no I/O beyond the YAML file."""

import functools
from pathlib import Path
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.catalog import Frequency
from config.loading import parse_yaml_model

FRESHNESS_PATH = Path(__file__).with_name("freshness.yaml")


class FreshnessConfigError(ValueError):
    """freshness.yaml is invalid; the message names each offending key."""


class FrequencyPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    refetch_after_days: int = Field(ge=0)
    max_lag_days: int = Field(gt=0)


class FreshnessPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    frequencies: dict[Frequency, FrequencyPolicy]

    @model_validator(mode="after")
    def _every_frequency(self) -> "FreshnessPolicy":
        missing = [f for f in get_args(Frequency) if f not in self.frequencies]
        if missing:
            raise ValueError(f"no policy for frequencies {missing}")
        return self

    def __getitem__(self, frequency: str) -> FrequencyPolicy:
        return self.frequencies[frequency]


def parse_freshness(text: str, origin: str = "freshness.yaml") -> FreshnessPolicy:
    return parse_yaml_model(FreshnessPolicy, text, origin, FreshnessConfigError)


@functools.cache
def load_freshness(path: Path = FRESHNESS_PATH) -> FreshnessPolicy:
    return parse_freshness(path.read_text(), origin=str(path))
