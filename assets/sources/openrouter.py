"""OpenRouter: the prompt and completion price of every model OpenRouter lists, one snapshot a day.

`GET /api/v1/models` (keyless) gives only today's catalogue, so each load appends a dated
snapshot: `snapshot_date` is the day the body was fetched (in replay the snapshot's RECORDED_AT,
in demo the as-of date). Prices arrive as strings in USD per token and are stored in USD per 1M
tokens, converted with Decimal: `"-1"` (a router whose price depends on the model it picks) is
NULL with `is_variable_price`; `"0"` is 0, and a model with both prices 0 (the `:free` variants)
has `is_free`; a missing key is NULL, but a catalogue in which no model has a price at all (the
pricing fields renamed or moved) is rejected. Only the standard tier is kept: `pricing.overrides`
(dearer long prompts) sets `has_tiered_pricing`. Unknown keys are ignored, since new ones appear
often; a `created` time after the fetch is rejected.

Pagination: 2026 answers carry `total_count` and `links.next`. The whole catalogue fits one page
(414 models on one page in 2026-08), and the snapshot layout holds one body per series, so an
answer announcing more pages is rejected rather than stored: a partial snapshot would make every
model on the missing pages look withdrawn that day.
"""

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from assets.sources import genai_prices
from assets.sources.base import Body, Connector, CorruptData, HttpRequest, SourceError, Window
from config.catalog import Series

SOURCE = "openrouter"
MODELS_URL = "https://openrouter.ai/api/v1/models"
PER_MILLION = Decimal(1_000_000)
# $0.01 per token: 16 times the dearest price ever listed (o1-pro output, $600 per 1M tokens).
MAX_USD_PER_MTOK = Decimal(10_000)
VARIABLE = "-1"

