"""HTTP for live mode: timeouts, bounded retries with backoff and jitter, Retry-After, and a polite
pace per host.

Retries cover what a later attempt can fix (429, 5xx, timeouts, dropped or reset connections, a
body cut off mid-stream); any other answer is final. Whatever goes wrong becomes a SourceError
naming the source, the series, the URL and, where an exception said it, its type (`ReadTimeout`,
`TooManyRedirects`, `DecodingError`), so a failed request fails its series and nothing else.

Every request is bounded, in attempts and in seconds (the README's Reliability gives the figures):
  * at most `attempts` attempts (5);
  * a retry starts only while the time spent on the request, its attempts and its waits, stays
    within `retry_budget` seconds (60); a server asking (Retry-After) for a longer wait than the
    budget has left ends the retries at once, and a Retry-After that is malformed is ignored (the
    backoff applies);
  * one attempt: httpx's `timeout` (30 s) bounds the connection and each read, and the whole body
    must have arrived `timeout` seconds after the request went out (checked as each chunk arrives),
    so a host that trickles bytes is cut off like one that is silent: an attempt lasts under
    twice `timeout`.
So a request ends within `retry_budget + 2 x timeout` seconds plus its pauses for the pace (about
two minutes with the defaults). Time is read from an injectable clock and waits go through an
injectable sleep, so tests run the retry policy on simulated time.

An API key never reaches a log, an error, a snapshot or the warehouse: URLs are shown with secret
query parameters redacted, a key the server echoes back is scrubbed out of the body (error or
not) before anyone reads it, and httpx's own request log lines, which carry the full URL, are
scrubbed too.
"""

import datetime as dt
import email.utils
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, urlencode

import httpx
import tenacity

from assets.sources.base import HttpRequest, SourceError

# A desktop browser User-Agent: Yahoo answers non-browser agents with plain-text 429s.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36"
)
DEFAULT_USER_AGENT = "thesis-warehouse/0.1 (+https://github.com/thesis-warehouse)"
# Seconds between two requests to one host: FRED asks for <= 2 req/s, Yahoo has no published limit.
MIN_INTERVAL = {"query1.finance.yahoo.com": 1.0, "query2.finance.yahoo.com": 1.0}
DEFAULT_MIN_INTERVAL = 0.5
RETRY_STATUSES = {429, 500, 502, 503, 504}
# Defaults of the bounds in the module docstring (the README states them too).
ATTEMPTS = 5
RETRY_BUDGET_S = 60.0
TIMEOUT_S = 30.0


class RetryableResponse(Exception):
    """A 429 or 5xx answer, read whole: a later attempt may get the data."""

    def __init__(self, status: int, headers: httpx.Headers, content: bytes, charset: str | None):
        self.status, self.headers, self.content, self.charset = status, headers, content, charset
        super().__init__(f"HTTP {status}")


class _FinalStatus(Exception):
    """An answer no retry will change (a 4xx other than 429, a 3xx that could not be followed)."""

    def __init__(self, status: int, content: bytes, charset: str | None):
        self.status, self.content, self.charset = status, content, charset
        super().__init__(f"HTTP {status}")


def _transient(exc: BaseException) -> bool:
    """What a later attempt can fix. A redirect loop, an undecodable body or an unsupported URL
    would fail the same way again: they fail the series at once."""
    return isinstance(
        exc,
        RetryableResponse
        | httpx.TimeoutException
        | httpx.NetworkError
        | httpx.RemoteProtocolError
        | httpx.ProxyError,
    )


def redact(request: HttpRequest) -> str:
    """The full URL with secret parameter values replaced by `***`."""
    params = {k: ("***" if k in request.secret_params else v) for k, v in request.params.items()}
    return f"{request.url}?{urlencode(params)}" if params else request.url


Text = TypeVar("Text", str, bytes)


