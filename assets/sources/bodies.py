"""Where bodies come from in each mode: `demo` (synthetic), `live` (HTTP), `replay` (a snapshot).

Snapshot layout, shared by recording and replay (a contract, documented in the README):

    <dir>/<source>/<key>.<ext>

`source` is fred, yahoo, worldbank, imf or openrouter; `key` the catalog id as written
(`DTWEXBGS`, `^GSPC`, `NY.GDP.MKTP.CD`, `cofer`, `models`); `ext` csv or json; the content is
the body byte for byte as the source sent it, except that a secret the source echoes back (the FRED
key quoted in an error object) is replaced by `***` (`http.scrub`). For FRED (CSV or JSON API) and
IMF (SDMX-CSV from the IMF, JSON from the DBnomics fallback) either extension may be present and
the extension picks the parser. Recording also writes `<dir>/RECORDED_AT` (an ISO timestamp); replay
uses it as the bodies' fetch time, so freshness is judged against the day the snapshot was taken.
"""

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Protocol

from assets.sources.base import Body, Connector, SeriesMissing, SourceError, Window
from assets.sources.http import HttpClient, redact
from config.catalog import Series
from config.resources import RECORDED_AT, recorded_at

# The body formats a snapshot may hold, in the order replay looks for them.
SNAPSHOT_EXTS = ("json", "csv")


class BodySource(Protocol):
    origin: str

    def get(self, connector: Connector, series: Series, window: Window) -> Body: ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DemoBodies:
    """Synthetic bodies in each source's exact wire format; the same window gives the same bytes.

    A demo body counts as fetched at the start (00:00 UTC) of the run's as-of date, not at the
    wall-clock time: a demo run for a given as-of date then loads exactly the same rows whenever
    it runs, including the sources that date their rows by fetch time (OpenRouter snapshots).
    """

    origin = "demo"

    def get(self, connector: Connector, series: Series, window: Window) -> Body:
        content = connector.demo(series, window)
        return Body(
            connector.source,
            series.key,
            connector.demo_ext,
            content,
            self.origin,
            dt.datetime.combine(window.end, dt.time(), dt.UTC),
            f"demo://{connector.source}/{series.key}",
        )


class LiveBodies:
    """Real HTTP requests; with `record_dir`, every body is also saved in the snapshot layout.

    A connector with a `fallback` request (IMF COFER → DBnomics) gets it tried once the primary
    request has failed after its retries; the body's URL and extension say which one answered.
    """

    origin = "live"

    def __init__(self, client: HttpClient, fred_api_key: str | None = None, record_dir: Path | None = None):
        self.client, self.fred_api_key, self.record_dir = client, fred_api_key, record_dir

    def get(self, connector: Connector, series: Series, window: Window) -> Body:
        request = connector.request(series, window, api_key=self.fred_api_key)
        try:
            content = self.client.get(request, connector.source, series.key)
        except SourceError as primary:
            if connector.fallback is None:
                raise
            request = connector.fallback(series, window, api_key=self.fred_api_key)
            try:
                content = self.client.get(request, connector.source, series.key)
            except SourceError as secondary:
                raise SourceError(
                    connector.source,
                    series.key,
                    f"{primary.problem} (at {primary.where}); the fallback failed too: {secondary.problem}",
                    secondary.where,
                ) from None
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
        for ext in SNAPSHOT_EXTS:
            path = folder / f"{series.key}.{ext}"
            if path.is_file():
                fetched = self.recorded_at or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                return Body(
                    connector.source, series.key, ext, path.read_bytes(), self.origin, fetched, path.as_uri()
                )
        raise SeriesMissing(
            connector.source, series.key, "not in the snapshot", f"{folder}/{series.key}.json|csv"
        )


def write_snapshot(directory: Path, body: Body) -> Path:
    """Save a body at <dir>/<source>/<key>.<ext>, atomically, exactly as received.

    An earlier recording of the same series in the other format (a fallback answered last time,
    or the FRED key was toggled) is removed, so replay never picks a stale body.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RECORDED_AT).write_text(body.fetched_at.isoformat() + "\n")
    folder = directory / body.source
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{body.key}.{body.ext}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{body.key}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(body.content)
    os.replace(tmp, target)
    for ext in SNAPSHOT_EXTS:
        if ext != body.ext:
            (folder / f"{body.key}.{ext}").unlink(missing_ok=True)
    return target
