"""HTTP chaos: every source at once, in live mode on mocked HTTP (httpx.MockTransport, no socket),
meets 429 storms with and without Retry-After (one asking for an hour, one unreadable), 5xx bursts,
timeouts, connection resets, a redirect loop, bodies cut mid-stream, and a slow host trickling its
answers. The run finishes within the bound the README states (every request capped in attempts
and in seconds), loads every series whose host recovers within the retry budget, and names every
series that did not, with why. Time is simulated: no test sleeps, and none asserts wall-clock time;
the wall time is printed with the attempts per host."""

import datetime as dt
import io
import time
from collections import Counter
from collections.abc import Callable

import dagster as dg
import duckdb
import httpx
import pytest

from assets.ingest import CONNECTORS, ingest_assets
from assets.sources import imf
from assets.sources.base import Window
from assets.sources.http import ATTEMPTS, RETRY_BUDGET_S, TIMEOUT_S, HttpClient
from config.catalog import load_catalog
from config.resources import SourceSettings, WarehouseResource
from orchestration.cli import Progress
from tests import http_faults as f
from tests.conftest import FIXTURES

AS_OF = dt.date(2026, 11, 24)  # warehouse_env's THESIS_AS_OF
DBNOMICS = FIXTURES / "imf" / "dbnomics_cofer.json"
LATER = "Wed, 21 Oct 2015 07:28:00 GMT"  # an HTTP date long past: retry at once
Answer = Callable[[httpx.Request, bytes], httpx.Response]


def ok(_request, body):
    return f.ok(body)


def status(code: int, retry_after: str | None = None) -> Answer:
    return lambda _request, _body: f.status(code, retry_after)


def fail(error: Exception) -> Answer:
    def raise_(_request, _body):
        raise error

    return raise_


def mid_body(fault: Callable[[bytes], httpx.Response]) -> Answer:
    return lambda _request, body: fault(body)


def trickle(seconds: float) -> Answer:
    return lambda _request, body: f.slow(body, CLOCK, seconds)


def redirect_loop(request, _body):
    return f.redirect_to_itself(request)


def cut_silently(_request, body):
    """Half the body, delivered as if complete (a close-delimited answer cut short)."""
    return f.ok(f.halves(body)[0])


