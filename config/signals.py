"""A thesis metric's signal: a series of the catalog, a transform and a window (marts.signals).

dbt computes every transform of every FRED, Yahoo and IMF series for the windows its vars list
(`signal_*` in dbt_project/dbt_project.yml), one column each; a pair transform (spread, relative
performance, beta, correlation) for the pairs the theses declare (marts.signal_pairs). This module
reads those lists, so a metric can ask only for what dbt computes, and names each column as the
models do (`change_1y_pct`, `vs_average_200_pct`, `beta_252`).
"""

import functools
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from config.loading import load_yaml

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
# Sources with one value per date: the inputs of int_signals__observations.
SIGNAL_SOURCES = ("fred", "yahoo", "imf")
SERIES_REF = r"^[a-z]+/[A-Za-z0-9^._\-]+$"
CALENDAR_WINDOW = re.compile(r"^[1-9][0-9]?[dwmy]$")
UNIT_WORDS = {"d": ("day", "days"), "w": ("week", "weeks"), "m": ("month", "months"), "y": ("year", "years")}

# transform -> (window kind, whose vars list the windows, takes a unit, needs a pair)
TRANSFORMS: dict[str, tuple[str | None, str | None, bool, bool]] = {
    "level": (None, None, False, False),
    "change": ("calendar", "signal_change_windows", True, False),
    "yoy": (None, None, True, False),
    "vs_average": ("observations", "signal_average_windows", True, False),
    "zscore": ("observations", "signal_zscore_windows", False, False),
    "average_change": ("observations", "signal_average_change_windows", True, False),
    "drawdown": (None, None, True, False),
    "spread": (None, None, False, True),
    "relative": ("calendar", "signal_change_windows", False, True),
    "beta": ("observations", "signal_pair_windows", False, True),
    "correlation": ("observations", "signal_pair_windows", False, True),
}
Transform = Literal[
    "level",
    "change",
    "yoy",
    "vs_average",
    "zscore",
    "average_change",
    "drawdown",
    "spread",
    "relative",
    "beta",
    "correlation",
]


@functools.cache
def signal_windows(dbt_dir: Path = DBT_DIR) -> dict[str, list]:
    """{var: windows} of the `signal_*_windows` vars in dbt_project.yml (the models enforce their form)."""
    variables = load_yaml((dbt_dir / "dbt_project.yml").read_text())["vars"]
    return {
        name: [str(w) if isinstance(w, str) else w for w in value]
        for name, value in variables.items()
        if name.startswith("signal_") and name.endswith("_windows")
    }


def series_columns(windows: dict[str, list]) -> list[str]:
    """The columns of marts.signals for these windows, as the model names them."""
    columns = ["source", "series_id", "date", "observation_date", "value"]
    columns += [f"change_{w}_{u}" for w in windows["signal_change_windows"] for u in ("pct", "pp")]
    columns += [f"vs_average_{n}_{u}" for n in windows["signal_average_windows"] for u in ("pct", "pp")]
    columns += [f"zscore_{n}" for n in windows["signal_zscore_windows"]]
    columns += [
        f"average_change_{n}_{u}" for n in windows["signal_average_change_windows"] for u in ("pp", "pct")
    ]
    return [*columns, "running_max", "drawdown_pct", "drawdown_pp"]


def pair_columns(windows: dict[str, list]) -> list[str]:
    """The columns of marts.signal_pairs for these windows."""
    keys = ["asset_source", "asset_series_id", "benchmark_source", "benchmark_series_id"]
    columns = [*keys, "date", "asset_date", "observation_date", "asset_value", "benchmark_value", "spread"]
    columns += [f"relative_{w}_pp" for w in windows["signal_change_windows"]]
    return columns + [f"{k}_{n}" for n in windows["signal_pair_windows"] for k in ("beta", "correlation")]


