"""The HTTP client's bounds and failures, on simulated time: retries capped in attempts and in
seconds, a Retry-After that is malformed or absurd neither crashes nor stalls a run, a host that
trickles its body is cut off, and every way a request can fail ends as a SourceError that names
what happened (the exception's type included), retried only where a retry can help."""

import email.utils

import httpx
import pytest

from assets.sources.base import HttpRequest, SourceError
from assets.sources.http import ATTEMPTS, RETRY_BUDGET_S, TIMEOUT_S, HttpClient, retry_after
from tests import http_faults as f

URL = "https://data.example.org/series.csv"
BODY = b"observation_date,X\n2026-01-02,1.5\n" * 20
NOW = 1_800_000_000.0  # a wall-clock time for HTTP dates


def client(answers, clock: f.SimulatedClock, **options) -> HttpClient:
    """A client whose transport serves `answers` in turn (each a Response or a handler of the
    request), the last one for ever after."""
    served: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        served.append(request)
        answer = answers[min(len(served), len(answers)) - 1]
        return answer(request) if callable(answer) else answer

    made = HttpClient(sleep=clock.sleep, clock=clock, transport=httpx.MockTransport(handle), **options)
    made.served = served
    return made


def get(answers, clock: f.SimulatedClock | None = None, **options) -> tuple[bytes | SourceError, HttpClient]:
    clock = clock or f.SimulatedClock()
    http = client(answers, clock, **options)
    try:
        return http.get(HttpRequest(URL), "src", "SERIES"), http
    except SourceError as exc:
        return exc, http
    finally:
        http.close()


@pytest.mark.parametrize(
    "header",
    [
        "soon",
        "Wed, 99 Foo 2026 25:61:61 GMT",
        "Wed, 21 Oct",
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "nan",
        "inf",
        "-inf",
        "1e400",
        "0x10",
        "\x00",
        "  ",
        "5; max=10",
        "١٢",  # Arabic-Indic digits: float() reads them; still only a number of seconds
    ],
)
def test_a_malformed_retry_after_is_read_as_nothing_or_a_finite_wait_never_raises(header):
    got = retry_after(header, NOW)
    assert got is None or (0 <= got < float("inf"))


def test_retry_after_reads_seconds_and_http_dates_relative_to_now():
    assert retry_after("7", NOW) == 7.0
    assert retry_after("-3", NOW) == 0.0
    assert retry_after(email.utils.formatdate(NOW + 30, usegmt=True), NOW) == pytest.approx(30)
    assert retry_after(email.utils.formatdate(NOW - 30, usegmt=True), NOW) == 0.0
    assert retry_after(None, NOW) is None


def test_a_malformed_retry_after_falls_back_to_the_backoff_and_the_series_loads():
    clock = f.SimulatedClock()
    got, http = get([f.status(429, "Wed, 99 Foo"), f.status(503, "soon"), f.ok(BODY)], clock)
    assert got == BODY and http.attempts_per_host["data.example.org"] == 3
    assert 0 < clock.slept < RETRY_BUDGET_S


def test_retry_after_is_honoured_when_it_fits_the_budget():
    clock = f.SimulatedClock()
    got, http = get([f.status(429, "20"), f.ok(BODY)], clock)
    assert got == BODY and http.exchanges[0].waited_s == 20


def test_a_retry_after_beyond_the_budget_ends_the_retries_at_once_without_waiting():
    clock = f.SimulatedClock()
    got, http = get([f.status(429, "86400", "Too Many Requests")], clock)
    assert isinstance(got, SourceError) and len(http.served) == 1 and clock.slept < 1
    assert got.problem.startswith("HTTP 429 after 1 attempt in 0 s; the server asked to wait 86400 s more")
    assert "'Too Many Requests'" in got.problem


@pytest.mark.parametrize("answer", [f.status(503), f.status(429)], ids=["5xx", "429 without Retry-After"])
def test_retries_stop_at_the_attempt_cap(answer):
    got, http = get([answer])
    assert isinstance(got, SourceError) and len(http.served) == ATTEMPTS
    assert f"after {ATTEMPTS} attempts" in got.problem


