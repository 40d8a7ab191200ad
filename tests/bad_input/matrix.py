"""The bad-input matrix: per source format, a valid body and the kinds of bad body made from it.

Each case declares its outcome: `parsed` (the rows must equal the clean body's rows) or
`rejected` (a SourceError whose place matches `where`, a regular expression, and whose problem
contains `problem`). Valid bodies are the connector's demo body or a trimmed real payload.
"""

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assets.sources import fred, imf, openrouter, worldbank, yahoo
from assets.sources.base import Body, Connector, Window
from config.catalog import load_catalog
from tests.bad_input import mutations as m
from tests.conftest import FIXTURES, NOW

AS_OF = NOW.date()


@dataclass(frozen=True)
class Case:
    kind: str
    mutate: m.Mutation
    where: str | None = None  # None: the body must parse to the clean rows
    problem: str = ""

    @property
    def expect(self) -> str:
        return "parsed" if self.where is None else "rejected"


def parsed(kind: str, mutate: m.Mutation) -> Case:
    return Case(kind, mutate)


def rejected(kind: str, mutate: m.Mutation, where: str, problem: str) -> Case:
    return Case(kind, mutate, where, problem)


@dataclass(frozen=True)
class Format:
    name: str
    connector: Connector
    key: str  # the catalog series the body is for
    ext: str
    valid: Callable[[], bytes]
    cases: tuple[Case, ...]

    def body(self, content: bytes) -> Body:
        return Body(self.connector.source, self.key, self.ext, content, "replay", NOW, "test://bad-input")


def demo_body(connector: Connector, key: str, start: dt.date) -> Callable[[], bytes]:
    series = load_catalog().get(connector.source, key)
    return functools.cache(lambda: connector.demo(series, Window(start, AS_OF)))


def fixture(name: str) -> Callable[[], bytes]:
    path: Path = FIXTURES / name
    return functools.cache(path.read_bytes)


FRED_ERROR = (
    '{"error_code":400,"error_message":"Bad Request.  The value for variable api_key is not a 32 '
    'character alpha-numeric lower-case string.  Read https://fred.stlouisfed.org/docs/api/api_key.html"}'
)


def fred_old_dialect(records: list[list[str]]) -> list[list[str]]:
    """The header and missing marker FRED used until late 2024."""
    return [["DATE", records[0][1]], *([day, value or "."] for day, value in records[1:])]


FRED_CSV = Format(
    "FRED CSV",
    fred.CONNECTOR,
    "DTWEXBGS",
    "csv",
    demo_body(fred.CONNECTOR, "DTWEXBGS", dt.date(2026, 6, 1)),
    (
        rejected("HTML instead of data", m.html, "line 1", "HTML"),
        rejected("empty body", m.empty, "line 1", "empty body"),
        rejected("header only", m.header_only, "line 2", "header only"),
        rejected("wrong series in header", m.cell(0, 1, "SP500"), "line 1", "got 'observation_date,SP500'"),
        rejected("non-numeric value", m.cell(3, 1, "n/a"), "line 4", "non-numeric value 'n/a'"),
        rejected(
            "duplicate dates", m.duplicate_record(2), "line 4", "duplicate date 2026-06-02 (first at line 3)"
        ),
        parsed("unsorted dates", m.reverse_records),
        rejected("date in the future", m.cell(1, 0, "2030-01-02"), "line 2", "in the future"),
        rejected("negative price", m.cell(3, 1, "-5.0"), "line 4", "non-positive value -5.0"),
        rejected("zero price", m.cell(3, 1, "0"), "line 4", "non-positive value 0.0"),
        parsed("UTF-8 BOM and CRLF", m.bom_crlf),
        rejected("truncated mid-line", m.cut_mid_last_line, r"line \d+", "cut off"),
        rejected("JSON error object, HTTP 200", m.constant(FRED_ERROR), "line 1", "JSON instead of CSV"),
        rejected("renamed value column", m.cell(0, 1, "value"), "line 1", "expected header"),
        rejected("absurd magnitude", m.cell(3, 1, "1e300"), "line 4", "absurd value"),
        parsed("old dialect (DATE, '.' missing)", m.on_csv(fred_old_dialect)),
        rejected("two series comma-joined", m.add_column("SP500", "5000"), "line 1", "expected header"),
        rejected("non-ISO date", m.cell(1, 0, "06/01/2026"), "line 2", "not an ISO date"),
    ),
)


