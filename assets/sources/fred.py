"""FRED (St. Louis Fed): US dollar, market and macro series, one row per series and date.

Fetched one series per request: the keyless `fredgraph.csv` download, or the keyed JSON API when
FRED_API_KEY is set. Two CSV dialects are in the wild: `observation_date,<ID>` with empty missing
values (since late 2024) and `DATE,<ID>` with `.` for missing (before). The JSON API sends values
as strings with `.` for missing and unstable decimals ("5.45", "3.6300000000"), so values are
always parsed as numbers, never compared as text. Missing values are kept as NULL rows.

A CSV body must end with a line break (fredgraph always sends one), so a download cut off inside
the last number is refused rather than stored short. A JSON body must be in levels (`units` lin,
what the request asks) and complete (`count` no larger than the observations it holds).
"""

import datetime as dt

import pyarrow as pa

from assets.sources import synthetic
from assets.sources.base import (
    Body,
    Connector,
    HttpRequest,
    SourceError,
    Window,
    check_observations,
    not_data,
)
from config.catalog import Series

SOURCE = "fred"
CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
API_URL = "https://api.stlouisfed.org/fred/series/observations"

SCHEMA = pa.schema(
    [
        ("series_id", pa.string()),
        ("obs_date", pa.date32()),
        ("value", pa.float64()),
        ("realtime_start", pa.date32()),
    ]
)
_MISSING = {"", "."}


def request(series: Series, window: Window, api_key: str | None = None) -> HttpRequest:
    """Keyed JSON when a FRED API key is configured, the keyless CSV otherwise."""
    if api_key:
        return HttpRequest(
            url=API_URL,
            params={
                "series_id": series.id,
                "api_key": api_key,
                "file_type": "json",
                "observation_start": window.start.isoformat(),
                "observation_end": window.end.isoformat(),
            },
            ext="json",
            secret_params=frozenset({"api_key"}),
        )
    return HttpRequest(
        url=CSV_URL,
        params={"id": series.id, "cosd": window.start.isoformat(), "coed": window.end.isoformat()},
        ext="csv",
    )


def _value(text: str, series_id: str, where: str) -> float | None:
    text = text.strip()
    if text in _MISSING:
        return None
    try:
        return float(text)
    except ValueError:
        raise SourceError(SOURCE, series_id, f"non-numeric value {text[:40]!r}", where) from None


def _date(text: object, series_id: str, where: str) -> dt.date:
    # The JSON API's realtime_start arrives as it was sent: a number there is not a date either.
    try:
        return dt.date.fromisoformat(text.strip())  # type: ignore[union-attr]
    except (ValueError, AttributeError):
        raise SourceError(SOURCE, series_id, f"not an ISO date: {str(text)[:40]!r}", where) from None


def parse_csv(body: Body) -> pa.Table:
    """Parse a `fredgraph.csv` body (either header dialect) into raw rows."""
    series_id = body.key
    text = body.text()
    if not text.strip():
        raise SourceError(SOURCE, series_id, "empty body", "line 1")
    if problem := not_data(text, "csv"):
        raise SourceError(SOURCE, series_id, problem, "line 1")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # fredgraph ends every body with a line break: without one, the download was cut off, and the
    # last line may be a number cut short ("2026-05-15,120.4" of "120.4312") that still parses.
    if lines[-1]:
        raise SourceError(
            SOURCE,
            series_id,
            f"no line break at the end: the body was cut off mid-line ({lines[-1][:40]!r})",
            f"line {len(lines)}",
        )
    header = [h.strip() for h in lines[0].split(",")]
    if len(header) != 2 or header[1].upper() != series_id.upper():
        raise SourceError(
            SOURCE, series_id, f"expected header '<date>,{series_id}', got {lines[0][:80]!r}", "line 1"
        )
    rows: list[tuple[str, dt.date, float | None]] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f"line {number}"
        fields = line.split(",")
        if len(fields) != 2:
            raise SourceError(
                SOURCE, series_id, f"expected 2 fields, got {len(fields)}: {line[:80]!r}", where
            )
        rows.append((where, _date(fields[0], series_id, where), _value(fields[1], series_id, where)))
    return _table(body, rows, realtime=None, empty_at="line 2")


