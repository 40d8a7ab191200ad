"""HTTP for live mode: timeouts, retries with backoff and jitter, Retry-After, and a polite pace per host.

Retries cover what a later attempt can fix (429, 5xx, timeouts, dropped connections); any other
4xx is final and becomes a SourceError naming the source and series. An API key never reaches a
log, an error, a snapshot or the warehouse: URLs are shown with secret query parameters redacted,
a key the server echoes back is scrubbed out of the body (error or not) before anyone reads it,
and httpx's own request log lines, which carry the full URL, are scrubbed too.
"""

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Iterable
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
MAX_RETRY_AFTER = 120.0


class RetryableResponse(Exception):
    def __init__(self, response: httpx.Response):
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


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


def _retry_after(state: tenacity.RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    if not isinstance(exc, RetryableResponse):
        return None
    value = exc.response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return min(MAX_RETRY_AFTER, max(0.0, parsed.timestamp() - time.time())) if parsed else None


class _WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """Honour the server's Retry-After when it sends one; otherwise exponential backoff with jitter."""

    def __init__(self, initial: float, maximum: float):
        self.backoff = tenacity.wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        server = _retry_after(retry_state)
        return server if server is not None else self.backoff(retry_state)


class HttpClient:
    """One httpx client for a run, with per-host pacing and tenacity retries."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        attempts: int = 5,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        min_interval: dict[str, float] | None = None,
    ):
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=True
        )
        self._sleep = sleep
        self._attempts = attempts
        self._wait = _WaitRetryAfterOrBackoff(backoff_initial, backoff_max)
        self._min_interval = {**MIN_INTERVAL, **(min_interval or {})}
        self._last_call: dict[str, float] = {}
        self._lock = threading.Lock()
        self._log_filter = _ScrubSecrets()
        logging.getLogger("httpx").addFilter(self._log_filter)

    def close(self) -> None:
        self._client.close()
        logging.getLogger("httpx").removeFilter(self._log_filter)

    def _pace(self, host: str) -> None:
        with self._lock:
            gap = self._min_interval.get(host, DEFAULT_MIN_INTERVAL)
            wait = self._last_call.get(host, -1e9) + gap - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            self._last_call[host] = time.monotonic()

    def _once(self, request: HttpRequest) -> httpx.Response:
        headers = {"User-Agent": DEFAULT_USER_AGENT, **request.headers}
        self._pace(httpx.URL(request.url).host)
        response = self._client.get(request.url, params=dict(request.params), headers=headers)
        if response.status_code in RETRY_STATUSES:
            raise RetryableResponse(response)
        return response

    def get(self, request: HttpRequest, source: str, series: str) -> bytes:
        """The body of a 2xx answer; SourceError for anything else once retries are spent."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(
                (RetryableResponse, httpx.TimeoutException, httpx.TransportError)
            ),
            sleep=self._sleep,
            reraise=True,
        )
        url = redact(request)
        secrets = [v for k, v in request.params.items() if k in request.secret_params and v]
        self._log_filter.secrets.update(secrets)
        try:
            response = retrying(self._once, request)
        except RetryableResponse as exc:
            raise SourceError(
                source,
                series,
                f"HTTP {exc.response.status_code} after {self._attempts} attempts: "
                f"{_snippet(exc.response, secrets)}",
                url,
            ) from None
        except httpx.TimeoutException:
            raise SourceError(source, series, f"timed out after {self._attempts} attempts", url) from None
        except httpx.TransportError as exc:
            raise SourceError(
                source,
                series,
                f"connection failed after {self._attempts} attempts: {type(exc).__name__}",
                url,
            ) from None
        if response.status_code >= 400:
            raise SourceError(
                source, series, f"HTTP {response.status_code}: {_snippet(response, secrets)}", url
            )
        # A 200 can quote the key too (an error object): the parser, its error message and the
        # recorded snapshot all see the scrubbed body. Data bodies never contain it, so they are exact.
        return scrub(response.content, secrets)


def _snippet(response: httpx.Response, secrets: list[str]) -> str:
    """The start of an error body, with any secret a server might echo back scrubbed out."""
    return repr(scrub(response.text, secrets).strip()[:160])
