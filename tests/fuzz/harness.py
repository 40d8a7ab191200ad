"""The fuzzing harness: the body strategy of a format, the property each body is held to, and the
record of distinct failures (each kept as its smallest body, to become a regression fixture).

The property: a parser either returns a table the raw layer loads (`assets.ingest.conform`: the
raw schema, one row or more, every row of the body's series, no key twice), or raises a
SourceError naming the source, the series and the place. Any other exception is a failure; two
failures are the same when they are of one type raised at one line of the project's code.
"""

import csv
import dataclasses
import datetime as dt
import io
import json
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from assets.ingest import conform
from assets.sources.base import Body, SourceError
from tests.conftest import NOW, PROJECT_ROOT
from tests.fuzz import mutations as m
from tests.fuzz.seeds import Format, drawn_span

# The fetch time every fuzzed body carries: after every real payload, so a valid one is not
# refused for holding future dates.
FETCHED_AT: dt.datetime = NOW


def body(fmt: Format, key: str, content: bytes, name: str = "fuzz") -> Body:
    return Body(
        fmt.connector.source, key, fmt.ext, content, "replay", FETCHED_AT, f"fuzz://{fmt.slug}/{name}"
    )


def whole(fmt: Format, value) -> bytes:
    """A trimmed seed written as its source writes it (JSON compact, CSV with LF line ends)."""
    if fmt.ext == "json":
        return json.dumps(value, separators=(",", ":")).encode()
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(value)
    return out.getvalue().encode()


@st.composite
def bodies(draw, fmt: Format) -> Body:
    """A trimmed real payload, with up to four structural and two byte mutations."""
    seed = draw(st.sampled_from(fmt.seeds()))
    value = fmt.trim(drawn_span(draw), seed.value)
    if fmt.ext == "json":
        value = m.decode(m.dump(value))  # fresh objects, in the form mutations edit
        mutations, write = m.JSON_MUTATIONS, m.write_json
    else:
        mutations, write = m.CSV_MUTATIONS, m.write_csv
    for _ in range(draw(st.integers(0, 4))):
        value = draw(st.sampled_from(mutations))(draw, value)
    content = write(draw, value).encode("utf-8", errors="surrogatepass")
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        content = draw(st.sampled_from(m.BYTE_MUTATIONS))(draw, content)
    return body(fmt, seed.key, content, seed.name)


def signature(exc: BaseException) -> str:
    """`Type at file:line`, the line being the deepest frame in the project's own code (a failure
    inside a library is located where our code called it)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(PROJECT_ROOT)) and "/.venv/" not in f.filename]
    frame = (ours or frames)[-1]
    where = f"{Path(frame.filename).relative_to(PROJECT_ROOT)}:{frame.lineno}" if ours else frame.filename
    # A broken contract is told apart by what was broken, not where the check sits.
    detail = f" ({str(exc)[:48]})" if type(exc).__name__ in ("ParserContractError", "AssertionError") else ""
    return f"{type(exc).__name__}{detail} at {where}"


def judge(fmt: Format, fuzzed: Body) -> tuple[str, BaseException | None]:
    """`parsed`, `refused` (a SourceError as it should be) or `broken`, with the exception."""
    try:
        conform(fmt.connector, fuzzed, fmt.connector.parse(fuzzed))
    except SourceError as exc:
        named = exc.source == fmt.connector.source and exc.series == fuzzed.key and bool(exc.where)
        if named and str(exc).startswith(f"{exc.source}/{exc.series} at {exc.where}: "):
            return "refused", exc
        return "broken", AssertionError(f"a SourceError without source, series and place: {exc!r}")
    except Exception as exc:
        return "broken", exc
    return "parsed", None


def minimize(fmt: Format, fuzzed: Body, failure: str, budget: int = 20_000) -> Body:
    """The body with as many byte spans cut out as still raise the same failure (halving the span
    length down to one byte, within `budget` parses): a readable regression fixture."""
    content = fuzzed.content

    def fails(candidate: bytes) -> bool:
        outcome, exc = judge(fmt, dataclasses.replace(fuzzed, content=candidate))
        return outcome == "broken" and signature(exc) == failure

    size = max(1, len(content) // 2)
    while size >= 1 and budget > 0:
        start = 0
        while start < len(content) and budget > 0:
            candidate = content[:start] + content[start + size :]
            budget -= 1
            if fails(candidate):
                content = candidate
            else:
                start += size
        size //= 2
    return dataclasses.replace(fuzzed, content=content)


@dataclass
class Failure:
    signature: str
    message: str
    smallest: Body
    count: int = 0


@dataclass
class Campaign:
    """What one format's bodies came to: outcomes counted, failures kept by signature."""

    fmt: Format
    outcomes: Counter = field(default_factory=Counter)
    failures: dict[str, Failure] = field(default_factory=dict)

    def run(self, fuzzed: Body) -> None:
        outcome, exc = self.judge(fuzzed)
        self.outcomes[outcome] += 1
        if outcome != "broken":
            return
        key = signature(exc)
        found = self.failures.setdefault(key, Failure(key, f"{type(exc).__name__}: {exc}"[:300], fuzzed))
        found.count += 1
        if len(fuzzed.content) < len(found.smallest.content):
            found.smallest, found.message = fuzzed, f"{type(exc).__name__}: {exc}"[:300]

    def judge(self, fuzzed: Body) -> tuple[str, BaseException | None]:
        return judge(self.fmt, fuzzed)

    @property
    def bodies(self) -> int:
        return sum(self.outcomes.values())

    def save(self, folder: Path) -> list[Path]:
        """Each failure's smallest body, named `<n>-<Type>.<ext>`, with what it raised beside it."""
        saved = []
        for n, failure in enumerate(self.failures.values(), start=1):
            kind = failure.signature.split(" ")[0]
            path = folder / self.fmt.slug / f"{n:02d}-{kind}.{self.fmt.ext}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(minimize(self.fmt, failure.smallest, failure.signature).content)
            path.with_suffix(f".unminimized.{self.fmt.ext}").write_bytes(failure.smallest.content)
            path.with_suffix(".txt").write_text(
                f"key: {failure.smallest.key}\nseed: {failure.smallest.url}\nfailure: {failure.signature}\n"
                f"raised: {failure.message}\nbodies: {failure.count}\n"
            )
            saved.append(path)
        return saved

    def report(self) -> str:
        line = (
            f"{self.fmt.name:<17} {self.bodies:>6} bodies: {self.outcomes['parsed']:>5} parsed, "
            f"{self.outcomes['refused']:>5} refused (SourceError), {len(self.failures)} distinct failures"
        )
        return "\n".join(
            [line, *(f"    {f.signature} x{f.count}: {f.message[:120]}" for f in self.failures.values())]
        )
