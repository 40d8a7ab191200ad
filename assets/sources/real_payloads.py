"""Replay snapshots built from a folder of real payloads saved from the sources.

The folder's layout (that of `../shared/real-data/` and of `tests/fixtures/real/`):

    <source>/<vintage>_<who>/<file>     e.g. fred/csv-2026-05_joaodso/DTWEXBGS.csv

`<vintage>` contains the month the payloads were saved (`YYYY-MM`); a file may be gzipped
(`<file>.gz`, as in tests/fixtures/real/), and is then unpacked into the snapshot. A file maps to a catalog
series by its source's naming rule below; files of sources with no connector (Stooq, CoinGecko,
curated price lists) or that are no catalog series (FRED FEDFUNDS, a one-country World Bank
body) are listed as unmapped, with the reason. A snapshot (the layout `assets/sources/bodies.py`
replays) takes, for each series, the file of the newest vintage, byte for byte; its RECORDED_AT is
the last day of the newest vintage month (noon UTC), the day the run judges freshness against.
So a snapshot of mixed vintages is recorded data, not today's market: older series show as stale.
"""

import calendar
import datetime as dt
import gzip
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from config.catalog import Catalog
from config.resources import RECORDED_AT

_VINTAGE = re.compile(r"(\d{4})-(\d{2})")
# How each source names its files in a payload folder: the catalog key is the first group.
_NAMES: dict[str, re.Pattern[str]] = {
    "fred": re.compile(r"^([A-Za-z0-9]+)\.(csv|json)$"),
    "yahoo": re.compile(r"^([A-Za-z0-9^.=\-]+)\.json$"),
    # Only `country/all` answers are the catalog's request; `<ISO>_<indicator>` files hold one economy.
    "worldbank": re.compile(r"^all_([A-Z0-9.]+?)(?:_page\d+of\d+)?\.json$"),
    "imf": re.compile(r"^(cofer)[^/]*\.(csv|json)$"),
    "openrouter": re.compile(r"^openrouter_(models)\.json$"),
}


@dataclass(frozen=True)
class Payload:
    """One saved file and the catalog series it holds."""

    source: str
    key: str
    vintage: str  # YYYY-MM
    path: Path

    @property
    def name(self) -> str:
        """The file's name as saved (without the .gz it may be stored under)."""
        return self.path.name.removesuffix(".gz")

    @property
    def ext(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def content(self) -> bytes:
        data = self.path.read_bytes()
        return gzip.decompress(data) if self.path.suffix == ".gz" else data


@dataclass(frozen=True)
class Unmapped:
    path: Path
    reason: str


def vintage_of(folder: str) -> str | None:
    match = _VINTAGE.search(folder)
    return f"{match[1]}-{match[2]}" if match else None


def scan(root: Path, catalog: Catalog) -> tuple[list[Payload], list[Unmapped]]:
    """Every payload under `root` that holds a catalog series, and every file that does not."""
    listed = {(s.source, s.key) for s in catalog.series}
    payloads, unmapped = [], []
    for path in sorted(p for p in root.glob("*/*/*") if p.is_file()):
        source, folder = path.parts[-3], path.parts[-2]
        vintage = vintage_of(folder)
        pattern = _NAMES.get(source)
        match = pattern.match(path.name.removesuffix(".gz")) if pattern else None
        if pattern is None:
            unmapped.append(Unmapped(path, f"no connector reads {source}"))
        elif vintage is None:
            unmapped.append(Unmapped(path, f"folder {folder!r} names no YYYY-MM vintage"))
        elif match is None:
            unmapped.append(Unmapped(path, f"not a {source} body of a catalog request"))
        elif (source, match[1]) not in listed:
            unmapped.append(Unmapped(path, f"{source}/{match[1]} is not in the catalog"))
        else:
            payloads.append(Payload(source, match[1], vintage, path))
    return payloads, unmapped


def newest(payloads: list[Payload]) -> list[Payload]:
    """The newest vintage of each series (of two files in one vintage, the later path wins)."""
    chosen: dict[tuple[str, str], Payload] = {}
    for p in sorted(payloads, key=lambda p: (p.vintage, str(p.path))):
        chosen[(p.source, p.key)] = p
    return sorted(chosen.values(), key=lambda p: (p.source, p.key))


def recorded_at(vintage: str) -> dt.datetime:
    """Noon UTC on the last day of a `YYYY-MM` vintage: the latest a payload of that month was saved."""
    year, month = (int(part) for part in vintage.split("-"))
    return dt.datetime(year, month, calendar.monthrange(year, month)[1], 12, tzinfo=dt.UTC)


def write_snapshot(payloads: list[Payload], out: Path) -> Path:
    """A replay snapshot of `payloads` (at most one per series) in `out`, replacing what was there."""
    keys = [(p.source, p.key) for p in payloads]
    if len(set(keys)) != len(keys):
        raise ValueError("a snapshot holds one body per series")
    if not payloads:
        raise ValueError("no payload maps to a catalog series")
    shutil.rmtree(out, ignore_errors=True)
    for p in payloads:
        target = out / p.source / f"{p.key}.{p.ext}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(p.content())
    stamp = recorded_at(max(p.vintage for p in payloads))
    (out / RECORDED_AT).write_text(stamp.isoformat() + "\n")
    return out


def vintages(payloads: list[Payload]) -> list[list[Payload]]:
    """The payloads grouped by vintage, oldest first: replayed in turn into one warehouse, they
    arrive as they would have in production, each vintage revising the one before."""
    months = sorted({p.vintage for p in payloads})
    return [newest([p for p in payloads if p.vintage == month]) for month in months]