# Per series (IMF and DBnomics by host), the answers in turn; the last one repeats for ever.
# The comment says what the series must end as.
SCRIPTS: dict[str, list[Answer]] = {
    # FRED: 429 storms, 5xx bursts, resets, a redirect loop, bodies cut mid-stream
    "DTWEXBGS": [status(429, "2")] * 3 + [ok],  # loaded: Retry-After honoured three times
    "DTWEXAFEGS": [status(429)] * 3 + [ok],  # loaded: backoff, no Retry-After
    "DEXCHUS": [status(429, "3600")],  # failed at once: an hour is beyond the budget
    "SP500": [status(429)],  # failed after 5 attempts
    "NASDAQCOM": [status(500), status(502), status(503), status(504), ok],  # loaded on the 5th attempt
    "CBBTCUSD": [status(503)],  # failed after 5 attempts
    "CBETHUSD": [fail(httpx.ConnectTimeout("timed out")), fail(httpx.ConnectTimeout("timed out")), ok],
    "CPIAUCSL": [fail(httpx.ConnectError(f.RESET)), mid_body(f.reset_mid_body), ok],  # loaded
    "CPILFESL": [redirect_loop],  # failed at once: TooManyRedirects
    "UNRATE": [mid_body(f.cut_mid_body), ok],  # loaded: the cut body is retried
    "PAYEMS": [cut_silently],  # failed: the parser sees no final line break
    "A191RL1Q225SBEA": [status(429, "soon"), status(503, "Wed, 99 Foo"), ok],  # loaded: bad headers ignored
    # Yahoo: its 429 storms (no Retry-After), timeouts after part of a body
    "^GSPC": [status(429)] * 4 + [ok],  # loaded on the 5th attempt
    "ACWX": [status(429)] * 6 + [ok],  # failed: recovers only after the 5 attempts
    "MCHI": [mid_body(f.timeout_mid_body), ok],  # loaded
    "FXI": [mid_body(f.timeout_mid_body)],  # failed after 5 attempts
    "DX-Y.NYB": [status(429, LATER), ok],  # loaded: a past date means now
    # World Bank: a slow host (every answer trickles), and its 502s
    "SP.POP.TOTL": [trickle(20)],  # loaded: 20 s of trickle, within the 30 s deadline
    "NY.GDP.MKTP.CD": [trickle(100)],  # failed: cut at the deadline each time, until the budget is spent
    "NE.EXP.GNFS.CD": [status(502), status(502), trickle(10)],  # loaded
    "CM.MKT.LCAP.CD": [trickle(100), trickle(5)],  # loaded on the 2nd attempt
    # IMF down all run: COFER comes from the DBnomics fallback, after its own 429
    "api.imf.org": [status(503)],
    "api.db.nomics.world": [status(429, "1"), ok],
    # OpenRouter: a refused connection, then a reset mid-body
    "openrouter.ai": [
        fail(httpx.ConnectError("[Errno 111] Connection refused")),
        mid_body(f.reset_mid_body),
        ok,
    ],
}
FAILED = {
    "fred/DEXCHUS": "HTTP 429 after 1 attempt in 0 s; the server asked to wait 3600 s more (Retry-After)",
    "fred/SP500": "HTTP 429 after 5 attempts",
    "fred/CBBTCUSD": "HTTP 503 after 5 attempts",
    "fred/CPILFESL": "TooManyRedirects: Exceeded maximum allowed redirects.",
    "fred/PAYEMS": "no line break at the end: the body was cut off mid-line",
    "yahoo/ACWX": "HTTP 429 after 5 attempts",
    "yahoo/FXI": "timed out after 5 attempts",
    "worldbank/NY.GDP.MKTP.CD": "timed out after 2 attempts in 8",  # 80 s and the backoff's jitter
}
# Why it ended, for the failures whose seconds vary with the jitter.
ALSO = {
    "worldbank/NY.GDP.MKTP.CD": "s; the 60 s retry budget is spent (ReadTimeout: the body was still arriving",
}
CLOCK = f.SimulatedClock()
# What the README promises: a request ends within the retry budget plus one attempt (2 x timeout),
# plus the polite pace before each attempt (1 s at most, Yahoo's).
REQUEST_BOUND_S = RETRY_BUDGET_S + 2 * TIMEOUT_S + ATTEMPTS * 1.0


class Chaos:
    """The mocked internet: each request routed to its series' script, counted per host."""

    def __init__(self):
        self.routes: dict[tuple[str, str, str | None], tuple[str, bytes]] = {}
        for connector in CONNECTORS:
            for series in load_catalog().for_source(connector.source):
                window = Window(series.start, AS_OF)  # a first live load asks from the series' start
                body = connector.demo(series, window)
                requests = [(connector.request(series, window), body)]
                if connector.fallback is not None:  # DBnomics: its own format, no demo of it
                    requests.append((connector.fallback(series, window), DBNOMICS.read_bytes()))
                for request, body in requests:
                    url = httpx.URL(request.url)
                    key = series.key if connector.source not in ("imf", "openrouter") else url.host
                    self.routes[(url.host, url.path, request.params.get("id"))] = (key, body)
        self.served: Counter[str] = Counter()
        self.turn: Counter[str] = Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.served[host] += 1
        key, body = self.routes[(host, request.url.path, request.url.params.get("id"))]
        script = SCRIPTS.get(key, [ok])
        self.turn[key] += 1
        answer = script[min(self.turn[key], len(script)) - 1]
        return answer(request, body)


@pytest.fixture
def chaos(warehouse_env, monkeypatch):
    clients: list[HttpClient] = []
    mock = Chaos()

    def client(timeout: float) -> HttpClient:
        made = HttpClient(
            timeout=timeout, sleep=CLOCK.sleep, clock=CLOCK, transport=httpx.MockTransport(mock)
        )
        clients.append(made)
        return made

    CLOCK.now = CLOCK.slept = 0.0
    monkeypatch.setattr("assets.ingest.HttpClient", client)
    monkeypatch.setenv("THESIS_SOURCE_MODE", "live")
    monkeypatch.delenv("THESIS_FORCE_REFETCH", raising=False)
    return mock, clients


