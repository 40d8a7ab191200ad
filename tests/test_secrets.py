"""The FRED API key never lands anywhere: a live run against mocked HTTP, with FRED answers that
echo the key back, leaves no trace of it in logs, the event log, metadata, snapshots, DuckDB or dbt's
files; and the key cannot be given as run config (which the event log stores)."""

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import dagster as dg
import duckdb
import httpx
import pytest

from assets.ingest import CONNECTORS
from assets.sources import fred
from assets.sources.base import HttpRequest, SourceError, Window
from assets.sources.http import HttpClient
from config.catalog import load_catalog
from config.resources import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.definitions import defs
from orchestration.event_log import instance_at

KEY = "abcdefghijklmnopqrstuvwxyz012345"  # FRED's format: 32 lower-case alphanumerics
NEEDLES = sorted({KEY, quote(KEY, safe="")})
FRED_HOST = httpx.URL(fred.API_URL).host
ECHO = f"{fred.API_URL}?series_id={{}}&api_key={KEY}&file_type=json"


def fred_json(series, window: Window, today: dt.date) -> bytes:
    """The series' demo path as a `fred/series/observations` answer (the FRED API's exact shape)."""
    lines = fred.demo(series, window).decode().splitlines()[1:]
    observations = [
        {"realtime_start": str(today), "realtime_end": str(today), "date": day, "value": value or "."}
        for day, value in (line.split(",") for line in lines)
    ]
    meta = {"realtime_start": str(today), "realtime_end": str(today), "observation_start": str(window.start)}
    meta |= {"observation_end": str(window.end), "units": "lin", "output_type": 1, "file_type": "json"}
    meta |= {"order_by": "observation_date", "sort_order": "asc", "count": len(observations), "offset": 0}
    return json.dumps({**meta, "limit": 100000, "observations": observations}).encode()


def route(url: str | httpx.URL, params) -> tuple[str, str, str | None]:
    url = httpx.URL(url)
    return url.host, url.path, params.get("series_id")


class MockSources:
    """Every source host answers with a valid body in its format; some FRED series answer with
    errors that quote the key: a 400 echoing the URL, a 429 then 200, a 500 on every attempt, and a
    200 whose JSON error object quotes it (a body the parser refuses and the recorder saves)."""

    SCRIPTS: ClassVar[dict[str, list[tuple[int, str | None]]]] = {
        "DEXCHUS": [(400, f"Bad Request. The series does not exist. Request: {ECHO.format('DEXCHUS')}")],
        "DFF": [(429, f"Too Many Requests for api_key={KEY}"), (200, None)],
        "WALCL": [(500, f"Internal Server Error while serving {ECHO.format('WALCL')}")] * 5,
        "CBETHUSD": [(200, json.dumps({"error_code": 400, "error_message": f"Bad Request. api_key={KEY}"}))],
    }

    def __init__(self, today: dt.date):
        self.answers: dict[tuple, bytes] = {}
        for connector in CONNECTORS:
            for series in load_catalog().for_source(connector.source):
                window = Window(series.start, today)  # a live first load asks from the series' start
                request = connector.request(series, window, api_key=KEY)
                body = (
                    fred_json(series, window, today)
                    if connector is fred.CONNECTOR
                    else connector.demo(series, window)
                )
                self.answers[route(request.url, request.params)] = body
        self.scripts = {k: list(v) for k, v in self.SCRIPTS.items()}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = route(request.url, request.url.params)
        script = self.scripts.get(key[2] or "")
        if script:
            status, text = script.pop(0)
            if text is not None:
                return httpx.Response(
                    status, text=text, headers={"Retry-After": "1"} if status == 429 else {}
                )
        return httpx.Response(200, content=self.answers[key])


def hits(data: bytes | str) -> int:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return sum(text.count(needle) for needle in NEEDLES)


def in_files(paths: list[Path]) -> int:
    return sum(hits(p.read_bytes()) for p in paths)


def files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.is_dir():
            yield from (p for p in root.rglob("*") if p.is_file())


