"""IMF COFER: the US dollar's share of the world's allocated foreign-exchange reserves, quarterly.

Fetched from the IMF's SDMX 2.1 API (keyless) as SDMX-CSV, one observation per line, columns found
by name (`DATAFLOW,COUNTRY,INDICATOR,FXR_CURRENCY,TYPE_OF_TRANSFORMATION,FREQUENCY,TIME_PERIOD,
OBS_VALUE` and attribute columns after them). When the IMF does not answer, the DBnomics mirror
(JSON) is asked instead. Every row carries its vintage in `dataflow`: the IMF's dataflow stamp
(`IMF.STA:COFER(7.0.1)`) or `DBnomics IMF/COFER`.

Vintages are never mixed. In 2025 the IMF revised the whole history back to 2000 (the
"unallocated" reserves are now imputed), and DBnomics still serves the old method. So every
request asks for the whole history, `dataflow` counts as a revised value (a body from another
vintage restamps every row it carries, and the previous version goes to `raw.imf_cofer_history`),
and the staging view keeps only the rows of the newest vintage.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pyarrow as pa

from assets.sources import synthetic
from assets.sources.base import (
    Body,
    Connector,
    CorruptData,
    HttpRequest,
    SourceError,
    Window,
    check_observations,
    not_data,
)
from config.catalog import Series

SOURCE = "imf"
SDMX_URL = "https://api.imf.org/external/sdmx/2.1/data/IMF.STA,COFER/G001.AFXRA.CI_USD.SHRO_PT.Q"
# The SDMX 2.1 REST media type of SDMX-CSV 1.0, whose first column is `DATAFLOW` holding
# `AGENCY:ID(VERSION)`: the layout documented for COFER. Without it the API answers SDMX-ML.
SDMX_CSV = "application/vnd.sdmx.data+csv;version=1.0.0"
DBNOMICS_URL = "https://api.db.nomics.world/v22/series/IMF/COFER/Q.W00.RAXGFXARUSDRT_PT"
DBNOMICS_CODES = ("IMF", "COFER", "Q.W00.RAXGFXARUSDRT_PT")
DBNOMICS_VINTAGE = "DBnomics IMF/COFER"
# The demo stamps its rows with the IMF's current dataflow, as a live answer would.
DEMO_DATAFLOW = "IMF.STA:COFER(7.0.1)"

# The series key, dimension by dimension: world, allocated FX reserves, US dollar, share in %, quarterly.
KEY = {
    "COUNTRY": "G001",
    "INDICATOR": "AFXRA",
    "FXR_CURRENCY": "CI_USD",
    "TYPE_OF_TRANSFORMATION": "SHRO_PT",
    "FREQUENCY": "Q",
}
SERIES_KEY = ".".join(KEY.values())
_DATAFLOW = re.compile(r"^IMF\.STA:COFER\(\d+(\.\d+)*\)$")
# ASCII digits, and no year 0000: the calendar (and Python's dates) start at year 1.
_QUARTER = re.compile(r"(?!0000)([0-9]{4})-Q([1-4])")

SCHEMA = pa.schema(
    [
        ("series_id", pa.string()),
        ("obs_date", pa.date32()),
        ("period", pa.string()),
        ("value", pa.float64()),
        ("dataflow", pa.string()),
    ]
)

Row = tuple[str, str, dt.date, float | None]  # where, period, quarter start, share


def _period(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def request(series: Series, window: Window, **_: object) -> HttpRequest:
    """The whole history, whatever the window: revisions reach back decades and the series is small."""
    return HttpRequest(
        url=SDMX_URL,
        params={"startPeriod": _period(series.start)},
        headers={"Accept": SDMX_CSV},
        ext="csv",
    )


def fallback(series: Series, window: Window, **_: object) -> HttpRequest:
    """DBnomics' mirror of the same series (always the whole history)."""
    return HttpRequest(url=DBNOMICS_URL, params={"observations": "1"}, ext="json")


def _quarter(text: str, series_id: str, where: str) -> tuple[str, dt.date]:
    match = _QUARTER.fullmatch(text.strip())
    if not match:
        raise SourceError(SOURCE, series_id, f"not a YYYY-Qn quarter: {text[:40]!r}", where)
    year, quarter = int(match.group(1)), int(match.group(2))
    return match.group(0), dt.date(year, 3 * quarter - 2, 1)


