"""genai-prices: LLM API prices shipped inside the `genai-prices` package (pydantic, MIT licence).

Not an HTTP source: the rows come from the installed package's data (`genai_prices.data`, no
network, never its auto-update), so every mode loads the same rows, marked with origin `package`
and the package version.

One row per provider, model and dated price, in USD per 1M tokens, standard tier:
  * a price with a start-date constraint becomes a row dated from that day; the undated price
    (the one before any dated change, or the only one) has a NULL `start_date`;
  * a price tiered by prompt length keeps its first tier, the price of a short prompt
    (`is_tiered`); batch, region and other request variants are left out;
  * a price that changes with the time of day (DeepSeek's peak and off-peak hours) is the one in
    force for most of the UTC day (`varies_by_time_of_day`);
  * models priced only per request, second or search (no token price) are left out.
Start dates may lie in the future: the package lists announced price changes.
"""

import collections
import datetime as dt
import importlib.metadata
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from assets.sources.base import Body

SOURCE = "genai_prices"
PACKAGE = "genai-prices"
SCHEMA = pa.schema(
    [
        ("provider_id", pa.string()),
        ("provider_name", pa.string()),
        ("model_id", pa.string()),
        ("model_name", pa.string()),
        ("start_date", pa.date32()),
        ("input_usd_per_mtok", pa.float64()),
        ("output_usd_per_mtok", pa.float64()),
        ("is_tiered", pa.bool_()),
        ("varies_by_time_of_day", pa.bool_()),
        ("context_window", pa.int64()),
        ("deprecated", pa.bool_()),
        ("package_version", pa.string()),
    ]
)
# A day before the package's first dated price (2025), to read undated prices of models that
# have no dated ones: their undated price holds on every day.
_BEFORE_DATED_PRICES = dt.date(2000, 1, 1)
# The middle of every quarter hour: time-of-day prices switch on the hour or the half hour.
_QUARTER_HOURS = [dt.time(h, m) for h in range(24) for m in (7, 22, 37, 52)]


@dataclass(frozen=True)
class PackageTable:
    """The raw table's description for `assets.raw` (the fields a Connector has, less HTTP)."""

    source: str
    description: str
    table: str
    schema: pa.Schema
    key: tuple[str, ...]
    series_column: str
    date_column: str
    revision_columns: tuple[str, ...]


TABLE = PackageTable(
    source=SOURCE,
    description=__doc__,
    table="genai_prices",
    schema=SCHEMA,
    key=("provider_id", "model_id", "start_date"),
    series_column="provider_id",
    date_column="start_date",
    revision_columns=("input_usd_per_mtok", "output_usd_per_mtok"),
)


@dataclass(frozen=True)
class StandardPrice:
    """One model's standard input and output price on a day, in USD per 1M tokens."""

    input: Decimal | None
    output: Decimal | None
    tiered: bool
    time_of_day: bool


def package_version() -> str:
    return importlib.metadata.version(PACKAGE)


def providers() -> list[Any]:
    """The package's providers (`genai_prices.types.Provider`); imported here, not at module load."""
    from genai_prices import data

    return data.providers


def _has_time_of_day(model: Any) -> bool:
    from genai_prices.types import TimeOfDateConstraint

    return isinstance(model.prices, list) and any(
        isinstance(p.constraint, TimeOfDateConstraint) for p in model.prices
    )


def _start_dates(model: Any) -> list[dt.date]:
    from genai_prices.types import StartDateConstraint

    if not isinstance(model.prices, list):
        return []
    return sorted(
        {p.constraint.start_date for p in model.prices if isinstance(p.constraint, StartDateConstraint)}
    )


def standard_price(model: Any, day: dt.date) -> StandardPrice:
    """The price the package applies on `day` to a plain request (its own resolution of constraints)."""
    from genai_prices.types import TieredPrices

    def base(price: Any) -> tuple[Decimal | None, bool]:
        return (price.base, True) if isinstance(price, TieredPrices) else (price, False)

    votes: collections.Counter[tuple[Decimal | None, Decimal | None, bool]] = collections.Counter()
    for moment in _QUARTER_HOURS if _has_time_of_day(model) else [dt.time(12)]:
        prices = model.get_prices(dt.datetime.combine(day, moment, dt.UTC))
        (input_price, input_tiered), (output_price, output_tiered) = (
            base(prices.input_mtok),
            base(prices.output_mtok),
        )
        votes[(input_price, output_price, input_tiered or output_tiered)] += 1
    # most_common keeps first-seen order among ties, so the result is deterministic.
    (input_price, output_price, tiered), _ = votes.most_common(1)[0]
    return StandardPrice(input_price, output_price, tiered, time_of_day=len(votes) > 1)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def extract(provider_list: list[Any], version: str) -> pa.Table:
    """Every provider's models, one row per dated standard price (see the module docstring)."""
    rows = []
    for provider in provider_list:
        for model in provider.models:
            starts = _start_dates(model)
            undated = starts[0] - dt.timedelta(days=1) if starts else _BEFORE_DATED_PRICES
            for start, day in [(None, undated), *((s, s) for s in starts)]:
                price = standard_price(model, day)
                if price.input is None and price.output is None:
                    continue
                rows.append(
                    {
                        "provider_id": provider.id,
                        "provider_name": provider.name,
                        "model_id": model.id,
                        "model_name": model.name,
                        "start_date": start,
                        "input_usd_per_mtok": _number(price.input),
                        "output_usd_per_mtok": _number(price.output),
                        "is_tiered": price.tiered,
                        "varies_by_time_of_day": price.time_of_day,
                        "context_window": model.context_window,
                        "deprecated": bool(model.deprecated),
                        "package_version": version,
                    }
                )
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def bodies(rows: pa.Table, version: str, fetched_at: dt.datetime) -> list[tuple[Body, pa.Table]]:
    """The rows split by provider, each with a Body whose content is those rows as canonical JSON.

    The package has no wire format; the JSON stands in for one, so each provider's load has a
    SHA-256 that changes exactly when its rows do, and the audit has one entry per provider.
    """
    out = []
    for provider_id in sorted(set(rows.column("provider_id").to_pylist())):
        part = rows.filter(pc.equal(rows.column("provider_id"), provider_id))
        content = json.dumps(part.to_pylist(), default=str, sort_keys=True, separators=(",", ":")).encode()
        url = f"https://pypi.org/project/{PACKAGE}/{version}/"
        out.append((Body(SOURCE, provider_id, "json", content, "package", fetched_at, url), part))
    return out