def window_words(window: str | int) -> str:
    """`6m` -> "6 months", `1y` -> "1 year", 200 -> "200 observations"."""
    if isinstance(window, int):
        return f"{window} observations"
    n, (one, many) = int(window[:-1]), UNIT_WORDS[window[-1]]
    return f"{n} {one if n == 1 else many}"


class Signal(BaseModel):
    """A series, a transform and a window: one column of marts.signals (or marts.signal_pairs for
    a pair transform, which also names the series it is measured `against`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    series: str = Field(pattern=SERIES_REF)
    transform: Transform
    # A calendar window (`1m`, `1y`) for change and relative, a count of observations for
    # vs_average, zscore, average_change, beta and correlation; none for the others.
    window: str | int | None = None
    # pct or pp, for change, yoy, vs_average, average_change and drawdown (default pct).
    unit: Literal["pct", "pp"] | None = None
    against: str | None = Field(default=None, pattern=SERIES_REF)

    @model_validator(mode="before")
    @classmethod
    def _default_unit(cls, data: Any) -> Any:
        """A transform that takes a unit is in percent unless the file says pp."""
        takes_unit = isinstance(data, dict) and TRANSFORMS.get(data.get("transform"), (0, 0, False, 0))[2]
        return {**data, "unit": "pct"} if takes_unit and data.get("unit") is None else data

    @model_validator(mode="after")
    def _computed(self, info: ValidationInfo) -> "Signal":
        kind, var, takes_unit, pair = TRANSFORMS[self.transform]
        context = info.context or {}
        windows = context.get("signal_windows") or signal_windows()
        if kind is None and self.window is not None:
            raise ValueError(f"transform {self.transform} takes no window")
        if kind is not None:
            listed = windows[var]
            if self.window is None:
                raise ValueError(f"transform {self.transform} needs a window: one of {listed} ({var})")
            if kind == "calendar" and not (
                isinstance(self.window, str) and CALENDAR_WINDOW.match(self.window)
            ):
                raise ValueError(
                    f"window {self.window!r} of {self.transform} is a calendar window: 1m, 6m, 1y…"
                )
            if kind == "observations" and not isinstance(self.window, int):
                raise ValueError(f"window {self.window!r} of {self.transform} is a count of observations")
            if self.window not in listed:
                raise ValueError(
                    f"window {self.window!r} of {self.transform} is not computed: dbt computes {listed} "
                    f"(var {var} in dbt_project/dbt_project.yml)"
                )
        if self.transform == "yoy" and "1y" not in windows["signal_change_windows"]:
            raise ValueError("yoy is the 1y change, and signal_change_windows does not list 1y")
        if not takes_unit and self.unit is not None:
            raise ValueError(f"transform {self.transform} takes no unit")
        if pair and self.against is None:
            raise ValueError(f"transform {self.transform} compares two series: name the other in `against`")
        if not pair and self.against is not None:
            raise ValueError(f"transform {self.transform} is of one series: `against` is for pair transforms")
        self._check_series(context.get("catalog"))
        return self

    def _check_series(self, catalog: dict[str, Any] | None) -> None:
        """Each series is a signal source's and, given the catalog (by `<source>/<id>`), in it, and
        positive where a percent change or a return of it is asked for."""
        for ref in filter(None, [self.series, self.against]):
            if ref.split("/")[0] not in SIGNAL_SOURCES:
                raise ValueError(
                    f"{ref}: signals are computed for {', '.join(SIGNAL_SOURCES)} series (one value per date)"
                )
            if catalog is None:
                continue
            if ref not in catalog:
                raise ValueError(f"{ref} is not in catalog.yaml")
            needs_positive = self.unit == "pct" or self.transform in ("relative", "beta", "correlation")
            if needs_positive and not catalog[ref].positive:
                raise ValueError(
                    f"{ref} is `positive: false` in the catalog (it may be zero or negative): a percent "
                    f"change or a return of it means nothing; use unit pp"
                )

    @property
    def table(self) -> str:
        return "signal_pairs" if self.against else "signals"

    @property
    def key(self) -> str:
        """Which frame of the table the metric reads: one series, or one pair."""
        return f"{self.table}:{self.series}" + (f":{self.against}" if self.against else "")

    @property
    def column(self) -> str:
        t, w, u = self.transform, self.window, self.unit
        return {
            "level": "value",
            "change": f"change_{w}_{u}",
            "yoy": f"change_1y_{u}",
            "vs_average": f"vs_average_{w}_{u}",
            "zscore": f"zscore_{w}",
            "average_change": f"average_change_{w}_{u}",
            "drawdown": f"drawdown_{u}",
            "spread": "spread",
            "relative": f"relative_{w}_pp",
            "beta": f"beta_{w}",
            "correlation": f"correlation_{w}",
        }[t]

    def columns(self, windows: dict[str, list] | None = None) -> list[str]:
        """Every column of the table the signal is read from (what an evidence's row[...] may name)."""
        windows = windows or signal_windows()
        return pair_columns(windows) if self.against else series_columns(windows)

    def defaults(self, series_unit: str) -> dict[str, Any]:
        """The metric's unit, window, baseline, sources and evidence when the thesis file leaves
        them out: words for the tables and a sentence with the value and its date."""
        t, s, other = self.transform, self.series, self.against
        percent_series = series_unit.lower().startswith("percent")
        difference = "pp" if percent_series else series_unit
        unit = {"pct": "%", "pp": difference, None: ""}[self.unit]
        words = window_words(self.window) if self.window is not None else ""
        value = "{value:+.2f}" + ("%" if self.unit == "pct" else f" {unit}".rstrip())
        pair = f"{s} − {other}"
        by_transform = {
            "level": (
                "%" if percent_series else series_unit,
                "latest",
                "the threshold",
                f"{{label}} ({s}): {{value:,.2f}}{'%' if percent_series else ''} on {{date}}.",
            ),
            "change": (
                unit,
                words,
                f"the value {words} earlier",
                f"{{label}} ({s}): {value} over {words} to {{date}}.",
            ),
            "yoy": (
                unit,
                "1 year",
                "the value a year earlier",
                f"{{label}} ({s}): {value} year on year to {{date}}.",
            ),
            "vs_average": (
                unit,
                words,
                f"its {words} average",
                f"{{label}} ({s}): {value} from its {words} average on {{date}}.",
            ),
            "zscore": (
                "sd",
                words,
                f"its {words} mean",
                f"{{label}} ({s}): {{value:+.2f}} standard deviations from its {words} mean on {{date}}.",
            ),
            "average_change": (
                unit,
                f"{self.window} periods",
                f"{self.window} periods earlier",
                f"{{label}} ({s}): {value} a period on average over the {self.window} periods to {{date}}.",
            ),
            "drawdown": (
                unit,
                "since the first observation",
                "its running peak",
                f"{{label}} ({s}): {value} from its running peak on {{date}}.",
            ),
            "spread": (
                "pp" if percent_series else series_unit,
                "latest",
                other,
                f"{{label}} ({pair}): {{value:+.2f}}{' pp' if percent_series else ''} on {{date}}.",
            ),
            "relative": (
                "pp",
                words,
                f"{other} over the same span",
                f"{{label}} ({pair}): {{value:+.1f}} pp over {words} to {{date}}.",
            ),
            "beta": (
                "",
                words,
                f"{other}'s returns",
                f"{{label}} ({s} to {other}): {{value:.2f}} over {words} to {{date}}.",
            ),
            "correlation": (
                "",
                words,
                f"{other}'s returns",
                f"{{label}} ({s} with {other}): {{value:.2f}} over {words} to {{date}}.",
            ),
        }
        unit, window, baseline, evidence = by_transform[t]
        return {
            "unit": unit,
            "window": window,
            "baseline": baseline,
            "sources": [ref for ref in (s, other) if ref],
            "evidence": evidence,
        }
