"""What every connector shares: the body it fetched, the errors it raises, and the Connector contract."""

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

# demo/live/replay: the source modes; package: data shipped inside an installed Python package
# (genai-prices), the same in every mode.
Origin = Literal["demo", "live", "replay", "package"]


class SourceError(Exception):
    """A source answered with something that is not the data we asked for.

    The message always names the source, the series and where in the body the problem is, so an
    operator reading a failed run knows which request to look at.
    """

    def __init__(self, source: str, series: str, problem: str, where: str | None = None):
        self.source, self.series, self.problem, self.where = source, series, problem, where
        location = f" at {where}" if where else ""
        super().__init__(f"{source}/{series}{location}: {problem}")


class SeriesMissing(SourceError):
    """The series is absent (e.g. not in a replay snapshot): reported per series, never fatal."""


class CorruptData(SourceError):
    """The body is data for the series, but data no source may send: a duplicate key, a date in
    the future, a value that is NaN, infinite, absurdly large, or not positive where it must be.

    Unlike a body that is not data at all (an error page, an outage: the series is absent today,
    the verdict goes on without it), corrupt values mean the source itself is wrong: the body is
    refused, and the load's integrity check blocks the summary (`expectations/loads.py`)."""


@dataclass(frozen=True)
class HttpRequest:
    """One GET: the URL, its query parameters and headers, and the extension of the body it returns."""

    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    ext: Literal["csv", "json"] = "csv"
    # Query parameters whose values are secrets: redacted wherever the URL is shown or stored.
    secret_params: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Body:
    """A response body exactly as the source sent it, with where and when it came from."""

    source: str
    key: str
    ext: Literal["csv", "json"]
    content: bytes
    origin: Origin
    fetched_at: dt.datetime
    url: str

    @functools.cached_property
    def sha256(self) -> str:
        # Cached: the raw layer asks for it once per row batch and once for the audit.
        return hashlib.sha256(self.content).hexdigest()

    def text(self) -> str:
        """Decode as UTF-8, tolerating a byte-order mark; a body that is not text is a SourceError."""
        try:
            return self.content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(self.source, self.key, "body is not UTF-8 text", f"byte {exc.start}") from None

    def json(self) -> Any:
        """Decode as JSON; an empty body, an HTML page or invalid/truncated JSON is a SourceError."""
        text = self.text()
        if not text.strip():
            raise SourceError(self.source, self.key, "empty body", "char 0")
        if problem := not_data(text, "json"):
            raise SourceError(self.source, self.key, problem, "char 0")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(
                self.source, self.key, f"invalid or truncated JSON ({exc.msg})", f"char {exc.pos}"
            ) from None
        except ValueError:
            # Valid JSON that Python will not read: an integer of more than 4,300 digits (its guard
            # against quadratic-time conversion). No source sends one.
            long = _LONG_NUMBER.search(text)
            where = f"char {long.start() if long else 0}"
            raise SourceError(self.source, self.key, "an integer of more than 4300 digits", where) from None
        except RecursionError:
            raise SourceError(self.source, self.key, "JSON nested too deeply to read", "char 0") from None
        # JSON.stringify writes half of a cut emoji as a lone `\udXXX` escape; Arrow and DuckDB
        # take only valid UTF-8, so such a character becomes U+FFFD and the rest of the body stays.
        return _without_lone_surrogates(doc) if _SURROGATE_ESCAPE.search(text) else doc


