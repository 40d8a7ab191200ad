"""HTTP faults for the tests, served by `httpx.MockTransport` (no socket), on simulated time.

`SimulatedClock` is the HttpClient's clock and sleep at once: sleeping moves it forward at once,
so retry waits, the polite pace and a slow host's trickle cost no real time, and a test can
assert how long a run *would* have taken. The answers below fail the way real hosts do; where
httpx would raise on a real socket (a reset, a timeout mid-body), the body stream raises the
same httpx exception after the bytes that did arrive.
"""

import gzip
from collections.abc import Iterator

import httpx

RESET = "[Errno 104] Connection reset by peer"


class SimulatedClock:
    """A monotonic clock that only sleeping (or a trickling body) moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Trickle(httpx.SyncByteStream):
    """A body sent in `parts`, each `every` simulated seconds after the last; then, if `error` is
    given, the connection fails with it (the body was cut mid-stream)."""

    def __init__(
        self,
        parts: list[bytes],
        clock: SimulatedClock | None = None,
        every: float = 0.0,
        error: Exception | None = None,
    ):
        self.parts, self.clock, self.every, self.error = parts, clock, every, error

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            if self.clock is not None:
                self.clock.advance(self.every)
            yield part
        if self.error is not None:
            raise self.error


def halves(body: bytes) -> list[bytes]:
    middle = max(1, len(body) // 2)
    return [body[:middle], body[middle:]]


def ok(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body)


def status(code: int, retry_after: str | None = None, text: str = "") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(code, headers=headers, text=text or f"HTTP {code}")


def reset_mid_body(body: bytes) -> httpx.Response:
    """Half the body, then the peer resets the connection."""
    return httpx.Response(200, stream=Trickle(halves(body)[:1], error=httpx.ReadError(RESET)))


def timeout_mid_body(body: bytes) -> httpx.Response:
    """Half the body, then nothing until the read timeout."""
    error = httpx.ReadTimeout("The read operation timed out")
    return httpx.Response(200, stream=Trickle(halves(body)[:1], error=error))


def cut_mid_body(body: bytes) -> httpx.Response:
    """Half the body, then the server closes without sending the rest (h11's message)."""
    error = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    return httpx.Response(200, stream=Trickle(halves(body)[:1], error=error))


def not_gzip(body: bytes) -> httpx.Response:
    """Announced as gzip, sent plain: httpx's decoder fails on the first chunk."""
    return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=Trickle([body]))


def gzipped(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=Trickle([gzip.compress(body)]))


def redirect_to_itself(request: httpx.Request) -> httpx.Response:
    """A redirect loop: every answer sends the client back to the same URL."""
    return httpx.Response(302, headers={"Location": str(request.url)})


def slow(body: bytes, clock: SimulatedClock, seconds: float, parts: int = 10) -> httpx.Response:
    """The body trickled over `seconds` simulated seconds, in `parts` pieces."""
    size = max(1, -(-len(body) // parts))
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return httpx.Response(200, stream=Trickle(pieces, clock, seconds / len(pieces)))
