"""The series catalog (`catalog.yaml`): loaded, validated and indexed. No I/O beyond the YAML file."""

import datetime as dt
import functools
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from config.loading import load_yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
# A whole other catalog file in place of catalog.yaml, read when a run loads the catalog (never at
# import): the benchmark widens the catalog to thousands of synthetic series this way (bench/).
CATALOG_ENV = "THESIS_CATALOG"

Frequency = Literal["business_daily", "daily", "weekly", "monthly", "quarterly", "annual"]
Pillar = Literal["dollar", "equities", "crypto", "macro", "value_share", "ai_cost"]
SourceName = Literal["fred", "yahoo", "worldbank", "imf", "openrouter"]

DEMO_START = dt.date(2015, 1, 1)


class CatalogError(ValueError):
    """The catalog file is invalid; the message names the entry and the field."""


class SourceInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    url: str
    licence: str


class Series(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Za-z0-9^._\-]+$")
    source: SourceName
    pillar: Pillar
    frequency: Frequency
    unit: str
    description: str
    start: dt.date
    # Prices, indices and levels must be > 0; growth rates and the like may go negative.
    positive: bool = True
    demo: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """The series' key in snapshots and raw tables: the catalog id, as written."""
        return self.id


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    _index: tuple[list, int, dict[tuple[str, str], "Series"]] | None = PrivateAttr(default=None)
    sources: dict[SourceName, SourceInfo]
    series: list[Series]

    @model_validator(mode="after")
    def _unique_ids(self) -> "Catalog":
        seen: set[tuple[str, str]] = set()
        for s in self.series:
            if (s.source, s.id) in seen:
                raise ValueError(f"series {s.source}/{s.id} is listed twice")
            seen.add((s.source, s.id))
        return self

    def for_source(self, source: str) -> list[Series]:
        return [s for s in self.series if s.source == source]

    def get(self, source: str, series_id: str) -> Series:
        # The gate asks for every series' allowances: a scan per look-up made building the price
        # gate quadratic (5.3 s of its 8.5 s at 5,000 series). The index remembers the list it
        # was built from: `model_copy(update={"series": ...})` copies it along with the model.
        index = self._index
        if index is None or index[0] is not self.series or index[1] != len(self.series):
            index = self._index = (self.series, len(self.series), {(s.source, s.id): s for s in self.series})
        found = index[2].get((source, series_id))
        if found is None:
            raise KeyError(f"{source}/{series_id} is not in the catalog")
        return found


def parse_catalog(text: str, origin: str = "catalog") -> Catalog:
    """Parse catalog YAML; errors name the offending entry (`series[3] (UNRATE).frequency`)."""
    raw = load_yaml(text)
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            if len(loc) >= 2 and loc[0] == "series" and isinstance(loc[1], int):
                entry = raw["series"][loc[1]]
                name = entry.get("id", "?") if isinstance(entry, dict) else "?"
                loc[1] = f"{loc[1]} ({name})"
            problems.append(f"{'.'.join(str(p) for p in loc)}: {err['msg']}")
        raise CatalogError(f"{origin} is invalid:\n  " + "\n  ".join(problems)) from None


def catalog_path() -> Path:
    """$THESIS_CATALOG when set, else the shipped `catalog.yaml`."""
    override = os.environ.get(CATALOG_ENV, "").strip()
    return Path(override).expanduser() if override else CATALOG_PATH


def load_catalog(path: Path | None = None) -> Catalog:
    return _load(path or catalog_path())


@functools.cache
def _load(path: Path) -> Catalog:
    return parse_catalog(path.read_text(), origin=str(path))