OBS = ("observations",)
FRED_JSON = Format(
    "FRED JSON",
    fred.CONNECTOR,
    "UNRATE",
    "json",
    fixture("bad_input/fred_api_UNRATE.json"),
    (
        rejected("HTML instead of data", m.html, "char 0", "HTML"),
        rejected("empty body", m.empty, "char 0", "empty body"),
        rejected("no observations", m.put(OBS, [], (("count",), 0)), "observations", "no observations"),
        rejected("wrong series in meta (units)", m.put(("units",), "pch"), "units", "units 'pch'"),
        rejected("non-numeric value", m.put((*OBS, 2, "value"), "n/a"), r"observations\[2\]", "non-numeric"),
        rejected(
            "duplicate dates (two vintages)",
            m.insert_copy(OBS, 2),
            r"observations\[3\]",
            "duplicate date 2025-09-01 (first at observations[2])",
        ),
        parsed("unsorted dates", m.reverse_lists(OBS)),
        rejected(
            "date in the future", m.put((*OBS, 0, "date"), "2030-01-01"), r"observations\[0\]", "future"
        ),
        rejected(
            "zero value", m.put((*OBS, 2, "value"), "0"), r"observations\[2\]", "non-positive value 0.0"
        ),
        rejected("negative value", m.put((*OBS, 2, "value"), "-4.4"), r"observations\[2\]", "non-positive"),
        parsed("UTF-8 BOM and CRLF", m.json_bom_crlf),
        rejected("truncated JSON", m.cut_at(0.5), r"char \d+", "truncated JSON"),
        rejected("JSON error object, HTTP 200", m.constant(FRED_ERROR), "error_message", "API error 400"),
        rejected("renamed field (value)", m.rename_key(OBS, "value", "val"), r"observations\[0\]", "'value'"),
        rejected("absurd magnitude", m.put((*OBS, 2, "value"), "1e20"), r"observations\[2\]", "absurd value"),
        rejected("partial page (count > rows)", m.put(("count",), 300), "count", "300 observations"),
        parsed("new fields", m.put(("vintage_dates",), ["2026-08-07"], ((*OBS, 0, "footnote"), "x"))),
    ),
)

RESULT = ("chart", "result", 0)
QUOTE = (*RESULT, "indicators", "quote", 0)
CLOSE = (*QUOTE, "close")
YAHOO_ARRAYS = (
    (*RESULT, "timestamp"),
    *((*QUOTE, name) for name in ("open", "high", "low", "close", "volume")),
    (*RESULT, "indicators", "adjclose", 0, "adjclose"),
)
YAHOO_ERROR = (
    '{"chart":{"result":null,"error":{"code":"Not Found",'
    '"description":"No data found, symbol may be delisted"}}}'
)


def yahoo_live_only(doc: dict) -> None:
    """Only the last bar, the live snapshot stamped at regularMarketTime."""
    result = doc["chart"]["result"][0]
    for array in YAHOO_ARRAYS:
        parent, last = m.locate(doc, array)
        parent[last] = parent[last][-1:]
    assert result["timestamp"] == [result["meta"]["regularMarketTime"]]


def yahoo_short_close(doc: dict) -> None:
    parent, last = m.locate(doc, CLOSE)
    parent[last] = parent[last][:-1]