SCHEMA = pa.schema(
    [
        ("series_id", pa.string()),
        ("snapshot_date", pa.date32()),
        ("model_id", pa.string()),
        ("canonical_slug", pa.string()),
        ("name", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("context_length", pa.int64()),
        ("prompt_usd_per_mtok", pa.float64()),
        ("completion_usd_per_mtok", pa.float64()),
        ("is_variable_price", pa.bool_()),
        ("is_free", pa.bool_()),
        ("has_tiered_pricing", pa.bool_()),
        ("alias_of", pa.string()),
        ("modality", pa.string()),
    ]
)


def request(series: Series, window: Window, **_: object) -> HttpRequest:
    """The default catalogue (text-output models), which is what per-token prices describe."""
    return HttpRequest(url=MODELS_URL, ext="json")


def _price(pricing: dict, key: str, series_id: str, where: str) -> tuple[Decimal | None, bool]:
    """(USD per 1M tokens or None, whether the price is variable) of one pricing entry."""
    raw = pricing.get(key)
    if raw is None:
        return None, False
    text = str(raw).strip()
    if text == VARIABLE:
        return None, True
    try:
        per_token = Decimal(text)
    except InvalidOperation:
        raise SourceError(SOURCE, series_id, f"non-numeric {key} price {text[:40]!r}", where) from None
    if not per_token.is_finite():
        raise SourceError(SOURCE, series_id, f"non-numeric {key} price {text[:40]!r}", where)
    if per_token < 0:
        raise CorruptData(
            SOURCE, series_id, f"negative {key} price {text[:40]!r} (only -1 is allowed)", where
        )
    per_million = per_token * PER_MILLION
    if per_million > MAX_USD_PER_MTOK:
        raise CorruptData(SOURCE, series_id, f"absurd {key} price {text[:40]!r} USD per token", where)
    return per_million, False


def _optional(model: dict, key: str, kind: type, series_id: str, where: str) -> Any:
    value = model.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        raise SourceError(SOURCE, series_id, f"'{key}' is not {kind.__name__}: {str(value)[:40]!r}", where)
    return value


def _model_row(model: Any, series_id: str, where: str, latest: dt.datetime) -> dict:
    if not isinstance(model, dict) or not isinstance(model.get("id"), str) or not model["id"].strip():
        raise SourceError(SOURCE, series_id, f"model without an 'id': {str(model)[:80]}", where)
    where = f"{where} ({model['id']})"
    pricing = model.get("pricing") or {}
    if not isinstance(pricing, dict):
        raise SourceError(SOURCE, series_id, f"'pricing' is not an object: {str(pricing)[:40]!r}", where)
    prompt, prompt_variable = _price(pricing, "prompt", series_id, where)
    completion, completion_variable = _price(pricing, "completion", series_id, where)
    created = _optional(model, "created", int, series_id, where)
    if created is not None and created > latest.timestamp():
        raise CorruptData(
            SOURCE,
            series_id,
            f"created {created} is in the future (after {latest:%Y-%m-%d %H:%M} UTC)",
            where,
        )
    context_length = _optional(model, "context_length", int, series_id, where)
    if context_length is not None and not 0 <= context_length < 2**63:
        raise SourceError(
            SOURCE, series_id, f"context_length {str(context_length)[:40]} is not a size", where
        )
    architecture = model.get("architecture") if isinstance(model.get("architecture"), dict) else {}
    alias = model.get("alias_target") if isinstance(model.get("alias_target"), dict) else {}
    return {
        "model_id": model["id"],
        "canonical_slug": _optional(model, "canonical_slug", str, series_id, where),
        "name": _optional(model, "name", str, series_id, where),
        "created_at": None if created is None else _launched(created, series_id, where),
        "context_length": context_length,
        "prompt_usd_per_mtok": None if prompt is None else float(prompt),
        "completion_usd_per_mtok": None if completion is None else float(completion),
        "is_variable_price": prompt_variable or completion_variable,
        "is_free": prompt == 0 and completion == 0,
        "has_tiered_pricing": bool(pricing.get("overrides")),
        "alias_of": _optional(alias, "slug", str, series_id, f"{where}.alias_target"),
        "modality": _optional(architecture, "modality", str, series_id, f"{where}.architecture"),
    }


def _launched(created: int, series_id: str, where: str) -> dt.datetime:
    """A `created` unix time as a UTC time; one before year 1 or too large for a date is refused."""
    try:
        return dt.datetime.fromtimestamp(created, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise SourceError(
            SOURCE, series_id, f"created {str(created)[:40]} is not a unix time", where
        ) from None


def parse(body: Body) -> pa.Table:
    """Parse a `/api/v1/models` body into one row per model for the body's snapshot date."""
    series_id = body.key
    doc = body.json()
    if isinstance(doc, dict) and "error" in doc:
        error = doc["error"] if isinstance(doc["error"], dict) else {"message": doc["error"]}
        raise SourceError(
            SOURCE, series_id, f"API error {error.get('code')}: {str(error.get('message'))[:160]}", "error"
        )
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        keys = sorted(doc)[:8] if isinstance(doc, dict) else type(doc).__name__
        raise SourceError(SOURCE, series_id, f"no 'data' list (got {keys})", "data")
    models = doc["data"]
    if not models:
        raise SourceError(SOURCE, series_id, "an empty catalogue ('data' is [])", "data")
    links = doc.get("links") if isinstance(doc.get("links"), dict) else {}
    total = doc.get("total_count")
    if links.get("next") or (isinstance(total, int) and total > len(models)):
        raise SourceError(
            SOURCE,
            series_id,
            f"a partial catalogue: {len(models)} of {total} models, next page {links.get('next')!r}; "
            "one snapshot holds one page, so the answer is not stored",
            "links.next" if links.get("next") else "total_count",
        )
    # `created` is a launch time: one after the fetch (plus a day of clock skew) is not a date.
    latest = body.fetched_at + dt.timedelta(days=1)
    rows, seen = [], {}
    for i, model in enumerate(models):
        row = _model_row(model, series_id, f"data[{i}]", latest)
        if row["model_id"] in seen:
            raise CorruptData(
                SOURCE,
                series_id,
                f"duplicate model id {row['model_id']!r} (first at {seen[row['model_id']]})",
                f"data[{i}]",
            )
        seen[row["model_id"]] = f"data[{i}]"
        rows.append({"series_id": series_id, "snapshot_date": body.fetched_at.date(), **row})
    # One model without prices is lenient parsing; a catalogue without any is a renamed or moved
    # `pricing` field, and storing it would record every model as unpriced that day.
    if not any(
        r["prompt_usd_per_mtok"] is not None
        or r["completion_usd_per_mtok"] is not None
        or r["is_variable_price"]
        for r in rows
    ):
        raise SourceError(
            SOURCE,
            series_id,
            f"none of the {len(rows)} models has a prompt or completion price: "
            "the pricing fields were renamed or moved",
            "data[].pricing",
        )
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _per_token(per_million: Decimal) -> str:
    return format(per_million / PER_MILLION, "f")


def demo(series: Series, window: Window) -> bytes:
    """An `/api/v1/models` body of genai-prices' OpenRouter prices in force on the as-of date.

    Real prices, not invented ones; only what genai-prices knows is shown (no `created` dates,
    no routers), and a `:free` model the package leaves unpriced is listed at "0", as OpenRouter
    does. Deprecated models are left out: OpenRouter lists only what it serves.
    """
    provider = next(p for p in genai_prices.providers() if p.id == SOURCE)
    data = []
    for model in sorted(provider.models, key=lambda m: m.id):
        if model.deprecated:
            continue
        price = genai_prices.standard_price(model, window.end)
        pricing = {}
        for key, value in (("prompt", price.input), ("completion", price.output)):
            if value is not None:
                pricing[key] = _per_token(value)
            elif model.id.endswith(":free"):
                pricing[key] = "0"
        entry = {"id": model.id, "canonical_slug": model.id, "name": model.name or model.id}
        data.append({**entry, "context_length": model.context_window, "pricing": pricing})
    return json.dumps({"data": data, "total_count": len(data), "links": {"next": None}}, indent=1).encode()


CONNECTOR = Connector(
    source=SOURCE,
    description=__doc__,
    request=request,
    parse=parse,
    demo=demo,
    demo_ext="json",
    table="openrouter_models",
    schema=SCHEMA,
    key=("series_id", "snapshot_date", "model_id"),
    series_column="series_id",
    date_column="snapshot_date",
    revision_columns=("prompt_usd_per_mtok", "completion_usd_per_mtok"),
)
