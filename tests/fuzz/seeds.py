"""The bodies fuzzing starts from: the real payloads of each parser's format, and per format how a
seed is cut down to a small valid body (a run of its rows, the envelope kept consistent with it)
before it is mutated.

Real payloads come from `tests/fixtures/real/` (gzipped, as saved from the sources); COFER has
none, so the IMF and DBnomics seeds are the format fixtures of `tests/fixtures/imf/`, plus the
real IMF data-portal export (the wrong layout, which must always be refused).
"""

import csv
import functools
import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from assets.sources import fred, imf, openrouter, worldbank, yahoo
from assets.sources.base import Connector
from tests.conftest import FIXTURES, REAL_FIXTURES

# A trimmed body holds at most this many rows (bars, models): enough for every row check
# (duplicates, order, gaps) to have something to see, small enough for 10,000 bodies a parser.
MAX_ROWS = 30


Span = Callable[..., slice]


@dataclass(frozen=True)
class Seed:
    key: str  # the series the body is fetched for
    name: str  # where it came from, as shown in reports
    value: Any  # CSV records (header first) or a decoded JSON document


@dataclass(frozen=True)
class Format:
    name: str
    slug: str  # a folder-safe name (regression fixtures, failure folders)
    connector: Connector
    ext: str  # csv or json: the body's extension, which picks the parser
    seeds: Callable[[], list[Seed]]
    # A seed cut down to a valid body: `trim(span, value)`, where `span(n, most)` picks the run of
    # rows kept out of n (hypothesis draws it; the truncation test takes the first few).
    trim: Callable[[Span, Any], Any]


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _files(pattern: str) -> list[Path]:
    found = sorted(REAL_FIXTURES.glob(pattern))
    assert found, f"no real payloads match {pattern}: the checkout is incomplete"
    return found


def _stem(path: Path) -> str:
    return path.name.split(".csv")[0].split(".json")[0]


def _where(path: Path) -> str:
    return str(path.relative_to(FIXTURES)).removesuffix(".gz")


def _csv_seeds(pattern: str) -> Callable[[], list[Seed]]:
    @functools.cache
    def load() -> list[Seed]:
        return [Seed(_stem(p), _where(p), _records(_read(p))) for p in _files(pattern)]

    return load


def drawn_span(draw) -> Span:
    def span(n: int, most: int = MAX_ROWS) -> slice:
        """A run of at most `most` of n items (at least one when there is one)."""
        if n == 0:
            return slice(0, 0)
        length = draw(st.integers(1, min(n, most)))
        start = draw(st.integers(0, n - length))
        return slice(start, start + length)

    return span


def first(rows: int) -> Span:
    return lambda n, most=MAX_ROWS: slice(0, min(n, most, rows))


def trim_csv(span: Span, records: list[list[str]]) -> list[list[str]]:
    header, rows = records[0], records[1:]
    return [list(header), *(list(r) for r in rows[span(len(rows))])]


# ---- FRED JSON ------------------------------------------------------------------------------------


@functools.cache
def fred_json_seeds() -> list[Seed]:
    paths = [*_files("fred/api-json-*/*.json.gz"), FIXTURES / "bad_input" / "fred_api_UNRATE.json"]
    return [Seed(_stem(p).removeprefix("fred_api_"), _where(p), json.loads(_read(p))) for p in paths]


def trim_fred_json(span: Span, doc: dict) -> dict:
    observations = doc["observations"][span(len(doc["observations"]))]
    return {**doc, "count": len(observations), "offset": 0, "observations": observations}


# ---- Yahoo chart JSON -----------------------------------------------------------------------------


@functools.cache
def yahoo_seeds() -> list[Seed]:
    seeds = []
    for path in _files("yahoo/*/*.json.gz"):
        doc = json.loads(_read(path))
        seeds.append(Seed(doc["chart"]["result"][0]["meta"]["symbol"], _where(path), doc))
    return seeds