YAHOO = Format(
    "Yahoo chart JSON",
    yahoo.CONNECTOR,
    "^GSPC",
    "json",
    demo_body(yahoo.CONNECTOR, "^GSPC", dt.date(2026, 10, 1)),
    (
        rejected("HTML instead of data", m.html, "char 0", "HTML"),
        rejected("empty body", m.empty, "char 0", "empty body"),
        rejected("no bars", m.put((*RESULT, "timestamp"), []), r"chart\.result\[0\]", "no bars"),
        rejected("wrong series in meta", m.put((*RESULT, "meta", "symbol"), "SPY"), r"meta\.symbol", "'SPY'"),
        rejected(
            "non-numeric value",
            m.put((*CLOSE, 2), "6650.1"),
            r"indicators\.quote\[0\]\.close\[2\]",
            "'6650.1'",
        ),
        rejected(
            "duplicate dates",
            m.copy_item((*RESULT, "timestamp", 2), (*RESULT, "timestamp", 3)),
            r"timestamp\[3\]",
            "duplicate date",
        ),
        parsed("unsorted dates", m.reverse_lists(*YAHOO_ARRAYS)),
        rejected(
            "date in the future", m.put((*RESULT, "timestamp", 0), 1893504600), r"timestamp\[0\]", "future"
        ),
        rejected(
            "negative price", m.put((*CLOSE, 2), -5.0), r"indicators\.quote\[0\]\.close\[2\]", "non-positive"
        ),
        rejected("zero price", m.put((*CLOSE, 2), 0), r"indicators\.quote\[0\]\.close\[2\]", "non-positive"),
        parsed("UTF-8 BOM and CRLF", m.json_bom_crlf),
        rejected("truncated JSON", m.cut_at(0.5), r"char \d+", "truncated JSON"),
        rejected(
            "JSON error object, HTTP 200", m.constant(YAHOO_ERROR), r"chart\.error", "API error Not Found"
        ),
        rejected(
            "renamed field (close)",
            m.rename_key(QUOTE, "close", "Close"),
            r"indicators\.quote\[0\]",
            "'close'",
        ),
        rejected(
            "absurd magnitude", m.put((*CLOSE, 2), 1e20), r"indicators\.quote\[0\]\.close\[2\]", "absurd"
        ),
        rejected("only the live snapshot", m.on_json(yahoo_live_only), "timestamp", "live snapshot"),
        rejected(
            "arrays of unequal length",
            m.on_json(yahoo_short_close),
            r"indicators\.quote\[0\]\.close",
            "values for",
        ),
        rejected(
            "unknown exchange time zone",
            m.put((*RESULT, "meta", "exchangeTimezoneName"), "Mars/Olympus"),
            r"meta\.exchangeTimezoneName",
            "Mars/Olympus",
        ),
        parsed("new fields", m.put((*RESULT, "meta", "hasNewField"), True, ((*QUOTE, "vwap"), []))),
    ),
)


ROWS = (1,)
WB_ERROR = (
    '[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]'
)
WB_ROW = r"rows\[{}\] \(\w+ \d{{4}}\)"


def worldbank_duplicate(doc: list, index: int) -> None:
    doc[1].insert(index + 1, dict(doc[1][index]))
    doc[0]["total"] += 1


def worldbank_total_doubled(doc: list) -> None:
    doc[0]["total"] *= 2


def worldbank_paging_strings(doc: list) -> None:
    for name in ("page", "pages", "per_page", "total"):
        doc[0][name] = str(doc[0][name])


WORLDBANK = Format(
    "World Bank JSON",
    worldbank.CONNECTOR,
    "SP.POP.TOTL",
    "json",
    demo_body(worldbank.CONNECTOR, "SP.POP.TOTL", dt.date(2019, 1, 1)),
    (
        rejected("HTML instead of data", m.html, "char 0", "HTML"),
        rejected("empty body", m.empty, "char 0", "empty body"),
        rejected("no rows", m.put(ROWS, None, ((0, "total"), 0)), "rows", "no rows (total 0, rows null)"),
        rejected(
            "wrong series in rows",
            m.put((*ROWS, 0, "indicator", "id"), "NY.GDP.MKTP.CD"),
            WB_ROW.format(0),
            "'NY.GDP.MKTP.CD'",
        ),
        rejected(
            "non-numeric value", m.put((*ROWS, 1, "value"), "447916731"), WB_ROW.format(1), "non-numeric"
        ),
        rejected(
            "duplicate dates",
            m.on_json(lambda doc: worldbank_duplicate(doc, 1)),
            WB_ROW.format(2),
            "duplicate date 2025-01-01 (first at rows[1] (EUU 2025))",
        ),
        parsed("unsorted dates", m.reverse_lists(ROWS)),
        rejected("date in the future", m.put((*ROWS, 0, "date"), "2030"), WB_ROW.format(0), "future"),
        rejected(
            "negative value", m.put((*ROWS, 1, "value"), -5), WB_ROW.format(1), "non-positive value -5.0"
        ),
        parsed("UTF-8 BOM and CRLF", m.json_bom_crlf),
        rejected("truncated JSON", m.cut_at(0.5), r"char \d+", "truncated JSON"),
        rejected(
            "JSON error object, HTTP 200", m.constant(WB_ERROR), r"\[0\]\.message", "id 120 'Invalid value'"
        ),
        rejected(
            "renamed field (date)", m.rename_key(ROWS, "date", "year"), r"rows\[0\] \(EUU\)", "not a year"
        ),
        rejected("absurd magnitude", m.put((*ROWS, 1, "value"), 1e17), WB_ROW.format(1), "absurd value"),
        rejected("pages > 1", m.put((0, "pages"), 2), "paging", "page 1 of 2"),
        rejected("paging total disagrees", m.on_json(worldbank_total_doubled), "rows", "promises"),
        parsed("paging numbers as strings", m.on_json(worldbank_paging_strings)),
        parsed("new fields", m.put((0, "new_field"), 1, ((*ROWS, 0, "footnote"), "x"))),
    ),
)