def varchar_hits(path: Path) -> tuple[int, int]:
    """(key hits, columns read) over every varchar column of every table and view of a DuckDB file."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database()"
        ).fetchall()
        found = 0
        for schema, table, column in columns:
            name = f'"{schema}"."{table}"'
            query = f'select count(*) from {name} where contains("{column}", ?)'
            found += sum(con.execute(query, [needle]).fetchall()[0][0] for needle in NEEDLES)
    return found, len(columns)


@pytest.fixture
def live_env(warehouse_env, tmp_path, monkeypatch) -> dict:
    today = dt.datetime.now(dt.UTC).date()
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The project's instance config, plus httpx among the managed loggers: an operator who turns on
    # request logging sends httpx's records (each request's full URL) into the event log.
    config = (PROJECT_ROOT / "orchestration" / "dagster.yaml").read_text()
    config += "\npython_logs:\n  managed_python_loggers: [httpx]\n  python_log_level: DEBUG\n"
    (home / "dagster.yaml").write_text(config)
    mock = MockSources(today)
    sleeps: list[float] = []

    def client(timeout: float) -> HttpClient:
        return HttpClient(timeout=timeout, sleep=sleeps.append, transport=httpx.MockTransport(mock))

    monkeypatch.setattr("assets.ingest.HttpClient", client)
    for name, value in {
        "THESIS_SOURCE_MODE": "live",
        "FRED_API_KEY": KEY,
        "THESIS_RECORD_DIR": str(tmp_path / "recorded"),
        "THESIS_AS_OF": str(today),
        "DAGSTER_HOME": str(home),
    }.items():
        monkeypatch.setenv(name, value)
    return {"home": home, "mock": mock, "sleeps": sleeps, "record": tmp_path / "recorded", "tmp": tmp_path}


@pytest.mark.e2e
def test_a_live_run_leaves_the_fred_key_nowhere(live_env, warehouse_env, capfd, caplog):
    caplog.set_level(logging.INFO)
    home, mock = live_env["home"], live_env["mock"]
    with instance_at(home) as instance:
        result = defs.resolve_job_def("thesis_daily").execute_in_process(
            instance=instance, raise_on_error=False
        )
        run_id = result.run_id
        records = instance.all_logs(run_id)
        run = instance.get_run_by_id(run_id)
    out, err = capfd.readouterr()

    # The key was used: every FRED request carried it, and the scripted errors were served.
    fred_calls = [r for r in mock.requests if r.url.host == FRED_HOST]
    assert fred_calls and all(r.url.params["api_key"] == KEY for r in fred_calls)
    assert len(fred_calls) == len(load_catalog().for_source("fred")) + 1 + 4  # DFF retried, WALCL 5 tries
    assert not any(mock.scripts.values()) and 1.0 in live_env["sleeps"]  # Retry-After honoured
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert result.success and {"marts/thesis_summary", "published/warehouse"} <= materialized
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        audit = {
            series: (status, error)
            for series, status, error in con.execute(
                "select series_id, status, error from raw.load_audit where run_id = ? and source = 'fred'",
                [run_id],
            ).fetchall()
        }
    assert {k: audit[k][0] for k in ("DEXCHUS", "DFF", "WALCL", "CBETHUSD")} == {
        "DEXCHUS": "failed",
        "DFF": "loaded",
        "WALCL": "failed",
        "CBETHUSD": "failed",
    }
    # Not vacuous: the echoed key reached each place scrubbed, not left out.
    assert all("api_key=***" in audit[k][1] for k in ("DEXCHUS", "WALCL", "CBETHUSD"))
    assert b"api_key=***" in (live_env["record"] / "fred" / "CBETHUSD.json").read_bytes()
    assert any("HTTP Request: GET https://api.stlouisfed.org" in (r.user_message or "") for r in records)
    compute_logs = list(files(home / "storage"))
    sqlite = [p for p in files(home) if ".db" in p.name]
    assert sqlite and any(b"api_key=***" in p.read_bytes() for p in compute_logs)

    data_dir = live_env["tmp"] / "data"
    published = data_dir / "published" / warehouse_env.name
    metadata = [e.materialization.metadata for e in result.get_asset_materialization_events()]
    metadata += [e.metadata for e in result.get_asset_check_evaluations()]
    live_varchar, live_columns = varchar_hits(warehouse_env)
    published_varchar, published_columns = varchar_hits(published)
    recorded = list(files(live_env["record"]))
    live_files = list(warehouse_env.parent.glob(f"{warehouse_env.name}*"))  # with any .wal
    data_files = list(files(data_dir))
    dbt_files = list(files(DBT_PROJECT_DIR / "logs", DBT_PROJECT_DIR / "target"))
    log_text = "\n".join(r.getMessage() for r in caplog.records)
    places = {
        "captured stdout + stderr": hits(out + err),
        f"python log records ({len(caplog.records)})": hits(log_text),
        f"compute logs ({len(compute_logs)} files)": in_files(compute_logs),
        f"event storage ({len(sqlite)} sqlite files, raw bytes)": in_files(sqlite),
        f"every event via the instance API ({len(records)})": sum(
            hits(dg.serialize_value(r)) for r in records
        ),
        "run config and tags": hits(json.dumps([run.run_config, run.tags], default=str)),
        f"materialisation + check metadata ({len(metadata)})": hits(repr(metadata)),
        f"recorded snapshot files ({len(recorded)})": in_files(recorded),
        f"live DuckDB ({live_columns} varchar columns)": live_varchar,
        f"live DuckDB ({len(live_files)} files, raw bytes)": in_files(live_files),
        f"published DuckDB ({published_columns} varchar columns)": published_varchar,
        "published DuckDB (file, raw bytes)": in_files([published]),
        f"data dir ({len(data_files)} files, raw bytes)": in_files(data_files),
        f"dbt logs + target ({len(dbt_files)} files, raw bytes)": in_files(dbt_files),
    }
    with capfd.disabled():
        print(f"\n\nWhere the FRED key was looked for ({', '.join(map(repr, NEEDLES))}), run {run_id[:8]}")
        print(f"  {'FRED requests carrying the key':<52} {len(fred_calls):>4}")
        for place, count in places.items():
            print(f"  {place:<52} {count:>4} hits")
    # The published copy is the live file plus its `published.run_info` stamp.
    assert live_columns > 50 and published_columns >= live_columns and len(recorded) > 20
    assert places == dict.fromkeys(places, 0)


def test_the_key_cannot_be_given_as_run_config():
    """Run config is stored in the event log: no resource has a field that could hold a key, and a
    key passed as config anyway is refused before the run starts, so it is never stored."""
    for name, resource in defs.resources.items():
        fields = {f.lower() for f in type(resource).model_fields}
        assert not {f for f in fields if any(word in f for word in ("key", "token", "secret"))}, name
    with pytest.raises(dg.DagsterInvalidConfigError, match="fred_api_key"):
        defs.resolve_job_def("thesis_daily").execute_in_process(
            run_config={"resources": {"sources": {"config": {"fred_api_key": KEY}}}},
            instance=dg.DagsterInstance.ephemeral(),
        )


def keyed_request() -> HttpRequest:
    series = load_catalog().get("fred", "UNRATE")
    return fred.request(series, Window(dt.date(2026, 1, 1), dt.date(2026, 11, 24)), api_key=KEY)


def test_a_key_echoed_by_the_server_is_scrubbed_from_bodies_errors_and_httpx_log_lines(caplog):
    answers = iter(
        [
            httpx.Response(200, text=f'{{"error_code":400,"error_message":"bad api_key={KEY}"}}'),
            httpx.Response(400, text=f"Bad Request: {ECHO.format('UNRATE')}"),
        ]
    )
    client = HttpClient(sleep=lambda _: None, transport=httpx.MockTransport(lambda request: next(answers)))
    caplog.set_level(logging.INFO, logger="httpx")
    try:
        body = client.get(keyed_request(), "fred", "UNRATE")
        with pytest.raises(SourceError) as raised:
            client.get(keyed_request(), "fred", "UNRATE")
    finally:
        client.close()
    assert body == b'{"error_code":400,"error_message":"bad api_key=***"}'
    assert "api_key=***" in str(raised.value) and KEY not in str(raised.value)
    logged = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(logged) == 2 and all("api_key=***" in line and KEY not in line for line in logged)