def test_every_source_at_once_through_http_chaos_loads_what_recovers_and_names_the_rest(
    chaos, warehouse_env, tmp_path, capsys
):
    mock, clients = chaos
    instance = dg.DagsterInstance.ephemeral()
    assets = [a for a in ingest_assets if a.key.path[-1] in {c.table for c in CONNECTORS}]
    started = time.monotonic()
    result = dg.materialize(
        assets, resources={"warehouse": WarehouseResource(), "sources": SourceSettings()}, instance=instance
    )
    wall = time.monotonic() - started
    assert result.success  # no fault of a source fails a step

    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        audit = {
            f"{source}/{series}": (status, error)
            for source, series, status, error in con.execute(
                "select source, series_id, status, error from raw.load_audit where run_id = ?",
                [result.run_id],
            ).fetchall()
        }
    catalog = {f"{s.source}/{s.key}" for s in load_catalog().series}
    assert set(audit) == catalog
    failed = {ref for ref, (status, _) in audit.items() if status != "loaded"}
    assert failed == set(FAILED)
    for ref, problem in FAILED.items():
        assert audit[ref][0] == "failed" and problem in audit[ref][1], (ref, audit[ref][1])
        assert ALSO.get(ref, "") in audit[ref][1], (ref, audit[ref][1])
    with duckdb.connect(str(warehouse_env), read_only=True) as con:
        cofer = con.execute("select distinct dataflow from raw.imf_cofer").fetchall()
    assert cofer == [(imf.DBNOMICS_VINTAGE,)]  # the IMF never answered; its mirror did

    # Every series not loaded is named on the console, under its step, with why.
    out = io.StringIO()
    with Progress(instance, result.run_id, len(assets), tmp_path / "run.log", out):
        pass
    console = out.getvalue()
    for ref, problem in FAILED.items():
        assert any(
            line.strip().startswith(f"- {ref} failed: ") and problem in line for line in console.splitlines()
        )

    # Bounded: no request past its attempts or its seconds, nor the run past their sum.
    exchanges = [e for c in clients for e in c.exchanges]
    assert all(e.attempts <= ATTEMPTS and e.waited_s <= RETRY_BUDGET_S for e in exchanges)
    assert all(e.elapsed_s <= RETRY_BUDGET_S + 2 * TIMEOUT_S for e in exchanges)
    run_bound = len(exchanges) * REQUEST_BOUND_S
    assert CLOCK.now <= run_bound
    attempts = Counter()
    for c in clients:
        attempts.update(c.attempts_per_host)
    metadata = Counter()
    for event in result.get_asset_materialization_events():
        metadata.update(event.materialization.metadata["http_attempts"].value)
    assert metadata == attempts

    lines = [
        "",
        f"HTTP chaos, every source at once: {len(catalog) - len(failed)} of {len(catalog)} series loaded, "
        f"{len(failed)} failed; {len(exchanges)} requests; simulated time {CLOCK.now:.0f} s "
        f"(bound {run_bound:.0f} s = {len(exchanges)} requests x {REQUEST_BOUND_S:.0f} s), "
        f"of which {CLOCK.slept:.0f} s asleep (retry waits and pace); wall time {wall:.1f} s",
        f"  {'host':<28} {'requests':>8} {'attempts':>8} {'served':>7} {'waited s':>9} {'longest s':>9}",
    ]
    for host in sorted(attempts):
        mine = [e for e in exchanges if e.host == host]
        lines.append(
            f"  {host:<28} {len(mine):>8} {attempts[host]:>8} {mock.served[host]:>7} "
            f"{sum(e.waited_s for e in mine):>9.1f} {max(e.elapsed_s for e in mine):>9.1f}"
        )
    lines += [f"  failed: {ref}: {audit[ref][1].split(': ', 1)[1][:110]}" for ref in sorted(FAILED)]
    with capsys.disabled():
        print("\n".join(lines))