IMF_SDMX = Format(
    "IMF SDMX-CSV",
    imf.CONNECTOR,
    "cofer",
    "csv",
    fixture("imf/cofer_sdmx_2026-06_revised.csv"),
    (
        rejected("HTML instead of data", m.html, "line 1", "HTML"),
        rejected("empty body", m.empty, "line 1", "empty body"),
        rejected("header only", m.header_only, "line 2", "header only"),
        rejected("wrong series in key", m.cell(1, "FXR_CURRENCY", "CI_EUR"), "line 3", "wrong series"),
        rejected("non-numeric value", m.cell(2, "OBS_VALUE", "n/a"), "line 5", "non-numeric value 'n/a'"),
        rejected(
            "duplicate dates", m.duplicate_record(2), "line 7", "duplicate date 2025-04-01 (first at line 5)"
        ),
        parsed("unsorted dates", m.reverse_records),
        rejected("date in the future", m.cell(1, "TIME_PERIOD", "2030-Q1"), "line 3", "future"),
        rejected("negative share", m.cell(2, "OBS_VALUE", "-57.08"), "line 5", "outside [0, 100]"),
        rejected("zero share", m.cell(2, "OBS_VALUE", "0"), "line 5", "non-positive value 0.0"),
        parsed("UTF-8 BOM and CRLF", m.bom_crlf),
        rejected("truncated mid-row", m.cut_at(0.9), "line 10", "unexpected end of data"),
        rejected(
            "JSON error object, HTTP 200", m.constant('{"errorCode":500}'), "line 1", "JSON instead of CSV"
        ),
        rejected(
            "renamed field (OBS_VALUE)", m.cell(0, "OBS_VALUE", "VALUE"), "line 1", "no OBS_VALUE column"
        ),
        rejected("absurd magnitude", m.cell(2, "OBS_VALUE", "5708"), "line 5", "outside [0, 100]"),
        rejected("two vintages", m.cell(2, "DATAFLOW", "IMF.STA:COFER(7.0.0)"), "line 5", "two vintages"),
        rejected("another dataflow", m.cell(1, "DATAFLOW", "IMF.STA:CPI(5.0.0)"), "line 3", "wrong dataflow"),
        rejected("short row", m.drop_field(2), "line 4", "14 fields, expected 15"),
    ),
)

DOC = ("series", "docs", 0)
DBN_LISTS = tuple((*DOC, name) for name in ("period", "period_start_day", "value"))
DBNOMICS = Format(
    "DBnomics JSON",
    imf.CONNECTOR,
    "cofer",
    "json",
    fixture("imf/dbnomics_cofer.json"),
    (
        rejected("HTML instead of data", m.html, "char 0", "HTML"),
        rejected("empty body", m.empty, "char 0", "empty body"),
        rejected(
            "no observations",
            m.put(DBN_LISTS[0], [], *((p, []) for p in DBN_LISTS[1:])),
            r"series\.docs\[0\]\.period",
            "no observations",
        ),
        rejected(
            "wrong series in meta",
            m.put((*DOC, "series_code"), "Q.W00.RAXGFXAREURRT_PT"),
            r"series\.docs\[0\]\.series_code",
            "wrong series IMF/COFER/Q.W00.RAXGFXAREURRT_PT",
        ),
        rejected(
            "non-numeric value", m.put((*DOC, "value", 2), "57.8"), r"series\.docs\[0\]\.value\[2\]", "'57.8'"
        ),
        rejected(
            "duplicate dates",
            m.put(((*DOC, "period", 2)), "2024-Q3", ((*DOC, "period_start_day", 2), "2024-07-01")),
            r"series\.docs\[0\]\.period\[2\]",
            "duplicate date 2024-07-01",
        ),
        parsed("unsorted dates", m.reverse_lists(*DBN_LISTS)),
        rejected(
            "date in the future",
            m.put((*DOC, "period", 3), "2030-Q1", ((*DOC, "period_start_day", 3), "2030-01-01")),
            r"series\.docs\[0\]\.period\[3\]",
            "future",
        ),
        rejected(
            "zero share", m.put((*DOC, "value", 2), 0), r"series\.docs\[0\]\.period\[2\]", "non-positive"
        ),
        parsed("UTF-8 BOM and CRLF", m.json_bom_crlf),
        rejected("truncated JSON", m.cut_at(0.5), r"char \d+", "truncated JSON"),
        rejected(
            "JSON error object, HTTP 200",
            lambda _: fixture("imf/dbnomics_error.json")(),
            "errors",
            "Series not found",
        ),
        rejected(
            "renamed field (value)", m.rename_key(DOC, "value", "values"), r"series\.docs\[0\]", "'value'"
        ),
        rejected(
            "absurd magnitude", m.put((*DOC, "value", 2), 5780), r"series\.docs\[0\]\.period\[2\]", "outside"
        ),
        rejected(
            "period_start_day disagrees",
            m.put((*DOC, "period_start_day", 1), "2024-08-01"),
            r"series\.docs\[0\]\.period\[1\]",
            "does not match 2024-Q3",
        ),
        rejected(
            "two series in one answer",
            m.insert_copy(("series", "docs"), 0),
            r"series\.docs",
            "expected one series",
        ),
        parsed("new fields", m.put((*DOC, "new_field"), 1, (("new_top",), {}))),
    ),
)

