"""An answer's envelope, `[paging, rows]`: the paging block read and checked, error answers refused."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.sources.base import Body, SourceError
from assets.sources.worldbank.api import SOURCE


@dataclass(frozen=True)
class Paging:
    """The first element of every answer; the numbers may arrive as JSON numbers or strings."""

    page: int
    pages: int
    per_page: int
    total: int
    last_updated: dt.date | None


def _count(paging: Mapping[str, Any], name: str, series: str) -> int:
    value = paging.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise SourceError(SOURCE, series, f"paging field {name!r} is not a count: {value!r}", "paging")


def _paging(paging: Mapping[str, Any], series: str) -> Paging:
    stamp = paging.get("lastupdated")
    try:
        last_updated = dt.date.fromisoformat(stamp) if stamp else None
    except (TypeError, ValueError):
        raise SourceError(SOURCE, series, f"lastupdated is not an ISO date: {stamp!r}", "paging") from None
    counts = [_count(paging, name, series) for name in ("page", "pages", "per_page", "total")]
    return Paging(*counts, last_updated=last_updated)


def _api_error(doc: Any) -> str | None:
    """The text of the API's error answer `[{"message": [{"id", "key", "value"}]}]`, else None."""
    if not (isinstance(doc, list) and doc and isinstance(doc[0], dict) and "message" in doc[0]):
        return None
    messages = doc[0]["message"] if isinstance(doc[0]["message"], list) else [doc[0]["message"]]
    parts = [
        f"id {m.get('id')} {m.get('key')!r}: {m.get('value')!r}" if isinstance(m, dict) else repr(m)
        for m in messages
    ]
    return "API error " + "; ".join(parts)[:300]


def read_answer(body: Body) -> tuple[Paging, list | None]:
    """Decode an answer into its paging block and its rows (None when the API sent `null`)."""
    series = body.key
    doc = body.json()
    if error := _api_error(doc):
        raise SourceError(SOURCE, series, error, "[0].message")
    if not (isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], dict)):
        raise SourceError(
            SOURCE,
            series,
            f"expected a 2-element array [paging, rows], got {body.text().strip()[:120]!r}",
            "char 0",
        )
    rows = doc[1]
    if rows is not None and not isinstance(rows, list):
        raise SourceError(SOURCE, series, f"rows are a {type(rows).__name__}, not an array", "rows")
    return _paging(doc[0], series), rows


def page_rows(paging: Paging, rows: list | None, series: str) -> list:
    """The rows of a page, checked against its paging block; an empty answer is an error."""
    if paging.total == 0 or not rows:
        # Every indicator here covers every economy for every year asked, so an empty answer
        # means a wrong indicator or date range, never a quiet year: loading nothing would hide it.
        raise SourceError(
            SOURCE,
            series,
            f"no rows (total {paging.total}, rows {'null' if rows is None else 'empty'}): the API has no "
            "data for this indicator and date range, which for a WDI indicator means a bad request",
            "rows",
        )
    expected = min(paging.per_page, paging.total - (paging.page - 1) * paging.per_page)
    if paging.per_page > 0 and len(rows) != expected:
        raise SourceError(
            SOURCE,
            series,
            f"the page holds {len(rows)} rows where its paging block promises {expected}",
            "rows",
        )
    return rows
