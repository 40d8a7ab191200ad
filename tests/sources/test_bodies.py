"""Body sources: demo bodies dated on the as-of day, live fallback only for connectors that have
one, and snapshots that never keep a stale body in the other format."""

import datetime as dt

import httpx
import pytest
import respx

from assets.sources import fred, imf
from assets.sources.base import Body, SourceError, Window
from assets.sources.bodies import DemoBodies, LiveBodies, ReplayBodies, write_snapshot
from assets.sources.http import HttpClient
from config.catalog import load_catalog
from tests.conftest import NOW

CATALOG = load_catalog()
WINDOW = Window(dt.date(2026, 1, 1), dt.date(2026, 6, 30))


def test_demo_bodies_count_as_fetched_on_the_as_of_day():
    got = DemoBodies().get(fred.CONNECTOR, CATALOG.get("fred", "DTWEXBGS"), WINDOW)
    assert got.fetched_at == dt.datetime(2026, 6, 30, tzinfo=dt.UTC)
    assert got.origin == "demo" and got.url == "demo://fred/DTWEXBGS"


@respx.mock
def test_a_connector_without_fallback_reports_its_own_failure():
    route = respx.get(fred.CSV_URL).mock(return_value=httpx.Response(404, text="Series does not exist."))
    with pytest.raises(SourceError) as raised:
        LiveBodies(HttpClient(attempts=2, sleep=lambda _: None)).get(
            fred.CONNECTOR, CATALOG.get("fred", "DTWEXBGS"), WINDOW
        )
    assert route.call_count == 1  # a 404 is final: no retry, and nothing else to try
    assert "HTTP 404: 'Series does not exist.'" in str(raised.value)
    assert "fallback" not in str(raised.value)


def test_a_recording_replaces_the_same_series_in_the_other_format(tmp_path):
    earlier = Body("imf", "cofer", "csv", b"DATAFLOW,...\n", "live", NOW, "https://api.imf.org/...")
    later = Body(
        "imf", "cofer", "json", b'{"series": {}}', "live", NOW + dt.timedelta(days=1), "https://api.db..."
    )
    write_snapshot(tmp_path, earlier)
    write_snapshot(tmp_path, later)
    assert sorted(p.name for p in (tmp_path / "imf").iterdir()) == ["cofer.json"]
    replayed = ReplayBodies(tmp_path).get(imf.CONNECTOR, CATALOG.get("imf", "cofer"), WINDOW)
    assert (replayed.ext, replayed.content, replayed.fetched_at) == ("json", later.content, later.fetched_at)