def trim_yahoo(span: Span, doc: dict) -> dict:
    """A run of bars: every array parallel to `timestamp` cut alike; two of each kind of event."""
    result = doc["chart"]["result"][0]
    n = len(result["timestamp"])
    bars = span(n)

    def cut(value: Any) -> Any:
        if isinstance(value, list):
            return value[bars] if len(value) == n else [cut(v) for v in value]
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        return value

    events = {kind: dict(list(items.items())[:2]) for kind, items in result.get("events", {}).items()}
    trimmed = {**result, "timestamp": result["timestamp"][bars], "indicators": cut(result["indicators"])}
    if events:
        trimmed["events"] = events
    return {"chart": {**doc["chart"], "result": [trimmed]}}


# ---- World Bank JSON ------------------------------------------------------------------------------


@functools.cache
def worldbank_seeds() -> list[Seed]:
    seeds = []
    for path in _files("worldbank/*/*.json.gz"):
        if path.name.startswith("countries"):
            continue  # the country list, not an indicator answer
        doc = json.loads(_read(path))
        seeds.append(Seed(doc[1][0]["indicator"]["id"], _where(path), doc))
    return seeds


def trim_worldbank(span: Span, doc: list) -> list:
    """A run of rows, with a paging block that promises exactly them (one page)."""
    paging, rows = doc
    rows = rows[span(len(rows))]
    return [{**paging, "page": 1, "pages": 1, "total": len(rows)}, rows]


# ---- IMF SDMX-CSV and DBnomics JSON ---------------------------------------------------------------


@functools.cache
def imf_sdmx_seeds() -> list[Seed]:
    paths = [*sorted((FIXTURES / "imf").glob("*.csv")), *_files("imf/*/*.csv.gz")]
    return [Seed("cofer", _where(p), _records(_read(p))) for p in paths]


@functools.cache
def dbnomics_seeds() -> list[Seed]:
    return [Seed("cofer", _where(p), json.loads(_read(p))) for p in sorted((FIXTURES / "imf").glob("*.json"))]


def trim_dbnomics(span: Span, doc: dict) -> dict:
    """A run of periods: `period`, `period_start_day` and `value` cut alike (an error answer as is)."""
    docs = doc.get("series", {}).get("docs")
    if not docs:
        return doc
    found = docs[0]
    cut = span(len(found["period"]))
    parallel = {k: found[k][cut] for k in ("period", "period_start_day", "value") if k in found}
    return {**doc, "series": {**doc["series"], "docs": [{**found, **parallel}]}}


# ---- OpenRouter JSON ------------------------------------------------------------------------------


@functools.cache
def openrouter_seeds() -> list[Seed]:
    paths = [*_files("openrouter/*/*.json.gz"), FIXTURES / "bad_input" / "openrouter_models.json"]
    return [Seed("models", _where(p), json.loads(_read(p))) for p in paths]


def trim_openrouter(span: Span, doc: dict) -> dict:
    """A run of models (a dozen at most: each is a deep object), `total_count` saying so."""
    models = doc["data"][span(len(doc["data"]), most=12)]
    trimmed = {**doc, "data": models}
    if "total_count" in doc:
        trimmed["total_count"] = len(models)
    return trimmed


FORMATS = (
    Format("FRED CSV", "fred-csv", fred.CONNECTOR, "csv", _csv_seeds("fred/csv-2*/*.csv.gz"), trim_csv),
    Format(
        "FRED CSV (old)",
        "fred-csv-old",
        fred.CONNECTOR,
        "csv",
        _csv_seeds("fred/csv-old-*/*.csv.gz"),
        trim_csv,
    ),
    Format("FRED JSON", "fred-json", fred.CONNECTOR, "json", fred_json_seeds, trim_fred_json),
    Format("Yahoo chart JSON", "yahoo", yahoo.CONNECTOR, "json", yahoo_seeds, trim_yahoo),
    Format("World Bank JSON", "worldbank", worldbank.CONNECTOR, "json", worldbank_seeds, trim_worldbank),
    Format("IMF SDMX-CSV", "imf-sdmx", imf.CONNECTOR, "csv", imf_sdmx_seeds, trim_csv),
    Format("DBnomics JSON", "dbnomics", imf.CONNECTOR, "json", dbnomics_seeds, trim_dbnomics),
    Format("OpenRouter JSON", "openrouter", openrouter.CONNECTOR, "json", openrouter_seeds, trim_openrouter),
)
BY_SLUG = {f.slug: f for f in FORMATS}