_LONG_NUMBER = re.compile(r"[0-9]{4301,}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """`value` with every surrogate code point in its strings (keys too) replaced by U+FFFD; json
    joins the pairs that make one character, so every surrogate left is a lone one."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def not_data(text: str, expected: Literal["csv", "json"]) -> str | None:
    """Describe a body that is plainly not data (an HTML page, JSON where CSV was asked), else None."""
    head = text.lstrip()[:200].lower()
    if head.startswith("<"):
        return f"an HTML/XML page instead of data: {text.strip()[:80]!r}"
    if expected == "csv" and head.startswith(("{", "[")):
        return f"JSON instead of CSV: {text.strip()[:120]!r}"
    return None


@dataclass(frozen=True)
class Window:
    """The date range a request asks for; `end` is the as-of date of the run."""

    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Connector:
    """The contract a source family fulfils; `assets/ingest.py` drives every source through it.

    request: the HTTP request for one series and window (live mode).
    parse:   body → Arrow table in `schema`, or SourceError naming the series and the row.
    demo:    a deterministic synthetic body in the source's exact wire format (demo mode).
    table:   the raw table (`raw.<table>`), keyed by `key`; `series_column` holds the catalog id
             and `date_column` the observation date (for lookback windows and metadata).
    revision_columns: the values whose change is a revision (the old version goes to history);
             other attributes (names, flags) are kept from the version first seen.
    checked_value: the one value column whose revisions the source's load check measures
             against gate.yaml's limits (None: not measured); keyed by series and date.
    fallback: an optional second request for the same series, tried in live mode only when the
             primary request fails (HTTP error, timeout) after its retries; the body's URL records
             which one answered and its extension picks the parser.
    """

    source: str
    description: str
    request: Callable[..., HttpRequest]
    parse: Callable[[Body], pa.Table]
    demo: Callable[..., bytes]
    demo_ext: Literal["csv", "json"]
    table: str
    schema: pa.Schema
    key: tuple[str, ...]
    series_column: str
    date_column: str
    revision_columns: tuple[str, ...]
    fallback: Callable[..., HttpRequest] | None = None
    checked_value: str | None = None


# Values this large are unit mistakes or corrupt bodies in every series we load (world GDP is ~1e14).
ABSURD_MAGNITUDE = 1e16
_EPOCH = dt.date(1970, 1, 1)


def check_observations(
    source: str,
    series: str,
    rows: list[tuple[str, dt.date, float | None]],
    *,
    positive: bool,
    latest_allowed: dt.date,
) -> None:
    """Reject the rows no source should send: duplicates, future dates, impossible values.

    `rows` are (where, date, value) with `where` a human location such as "line 12".
    Unsorted rows are fine (the raw layer is keyed, not ordered); everything else fails loudly.
    """
    check_columns(
        source,
        series,
        [r[1] for r in rows],
        [r[2] for r in rows],
        lambda i: rows[i][0],
        positive=positive,
        latest_allowed=latest_allowed,
    )


def check_columns(
    source: str,
    series: str,
    dates: Sequence[dt.date],
    values: Sequence[float | None] | pa.Array | None,
    where: Callable[[int], str],
    *,
    positive: bool,
    latest_allowed: dt.date,
) -> None:
    """`check_observations` on columns: row i is (`where(i)`, `dates[i]`, `values[i]`).

    The rules are checked on whole arrays; only the first row that breaks one (in row order,
    and in the order duplicate, future, absurd, non-positive within it) is looked at again, to
    raise the same error a row-by-row check would. `where` is called for that row alone, so a
    parser need not format a location per value. `values` None means no values (dates only).
    """
    n = len(dates)
    if n == 0:
        return
    days = pa.array(dates, pa.date32()).to_numpy(zero_copy_only=False).astype(np.int64)
    unique_days, first_seen = np.unique(days, return_index=True)
    bad = np.ones(n, dtype=bool)
    bad[first_seen] = False
    bad |= days > (latest_allowed - _EPOCH).days
    numbers = None
    if values is not None:
        column = values if isinstance(values, pa.Array) else pa.array(values, pa.float64())
        # (is_valid() is a compute call, a third of a millisecond: skipped when nothing is null)
        present = column.is_valid().to_numpy(zero_copy_only=False) if column.null_count else True
        numbers = column.to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            broken = np.isnan(numbers) | (np.abs(numbers) >= ABSURD_MAGNITUDE)
            if positive:
                broken |= numbers <= 0
        bad |= present & broken
    if not bad.any():
        return
    i = int(np.argmax(bad))
    day, first = dates[i], int(first_seen[np.searchsorted(unique_days, days[i])])
    if first != i:
        raise CorruptData(source, series, f"duplicate date {day} (first at {where(first)})", where(i))
    if day > latest_allowed:
        raise CorruptData(source, series, f"date {day} is in the future (after {latest_allowed})", where(i))
    value = float(numbers[i])
    if value != value or abs(value) >= ABSURD_MAGNITUDE:
        raise CorruptData(source, series, f"absurd value {value!r}", where(i))
    raise CorruptData(source, series, f"non-positive value {value!r} for a positive series", where(i))
