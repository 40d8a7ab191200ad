"""Where bodies come from in each mode: `demo` (synthetic), `live` (HTTP), `replay` (a snapshot).

Snapshot layout, shared by recording and replay (a contract, documented in the README):

    <dir>/<source>/<key>.<ext>

`source` is fred, yahoo, worldbank, imf or openrouter; `key` the catalog id as written
(`DTWEXBGS`, `^GSPC`, `NY.GDP.MKTP.CD`, `cofer`, `models`); `ext` csv or json; the content is
the body byte for byte as the source sent it. For FRED either extension may be present and the
extension picks the parser. Recording also writes `<dir>/RECORDED_AT` (an ISO timestamp); replay
uses it as the bodies' fetch time, so freshness is judged against the day the snapshot was taken.
"""

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Protocol

from assets.sources.base import Body, Connector, SeriesMissing, Window
from assets.sources.http import HttpClient, redact
from orchestration.catalog import Series


class BodySource(Protocol):
    origin: str

    def get(self, connector: Connector, series: Series, window: Window) -> Body: ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DemoBodies:
    """Synthetic bodies in each source's exact wire format; the same window gives the same bytes."""

    origin = "demo"

    def get(self, connector: Connector, series: Series, window: Window) -> Body:
        content = connector.demo(series, window)
        return Body(
            connector.source,
            series.key,
            connector.demo_ext,
            content,
            self.origin,
            _now(),
            f"demo://{connector.source}/{series.key}",
        )


class LiveBodies:
    """Real HTTP requests; with `record_dir`, every body is also saved in the snapshot layout."""

    origin = "live"

    def __init__(self, client: HttpClient, fred_api_key: str | None = None, record_dir: Path | None = None):
        self.client, self.fred_api_key, self.record_dir = client, fred_api_key, record_dir

    def get(self, connector: Connector, series: Series, window: Window) -> Body:
        request = connector.request(series, window, api_key=self.fred_api_key)
        content = self.client.get(request, connector.source, series.key)
        body = Body(connector.source, series.key, request.ext, content, self.origin, _now(), redact(request))
        if self.record_dir is not None:
            write_snapshot(self.record_dir, body)
        return body


class ReplayBodies:
    """Bodies read back from a snapshot directory; a missing file is reported, not fatal."""

    origin = "replay"

    def __init__(self, snapshot_dir: Path):
        self.snapshot_dir = snapshot_dir
        self.recorded_at = recorded_at(snapshot_dir)

    def get(self, connector: Connector, series: Series, window: Window) -> Body:
        folder = self.snapshot_dir / connector.source
        for ext in ("json", "csv"):
            path = folder / f"{series.key}.{ext}"
            if path.is_file():
                fetched = self.recorded_at or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                return Body(
                    connector.source, series.key, ext, path.read_bytes(), self.origin, fetched, path.as_uri()
                )
        raise SeriesMissing(
            connector.source, series.key, f"not in snapshot {folder}/ (looked for {series.key}.json/.csv)"
        )


RECORDED_AT = "RECORDED_AT"


def recorded_at(directory: Path) -> dt.datetime | None:
    """When a snapshot was recorded, from its RECORDED_AT file (None when absent)."""
    marker = directory / RECORDED_AT
    if not marker.is_file():
        return None
    stamp = dt.datetime.fromisoformat(marker.read_text().strip())
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def write_snapshot(directory: Path, body: Body) -> Path:
    """Save a body at <dir>/<source>/<key>.<ext>, atomically, exactly as received."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RECORDED_AT).write_text(body.fetched_at.isoformat() + "\n")
    folder = directory / body.source
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{body.key}.{body.ext}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{body.key}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(body.content)
    os.replace(tmp, target)
    return target