def scrub(data: Text, secrets: Iterable[str]) -> Text:
    """`data` with every secret, as written and URL-encoded, replaced by `***`."""
    for secret in secrets:
        for form in {secret, quote(secret, safe="")}:
            if isinstance(data, bytes):
                data = data.replace(form.encode(), b"***")
            else:
                data = data.replace(form, "***")
    return data


class _ScrubSecrets(logging.Filter):
    """httpx logs every request at INFO with its full URL, query string and key included: a Dagster
    instance that manages the `httpx` logger (or any INFO logging setup) would store it."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = scrub(message, self.secrets)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def retry_after(value: str | None, now: float) -> float | None:
    """The seconds a `Retry-After` header asks for (delay-seconds or an HTTP date, relative to the
    wall-clock time `now`), never negative; None when absent or unreadable, and then the backoff
    applies. A header is the server's text, not ours: nothing in it may raise."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            # A date without a zone ("-0000") is UTC in HTTP, not this machine's local time.
            seconds = when.replace(tzinfo=when.tzinfo or dt.UTC).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass
class Exchange:
    """One request as it went, on the client's clock: its host, its attempts, the seconds spent in
    them and waiting between them, and how it ended (`ok`, or the error's text)."""

    host: str
    url: str
    attempts: int = 0
    in_attempts_s: float = 0.0
    waited_s: float = 0.0
    outcome: str = "ok"
    # Why the retries ended before the last attempt ("": they did not): the budget, or a
    # Retry-After beyond what the budget had left.
    stopped: str = ""

    @property
    def elapsed_s(self) -> float:
        return self.in_attempts_s + self.waited_s

    def tries(self) -> str:
        return f"after {self.attempts} attempt{'s' * (self.attempts != 1)} in {self.elapsed_s:.0f} s"