def test_retries_stop_when_the_seconds_budget_is_spent_whatever_the_attempt_cap():
    clock = f.SimulatedClock()
    got, http = get([f.status(503)], clock, attempts=100, backoff_initial=8.0)
    exchange = http.exchanges[0]
    assert isinstance(got, SourceError) and "the 60 s retry budget is spent" in got.problem
    assert exchange.attempts < 100 and exchange.waited_s <= RETRY_BUDGET_S
    assert clock.now <= RETRY_BUDGET_S + exchange.attempts * 0.5  # waits + the pace between attempts


def test_a_host_trickling_its_body_is_cut_off_at_the_deadline_and_retried_within_the_budget():
    clock = f.SimulatedClock()
    # 10 s a chunk: the deadline passes with the 4th chunk, 40 s after the request went out.
    got, http = get([lambda _: f.slow(BODY, clock, seconds=100)], clock)
    exchange = http.exchanges[0]
    assert isinstance(got, SourceError) and got.problem.startswith("timed out after 2 attempts")
    assert "ReadTimeout: the body was still arriving 30 s after the request" in got.problem
    # The budget admits no third attempt once two have taken 40 s each.
    assert exchange.elapsed_s <= RETRY_BUDGET_S + 2 * TIMEOUT_S
    slow_but_in_time, _ = get([lambda _: f.slow(BODY, clock, seconds=TIMEOUT_S / 2)], clock)
    assert slow_but_in_time == BODY


@pytest.mark.parametrize(
    ("first", "kind"),
    [
        (f.reset_mid_body(BODY), "ReadError"),
        (f.timeout_mid_body(BODY), "ReadTimeout"),
        (f.cut_mid_body(BODY), "RemoteProtocolError"),
    ],
    ids=["connection reset mid-body", "read timeout after partial bytes", "body cut mid-stream"],
)
def test_a_body_broken_mid_stream_is_retried_and_the_second_answer_is_used(first, kind):
    got, http = get([first, f.ok(BODY)])
    assert got == BODY and http.exchanges[0].attempts == 2


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            lambda _: f.reset_mid_body(BODY),
            f"connection failed after 5 attempts in 2 s: ReadError: {f.RESET}",
        ),
        (lambda _: f.timeout_mid_body(BODY), "timed out after 5 attempts in 2 s (ReadTimeout: The read"),
    ],
    ids=["connection reset", "read timeout"],
)
def test_a_fault_that_lasts_fails_the_series_naming_the_exception_type(answer, problem):
    got, _ = get([answer], backoff_initial=0.5, backoff_max=0.5)
    assert isinstance(got, SourceError) and got.problem.startswith(problem), got.problem


@pytest.mark.parametrize(
    ("answer", "problem", "requests"),
    [
        (f.redirect_to_itself, "TooManyRedirects: Exceeded maximum allowed redirects.", 21),
        (lambda _: f.not_gzip(BODY), "DecodingError: ", 1),
        (lambda _: httpx.Response(302, text="moved"), "HTTP 302: 'moved'", 1),
        (lambda _: httpx.Response(404, text="no such series"), "HTTP 404: 'no such series'", 1),
    ],
    ids=["redirect loop", "undecodable body", "3xx without Location", "404"],
)
def test_a_failure_no_retry_can_fix_fails_at_once_naming_what_it_was(answer, problem, requests):
    got, http = get([answer])
    assert isinstance(got, SourceError) and got.problem.startswith(problem), got.problem
    assert (got.source, got.series, got.where) == ("src", "SERIES", URL)
    assert len(http.served) == requests and http.exchanges[0].attempts == 1


def test_a_gzipped_body_and_a_redirect_are_followed_to_the_data():
    moved = httpx.Response(301, headers={"Location": URL + "?v=2"})
    got, http = get([moved, lambda _: f.gzipped(BODY)])
    assert got == BODY and [str(r.url) for r in http.served] == [URL, URL + "?v=2"]


def test_an_error_page_in_an_unknown_charset_still_makes_a_message():
    page = httpx.Response(404, headers={"Content-Type": "text/plain; charset=x-no-such"}, content=b"gone")
    got, _ = get([page])
    assert isinstance(got, SourceError) and got.problem == "HTTP 404: 'gone'"