def parse_json(body: Body) -> pa.Table:
    """Parse a `fred/series/observations?file_type=json` body into raw rows."""
    series_id = body.key
    doc = body.json()
    if not isinstance(doc, dict):
        raise SourceError(SOURCE, series_id, f"expected a JSON object, got {type(doc).__name__}", "char 0")
    if "error_code" in doc or "error_message" in doc:
        raise SourceError(
            SOURCE,
            series_id,
            f"API error {doc.get('error_code')}: {str(doc.get('error_message'))[:160]}",
            "error_message",
        )
    observations = doc.get("observations")
    if not isinstance(observations, list):
        raise SourceError(
            SOURCE, series_id, f"no 'observations' list (keys: {sorted(doc)[:8]})", "observations"
        )
    # The request asks for levels (units=lin, the default); any other unit is another series.
    units = doc.get("units", "lin")
    if units != "lin":
        raise SourceError(
            SOURCE,
            series_id,
            f"units {str(units)[:20]!r}, not the levels ('lin') the request asks for",
            "units",
        )
    count, offset = doc.get("count"), doc.get("offset", 0)
    if isinstance(count, int) and isinstance(offset, int) and count > offset + len(observations):
        raise SourceError(
            SOURCE,
            series_id,
            f"a partial answer: {len(observations)} of {count} observations from offset {offset}; "
            "the rest would need further requests",
            "count",
        )
    rows: list[tuple[str, dt.date, float | None]] = []
    realtime: list[dt.date | None] = []
    for i, obs in enumerate(observations):
        where = f"observations[{i}]"
        if not isinstance(obs, dict) or "date" not in obs or "value" not in obs:
            raise SourceError(
                SOURCE, series_id, f"observation without 'date'/'value': {str(obs)[:80]}", where
            )
        rows.append(
            (where, _date(str(obs["date"]), series_id, where), _value(str(obs["value"]), series_id, where))
        )
        start = obs.get("realtime_start")
        realtime.append(_date(start, series_id, where) if start else None)
    return _table(body, rows, realtime=realtime, empty_at="observations")


def _table(
    body: Body, rows: list[tuple[str, dt.date, float | None]], realtime: list | None, empty_at: str
) -> pa.Table:
    if not rows:
        raise SourceError(SOURCE, body.key, "no observations in the body (header only)", empty_at)
    from config.catalog import load_catalog

    try:
        positive = load_catalog().get(SOURCE, body.key).positive
    except KeyError:
        positive = True
    check_observations(
        SOURCE,
        body.key,
        rows,
        positive=positive,
        latest_allowed=body.fetched_at.date() + dt.timedelta(days=1),
    )
    return pa.table(
        {
            "series_id": [body.key] * len(rows),
            "obs_date": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "realtime_start": realtime if realtime is not None else [None] * len(rows),
        },
        schema=SCHEMA,
    )


def parse(body: Body) -> pa.Table:
    """The body's extension picks the dialect: `.csv` from fredgraph, `.json` from the API."""
    return parse_json(body) if body.ext == "json" else parse_csv(body)


def demo(series: Series, window: Window) -> bytes:
    """A `fredgraph.csv` body (current dialect) of the series' synthetic path over the window."""
    decimals = int(series.demo.get("decimals", 2))
    lines = [f"observation_date,{series.id}"]
    for day, value in synthetic.observations(series, window.end):
        if day >= window.start:
            lines.append(f"{day.isoformat()},{'' if value is None else f'{value:.{decimals}f}'}")
    return ("\n".join(lines) + "\n").encode()


CONNECTOR = Connector(
    source=SOURCE,
    description=__doc__,
    request=request,
    parse=parse,
    demo=demo,
    demo_ext="csv",
    table="fred_observations",
    schema=SCHEMA,
    key=("series_id", "obs_date"),
    series_column="series_id",
    date_column="obs_date",
    revision_columns=("value",),
    checked_value="value",
)