class HttpClient:
    """One httpx client for a run, with per-host pacing and bounded tenacity retries.

    It counts the attempts made to each host (`attempts_per_host`) and keeps every request's
    `Exchange` (`exchanges`): the ingest asset reports them, and the chaos test checks them.
    """

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_S,
        attempts: int = ATTEMPTS,
        retry_budget: float = RETRY_BUDGET_S,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        min_interval: dict[str, float] | None = None,
    ):
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=True
        )
        self._timeout = timeout
        self._sleep, self._clock = sleep, clock
        self._attempts, self._budget = attempts, retry_budget
        self._backoff = tenacity.wait_exponential_jitter(
            multiplier=backoff_initial, max=backoff_max, jitter=backoff_initial
        )
        self._min_interval = {**MIN_INTERVAL, **(min_interval or {})}
        self._last_call: dict[str, float] = {}
        self._lock = threading.Lock()
        self._log_filter = _ScrubSecrets()
        logging.getLogger("httpx").addFilter(self._log_filter)
        self.attempts_per_host: Counter[str] = Counter()
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        self._client.close()
        logging.getLogger("httpx").removeFilter(self._log_filter)

    def _pace(self, host: str) -> None:
        with self._lock:
            gap = self._min_interval.get(host, DEFAULT_MIN_INTERVAL)
            wait = self._last_call.get(host, -1e9) + gap - self._clock()
            if wait > 0:
                self._sleep(wait)
            self._last_call[host] = self._clock()
            self.attempts_per_host[host] += 1

    def _once(self, request: HttpRequest, exchange: Exchange) -> bytes:
        """One attempt: the whole body of a final answer, or an exception (retried or not)."""
        headers = {"User-Agent": DEFAULT_USER_AGENT, **request.headers}
        self._pace(exchange.host)
        exchange.attempts += 1
        started = self._clock()
        deadline = started + self._timeout
        try:
            with self._client.stream(
                "GET", request.url, params=dict(request.params), headers=headers
            ) as response:
                chunks = []
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    # httpx times each read, not the whole body: a host sending a byte every few
                    # seconds would never time out without this.
                    if self._clock() > deadline:
                        raise httpx.ReadTimeout(
                            f"the body was still arriving {self._timeout:g} s after the request "
                            f"({sum(map(len, chunks))} bytes by then)",
                            request=response.request,
                        )
                content = b"".join(chunks)
        finally:
            exchange.in_attempts_s += self._clock() - started
        if response.status_code in RETRY_STATUSES:
            raise RetryableResponse(
                response.status_code, response.headers, content, response.charset_encoding
            )
        if not 200 <= response.status_code < 300:
            # Final: no retry helps a 404, and a 3xx here had no Location to follow.
            raise _FinalStatus(response.status_code, content, response.charset_encoding)
        return content

    def _retrying(self, exchange: Exchange) -> tenacity.Retrying:
        """Retries of one request: transient failures only, within the attempts and the budget."""
        asked: float | None = None  # the last Retry-After the server sent, if readable

        def wait(state: tenacity.RetryCallState) -> float:
            """The server's Retry-After when it sends a readable one; else backoff with jitter."""
            nonlocal asked
            exc = state.outcome.exception() if state.outcome else None
            header = exc.headers.get("Retry-After") if isinstance(exc, RetryableResponse) else None
            asked = retry_after(header, time.time())
            return asked if asked is not None else self._backoff(state)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= self._attempts:
                return True
            if exchange.elapsed_s + state.upcoming_sleep > self._budget:
                # Retrying before the server's Retry-After would only earn another 429.
                exchange.stopped = (
                    f"the server asked to wait {asked:.0f} s more (Retry-After), "
                    f"beyond what is left of the {self._budget:g} s retry budget"
                    if asked is not None
                    else f"the {self._budget:g} s retry budget is spent"
                )
                return True
            exchange.waited_s += state.upcoming_sleep
            return False

        return tenacity.Retrying(
            stop=stop,
            wait=wait,
            retry=tenacity.retry_if_exception(_transient),
            sleep=self._sleep,
            reraise=True,
        )

    def get(self, request: HttpRequest, source: str, series: str) -> bytes:
        """The body of a 2xx answer; SourceError for anything else once retries are spent."""
        url = redact(request)
        secrets = [v for k, v in request.params.items() if k in request.secret_params and v]
        self._log_filter.secrets.update(secrets)
        exchange = Exchange(httpx.URL(request.url).host, url)
        self.exchanges.append(exchange)
        try:
            content = self._retrying(exchange)(self._once, request, exchange)
        except (RetryableResponse, _FinalStatus, httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            exchange.outcome = _problem(exc, exchange, secrets)
            raise SourceError(source, series, exchange.outcome, url) from None
        # A 200 can quote the key too (an error object): the parser, its error message and the
        # recorded snapshot all see the scrubbed body. Data bodies never contain it, so they are exact.
        return scrub(content, secrets)


def _problem(exc: Exception, exchange: Exchange, secrets: list[str]) -> str:
    """What went wrong, for the SourceError: the status or the exception's type and message, the
    attempts and seconds it took when it was retried, and why the retries ended early."""
    why = f"; {exchange.stopped}" if exchange.stopped else ""
    if isinstance(exc, RetryableResponse | _FinalStatus):
        text = _snippet(exc.content, exc.charset, secrets)
        if isinstance(exc, _FinalStatus):
            return f"HTTP {exc.status}: {text}"
        return f"HTTP {exc.status} {exchange.tries()}{why}: {text}"
    named = scrub(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out {exchange.tries()}{why} ({named})"
    if _transient(exc):
        return f"connection failed {exchange.tries()}{why}: {named}"
    return named


def _snippet(content: bytes, charset: str | None, secrets: list[str]) -> str:
    """The start of an error body, with any secret a server might echo back scrubbed out."""
    try:
        text = content.decode(charset or "utf-8", "replace")
    except LookupError:  # a charset no codec knows: the header is the server's text, not ours
        text = content.decode("utf-8", "replace")
    return repr(scrub(text, secrets).strip()[:160])
