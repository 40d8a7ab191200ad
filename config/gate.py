"""The gate's numbers (`gate.yaml`), loaded and validated, and the allowances the suites read.

Freshness allowances are not duplicated here: a series' `max_lag_days` is its catalog
frequency's in `config/freshness.yaml`; `gate.yaml` only adds what the gate alone needs
(gaps, jumps, agreement tolerances) and per-mart overrides. No I/O beyond the YAML files.
"""

import datetime as dt
import functools
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.catalog import Catalog, Frequency, load_catalog
from config.freshness import FreshnessPolicy, load_freshness
from config.loading import parse_yaml_model

GATE_PATH = Path(__file__).with_name("gate.yaml")


class GateConfigError(ValueError):
    """gate.yaml is invalid; the message names each offending key."""


class Observed(BaseModel):
    """What real history showed for a bound: the extremes over the full history of every real
    payload that feeds it (`tests/fixtures/real/`, replayed vintage by vintage into one warehouse),
    and where. `tests/test_calibration.py` recomputes them, so they cannot drift from the data."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: float | None = None
    max: float | None = None
    at: str


class Limit(BaseModel):
    """A one-sided bound on a magnitude (a move, a gap, a revision) and its real-history record."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    limit: float = Field(gt=0)
    real: Observed | None = None

    @model_validator(mode="after")
    def _holds_real_history(self) -> "Limit":
        if self.real is not None and self.real.max is not None and self.real.max > self.limit:
            raise ValueError(f"limit {self.limit:g} is below the largest real value {self.real.max:g}")
        return self


class Bounds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: float | None = None
    max: float | None = None

    def holds(self, observed: "Observed | None") -> str | None:
        """Why real history breaks these bounds, or None."""
        low, high = (observed.min, observed.max) if observed else (None, None)
        if self.min is not None and low is not None and low < self.min:
            return f"min {self.min:g} is above the lowest real value {low:g}"
        if self.max is not None and high is not None and high > self.max:
            return f"max {self.max:g} is below the highest real value {high:g}"
        return None


class Range(Bounds):
    """Bounds on a mart column's values (blocking unless `severity: warn`), optional inner bounds
    that only warn, and its real-history record (None: no real payload holds the series behind
    it, and the bound rests on the history its comment cites)."""

    severity: Literal["error", "warn"] = "error"
    warn: Bounds | None = None
    real: Observed | None = None

    @model_validator(mode="after")
    def _holds_real_history(self) -> "Range":
        problem = self.holds(self.real) or (self.warn.holds(self.real) if self.warn else None)
        if problem:
            raise ValueError(problem)
        return self


class SeriesOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    checked_from: dt.date | None = None
    max_gap_days: int | None = Field(default=None, gt=0)
    # Revisions superseded on or before this day are accepted (a split, a methodology change
    # someone has reviewed): the load check measures only later ones.
    revisions_accepted_through: dt.date | None = None


class Agreement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    series: str = Field(pattern=r"^[a-z]+/[A-Za-z0-9^._\-]+$")
    reference: str = Field(pattern=r"^[a-z]+/[A-Za-z0-9^._\-]+$")
    tolerance_pct: float = Field(gt=0)
    max_day_shift: int = Field(ge=0, le=7)
    checked_from: dt.date | None = None
    real: Observed | None = None


class Revisions(BaseModel):
    """How far a source may revise a value already loaded before the load check blocks."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    level_pct: Limit
    percent_pp: Limit


class MartOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    max_lag_days: dict[str, int] = Field(default_factory=dict)
    ranges: dict[str, Range] = Field(default_factory=dict)
    moves: dict[str, Limit] = Field(default_factory=dict)


class GateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    max_row_drop: float = Field(ge=0, lt=1)
    max_move_pct: Limit
    max_gap_days: dict[Frequency, Limit]
    unlisted_frequency: Frequency
    revisions: Revisions
    series: dict[str, SeriesOverride] = Field(default_factory=dict)
    agreement: list[Agreement] = Field(default_factory=list)
    marts: dict[str, MartOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _every_frequency(self) -> "GateSettings":
        missing = [f for f in get_args(Frequency) if f not in self.max_gap_days]
        if missing:
            raise ValueError(f"max_gap_days has no allowance for frequencies {missing}")
        return self


class Allowances:
    """What the gate allows each series and mart date: the settings joined with the catalog's
    frequencies and the freshness policy."""

    def __init__(self, settings: GateSettings, catalog: Catalog, freshness: FreshnessPolicy):
        self.settings, self.catalog, self.freshness = settings, catalog, freshness
        listed = {f"{s.source}/{s.id}" for s in catalog.series}
        named = [*settings.series, *(a.series for a in settings.agreement)]
        named += [a.reference for a in settings.agreement]
        unknown = sorted({ref for ref in named if ref not in listed})
        if unknown:
            raise GateConfigError(f"gate.yaml names series the catalog does not list: {unknown}")

    def frequency(self, ref: str) -> str:
        source, series_id = ref.split("/", 1)
        try:
            return self.catalog.get(source, series_id).frequency
        except KeyError:
            return self.settings.unlisted_frequency

    def max_lag_days(self, ref: str | None, mart: str | None = None, column: str | None = None) -> int:
        """Days the latest date may lag the reference date: the mart's override for the column,
        else the catalog frequency's `max_lag_days` (config/freshness.yaml)."""
        override = self.settings.marts.get(mart or "", MartOverride()).max_lag_days.get(column or "")
        if override is not None:
            return override
        if ref is None:
            raise GateConfigError(
                f"gate.yaml has no max_lag_days for {mart}.{column}, which is no one series"
            )
        return self.freshness[self.frequency(ref)].max_lag_days

    def max_gap_days(self, ref: str) -> int:
        override = self.settings.series.get(ref, SeriesOverride()).max_gap_days
        return override or int(self.settings.max_gap_days[self.frequency(ref)].limit)

    def checked_from(self, ref: str) -> dt.date | None:
        return self.settings.series.get(ref, SeriesOverride()).checked_from

    def revisions_accepted_through(self, ref: str) -> dt.date | None:
        return self.settings.series.get(ref, SeriesOverride()).revisions_accepted_through

    def range(self, mart: str, column: str) -> Range:
        """The bounds gate.yaml sets on a mart column (a KeyError names a missing one)."""
        try:
            return self.settings.marts[mart].ranges[column]
        except KeyError:
            raise GateConfigError(f"gate.yaml has no range for {mart}.{column}") from None

    def move(self, mart: str, column: str) -> Limit:
        """The largest move gate.yaml allows a mart column between two rows: its own, else max_move_pct."""
        return self.settings.marts.get(mart, MartOverride()).moves.get(column, self.settings.max_move_pct)


def parse_gate(text: str, origin: str = "gate.yaml") -> GateSettings:
    return parse_yaml_model(GateSettings, text, origin, GateConfigError)


@functools.cache
def load_allowances(path: Path = GATE_PATH) -> Allowances:
    return Allowances(parse_gate(path.read_text(), origin=str(path)), load_catalog(), load_freshness())