def _share(text: str, series_id: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise SourceError(SOURCE, series_id, f"non-numeric value {text[:40]!r}", where) from None


def _wide_export(header: list[str], first: list[str] | None) -> str:
    """The data portal's download layout (one column per period): say what it is and which dataset."""
    dataset = first[header.index("DATASET")] if first and len(first) == len(header) else "?"
    return (
        f"a wide data-portal export (DATASET, SERIES_CODE, one column per period) of {dataset!r}, "
        f"not SDMX-CSV of IMF.STA:COFER {SERIES_KEY}"
    )


def parse_sdmx_csv(body: Body) -> pa.Table:
    """Parse an SDMX-CSV body (1.0 `DATAFLOW` or 2.0 `STRUCTURE_ID` stamp column) into raw rows."""
    series_id = body.key
    text = body.text()
    if not text.strip():
        raise SourceError(SOURCE, series_id, "empty body", "line 1")
    if problem := not_data(text, "csv"):
        raise SourceError(SOURCE, series_id, problem, "line 1")
    # strict: an unterminated quoted field (a body cut inside an attribute value) is an error.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(_records(reader))
    except csv.Error as exc:
        raise SourceError(SOURCE, series_id, f"malformed CSV ({exc})", f"line {reader.line_num}") from None
    if not records:
        raise SourceError(SOURCE, series_id, "empty body", "line 1")
    (_, header), *data = records
    header = [name.strip() for name in header]
    stamp = next((c for c in ("DATAFLOW", "STRUCTURE_ID") if c in header), None)
    missing = [c for c in (*KEY, "TIME_PERIOD", "OBS_VALUE") if c not in header]
    if {"DATASET", "SERIES_CODE"} <= set(header):
        raise SourceError(SOURCE, series_id, _wide_export(header, data[0][1] if data else None), "line 1")
    if stamp is None or missing:
        raise SourceError(
            SOURCE,
            series_id,
            f"not SDMX-CSV: no {'/'.join(missing) or 'DATAFLOW'} column in {text.splitlines()[0][:120]!r}",
            "line 1",
        )
    at = {name: i for i, name in enumerate(header)}
    rows: list[Row] = []
    dataflows: dict[str, str] = {}
    for line, fields in data:
        where = f"line {line}"
        if len(fields) != len(header):
            raise SourceError(
                SOURCE, series_id, f"{len(fields)} fields, expected {len(header)} (truncated body?)", where
            )
        dataflow = fields[at[stamp]].strip()
        if not _DATAFLOW.match(dataflow):
            raise SourceError(
                SOURCE, series_id, f"wrong dataflow {dataflow[:60]!r}, expected IMF.STA:COFER(version)", where
            )
        dataflows.setdefault(dataflow, where)
        key = ".".join(fields[at[c]].strip() for c in KEY)
        if key != SERIES_KEY:
            raise SourceError(SOURCE, series_id, f"wrong series {key[:80]!r}, expected {SERIES_KEY}", where)
        period, day = _quarter(fields[at["TIME_PERIOD"]], series_id, where)
        rows.append((where, period, day, _share(fields[at["OBS_VALUE"]], series_id, where)))
    if len(dataflows) > 1:
        first, second = list(dataflows.items())[:2]
        raise SourceError(
            SOURCE, series_id, f"two vintages in one body: {first[0]} ({first[1]}) and {second[0]}", second[1]
        )
    return _table(body, rows, next(iter(dataflows), ""), empty_at="line 2")


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV records with the line each ends on (quoted attribute values may span lines)."""
    for fields in reader:
        if any(f.strip() for f in fields):
            yield reader.line_num, fields


def parse_dbnomics(body: Body) -> pa.Table:
    """Parse a DBnomics `/v22/series/IMF/COFER/...?observations=1` body; `"NA"` is a missing value."""
    series_id = body.key
    doc = body.json()
    if not isinstance(doc, dict):
        raise SourceError(SOURCE, series_id, f"expected a JSON object, got {type(doc).__name__}", "char 0")
    if doc.get("errors"):
        raise SourceError(SOURCE, series_id, f"DBnomics error: {str(doc['errors'])[:160]}", "errors")
    series = doc.get("series")
    if not isinstance(series, dict):
        raise SourceError(
            SOURCE,
            series_id,
            f"no 'series' object (message {doc.get('message')!r}, keys {sorted(doc)[:8]})",
            "series",
        )
    docs = series.get("docs")
    if not isinstance(docs, list) or len(docs) != 1 or not isinstance(docs[0], dict):
        found = len(docs) if isinstance(docs, list) else "no"
        raise SourceError(
            SOURCE, series_id, f"expected one series in series.docs, got {found}", "series.docs"
        )
    found = docs[0]
    names = ("provider_code", "dataset_code", "series_code")
    codes = tuple(found.get(k) for k in names)
    if codes != DBNOMICS_CODES:
        expected = "/".join(DBNOMICS_CODES)
        wrong = next(n for n, got, want in zip(names, codes, DBNOMICS_CODES, strict=True) if got != want)
        raise SourceError(
            SOURCE,
            series_id,
            f"wrong series {'/'.join(map(str, codes))}, expected {expected}",
            f"series.docs[0].{wrong}",
        )
    periods, starts, values = (found.get(k) for k in ("period", "period_start_day", "value"))
    if not (isinstance(periods, list) and isinstance(values, list) and len(periods) == len(values)):
        raise SourceError(
            SOURCE,
            series_id,
            "series.docs[0] needs 'period' and 'value' lists, equally long",
            "series.docs[0]",
        )
    if not isinstance(starts, list) or len(starts) != len(periods):
        starts = [None] * len(periods)
    rows: list[Row] = []
    for i, (text, start, value) in enumerate(zip(periods, starts, values, strict=True)):
        where = f"series.docs[0].period[{i}]"
        period, day = _quarter(str(text), series_id, where)
        if start is not None and start != day.isoformat():
            raise SourceError(SOURCE, series_id, f"period_start_day {start!r} does not match {period}", where)
        if value != "NA" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise SourceError(
                SOURCE, series_id, f"non-numeric value {str(value)[:40]!r}", f"series.docs[0].value[{i}]"
            )
        rows.append((where, period, day, None if value == "NA" else _float(value, series_id, i)))
    return _table(body, rows, DBNOMICS_VINTAGE, empty_at="series.docs[0].period")


def _float(value: int | float, series_id: str, i: int) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: far outside [0, 100] as 1e400 would be
        raise CorruptData(
            SOURCE,
            series_id,
            f"share {str(value)[:40]}... outside [0, 100] percent",
            f"series.docs[0].value[{i}]",
        ) from None


def _table(body: Body, rows: list[Row], dataflow: str, empty_at: str) -> pa.Table:
    if not rows:
        raise SourceError(SOURCE, body.key, "no observations in the body (header only)", empty_at)
    for where, _, _, value in rows:
        if value is not None and not 0 <= value <= 100:
            raise SourceError(SOURCE, body.key, f"share {value!r} outside [0, 100] percent", where)
    check_observations(
        SOURCE,
        body.key,
        [(where, day, value) for where, _, day, value in rows],
        positive=True,  # a currency's share of world reserves is never 0
        latest_allowed=body.fetched_at.date() + dt.timedelta(days=1),
    )
    return pa.table(
        {
            "series_id": [body.key] * len(rows),
            "obs_date": [r[2] for r in rows],
            "period": [r[1] for r in rows],
            "value": [r[3] for r in rows],
            "dataflow": [dataflow] * len(rows),
        },
        schema=SCHEMA,
    )


def parse(body: Body) -> pa.Table:
    """The body's extension picks the format: `.csv` is SDMX-CSV from the IMF, `.json` DBnomics."""
    return parse_dbnomics(body) if body.ext == "json" else parse_sdmx_csv(body)


def demo(series: Series, window: Window) -> bytes:
    """An SDMX-CSV body of the synthetic path, whole history like the live request, as published by `end`."""
    decimals = int(series.demo.get("decimals", 2))
    lines = [",".join(["DATAFLOW", *KEY, "TIME_PERIOD", "OBS_VALUE"])]
    for day, value in synthetic.observations(series, window.end):
        shown = "" if value is None else f"{value:.{decimals}f}"
        lines.append(",".join([DEMO_DATAFLOW, *KEY.values(), _period(day), shown]))
    return ("\n".join(lines) + "\n").encode()


CONNECTOR = Connector(
    source=SOURCE,
    description=__doc__,
    request=request,
    parse=parse,
    demo=demo,
    demo_ext="csv",
    table="imf_cofer",
    schema=SCHEMA,
    key=("series_id", "obs_date"),
    series_column="series_id",
    date_column="obs_date",
    # The vintage stamp counts as a revision so that no row keeps a stale stamp (see above).
    revision_columns=("value", "dataflow"),
    checked_value="value",
    fallback=fallback,
)