DATA = ("data",)
OR_MODEL = r"data\[{}\] \([^)]+\)"
OPENROUTER_PROVIDERS = (
    '{"data":[{"name":"OpenAI","slug":"openai","privacy_policy_url":"https://openai.com/policies/privacy-policy",'
    '"terms_of_service_url":"https://openai.com/policies/terms-of-use","status_page_url":"https://status.openai.com"}]}'
)
OPENROUTER = Format(
    "OpenRouter JSON",
    openrouter.CONNECTOR,
    "models",
    "json",
    fixture("bad_input/openrouter_models.json"),
    (
        rejected("HTML instead of data", m.html, "char 0", "HTML"),
        rejected("empty body", m.empty, "char 0", "empty body"),
        rejected("no models", m.put(DATA, [], (("total_count",), 0)), "data", "empty catalogue"),
        rejected(
            "another endpoint (providers)", m.constant(OPENROUTER_PROVIDERS), r"data\[0\]", "without an 'id'"
        ),
        rejected(
            "non-numeric price", m.put((*DATA, 1, "pricing", "prompt"), "free"), OR_MODEL.format(1), "'free'"
        ),
        rejected(
            "duplicate model ids",
            m.copy_item((*DATA, 1, "id"), (*DATA, 2, "id")),
            r"data\[2\]",
            "duplicate model id 'dots-studio/dots-3-note-preview:free' (first at data[1])",
        ),
        parsed("unsorted models", m.reverse_lists(DATA)),
        rejected(
            "created in the future", m.put((*DATA, 0, "created"), 1893456000), OR_MODEL.format(0), "future"
        ),
        rejected(
            "negative price",
            m.put((*DATA, 2, "pricing", "prompt"), "-0.0000005"),
            OR_MODEL.format(2),
            "negative",
        ),
        parsed("UTF-8 BOM and CRLF", m.json_bom_crlf),
        rejected("truncated JSON", m.cut_at(0.5), r"char \d+", "truncated JSON"),
        rejected(
            "JSON error object, HTTP 200",
            m.constant('{"error":{"code":500,"message":"Internal Server Error"}}'),
            "error",
            "API error 500",
        ),
        rejected(
            "renamed field (pricing)",
            m.rename_key(DATA, "pricing", "prices"),
            r"data\[\]\.pricing",
            "none of the 6 models",
        ),
        rejected(
            "absurd magnitude", m.put((*DATA, 2, "pricing", "prompt"), "1"), OR_MODEL.format(2), "absurd"
        ),
        rejected(
            "links.next (a further page)",
            m.put(("links", "next"), "/api/v1/models?offset=6&limit=6"),
            r"links\.next",
            "partial catalogue",
        ),
        rejected("total_count > models", m.put(("total_count",), 500), "total_count", "6 of 500 models"),
        parsed("new fields", m.put(("new_top",), 1, ((*DATA, 0, "new_field"), {"a": 1}))),
    ),
)

FORMATS = (FRED_CSV, FRED_JSON, YAHOO, WORLDBANK, IMF_SDMX, DBNOMICS, OPENROUTER)
