"""Structure-aware mutation: hypothesis strategies that turn a trimmed seed into a broken body.

A body is made in three layers, each drawn by hypothesis (so it shrinks toward fewer, simpler
mutations):
  1. the seed cut to a run of rows (`seeds.Format.trim`): a valid body;
  2. up to four structural mutations: for JSON, on any node of the document (delete, duplicate or
     reorder fields and items, rename a key, change a value's type, an extreme number, an odd
     string, another node's value put in its place, a node wrapped, a value nudged within its
     type: digits at the ends of their range, a character dropped or doubled, padding, a number
     negated or scaled to an extreme); for CSV, on records, fields and cells (the same, by row
     and by column);
  3. up to two byte mutations of the serialised body: a BOM, another encoding, a control
     character or invalid UTF-8 inserted, other line ends, garbage appended, a span repeated, and
     truncation at a boundary (a line, a field, a token) or at any byte.

JSON objects are kept as `Pairs` (their key-value pairs in order) so that keys can be duplicated
and reordered, and `Raw` text is written as is, for what `json.dumps` cannot write: a number
beyond float or int range, `-0`, a lone surrogate escape.
"""

import copy
import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

Path = tuple[int, ...]


class Pairs(list):
    """A JSON object as a list of [key, value] pairs."""


class Raw(str):
    """JSON text written verbatim."""


def decode(text: str) -> Any:
    return json.loads(text, object_pairs_hook=lambda pairs: Pairs([list(p) for p in pairs]))


def dump(value: Any, ascii_only: bool = False) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Pairs):
        return (
            "{"
            + ",".join(f"{json.dumps(k, ensure_ascii=ascii_only)}:{dump(v, ascii_only)}" for k, v in value)
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(dump(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


# ---- values -----------------------------------------------------------------------------------------

EXTREME_NUMBERS = [
    "1e308", "-1e308", "1e309", "-1e309", "1e-400", "5e-324", "-0", "0e0", "1E3", "NaN", "Infinity",
    "-Infinity", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "18446744073709551616", "123456789012345678901234567890", "1" + "0" * 400, "9" * 4301,
    "253402300800", "-62135596801", "100000000000000000000", "0.1e-7", "1.0000000000000002",
]  # fmt: skip
ODD_STRINGS = [
    "", " ", "0", "-1", "1.5", "abc", "NA", ".", "-", "null", "NaN", "nan", "Infinity", "-inf", "true",
    "1e400", "1_000", " 7 ", "١٢٣", "１２３", "²", "2026-02-30", "0000-01-01", "9999-12-31",
    "2026-13-01", "+2026-01-02", "20260102", "2026-Q5", "0000-Q1", "12345-Q1", "0000", "0001", "9999",
    "10000", "2023\n", " 2023", "America/Nowhere",
    "../../etc/passwd", "UTC", "America", "\x00", "\t", "\u2028", "\ufeff", "é" * 3, "x" * 500,
    "0.0000025", "-0.000001", "1e-3", "0x10", "９", "NY.GDP.MKTP.CD", "SP500", "IMF.STA:COFER(7.0.1)",
]  # fmt: skip
LONE_SURROGATES = [Raw('"\\ud800"'), Raw('"a\\udfff"'), Raw('"\\udbff\\u0041"')]
CONTROL = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\u2028\ufeff\r\n\t"

json_values = st.one_of(
    st.sampled_from([None, True, False, 0, 1, -1, 0.0, 1.5, [], Pairs(), [None], Pairs([["", None]])]),
    st.sampled_from([Raw(n) for n in EXTREME_NUMBERS]),
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(LONE_SURROGATES),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.text(alphabet=CONTROL + "ab1.", max_size=6),
    st.floats(allow_nan=False, allow_infinity=False).map(str),
)
csv_cells = st.one_of(
    st.sampled_from(ODD_STRINGS + EXTREME_NUMBERS),
    st.sampled_from(['"', 'a"b', "a,b", "line\nbreak", "2026-01-02,1.0", "5" * 5000]),
    st.text(max_size=12),
    st.text(alphabet=CONTROL + "ab1.,-", max_size=6),
    st.floats().map(str),
    st.integers().map(str),
)


# ---- JSON: structural mutations on a document ------------------------------------------------------


def _children(node: Any) -> list:
    if isinstance(node, Pairs):
        return [v for _, v in node]
    if isinstance(node, list) and not isinstance(node, Raw):
        return node
    return []


def nodes(doc: Any, path: Path = ()) -> list[Path]:
    found = [path]
    for i, child in enumerate(_children(doc)):
        found += nodes(child, (*path, i))
    return found


def get(doc: Any, path: Path) -> Any:
    for i in path:
        doc = doc[i][1] if isinstance(doc, Pairs) else doc[i]
    return doc


def put(doc: Any, path: Path, value: Any) -> Any:
    """The document with the node at `path` replaced by `value` (the root itself: `value`)."""
    if not path:
        return value
    parent, i = get(doc, path[:-1]), path[-1]
    if isinstance(parent, Pairs):
        parent[i][1] = value
    else:
        parent[i] = value
    return doc


def _node(draw, doc: Any, root: bool = True) -> Path:
    paths = nodes(doc) if root else nodes(doc)[1:]
    return draw(st.sampled_from(paths)) if paths else ()


def delete(draw, doc: Any) -> Any:
    path = _node(draw, doc, root=False)
    if path:
        del get(doc, path[:-1])[path[-1]]
    return doc


def duplicate(draw, doc: Any) -> Any:
    """An item repeated right after itself; in an object, the same key twice."""
    path = _node(draw, doc, root=False)
    if path:
        parent = get(doc, path[:-1])
        parent.insert(path[-1] + 1, copy.deepcopy(parent[path[-1]]))
    return doc


def reorder(draw, doc: Any) -> Any:
    """A container's items or fields reversed, two swapped, or shuffled."""
    containers = [p for p in nodes(doc) if len(_children(get(doc, p))) > 1]
    if not containers:
        return doc
    node = get(doc, draw(st.sampled_from(containers)))
    how = draw(st.sampled_from(["reverse", "swap", "shuffle"]))
    if how == "reverse":
        node.reverse()
    elif how == "swap":
        i, j = draw(st.integers(0, len(node) - 1)), draw(st.integers(0, len(node) - 1))
        node[i], node[j] = node[j], node[i]
    else:
        node[:] = draw(st.permutations(list(node)))
    return doc


def retype(draw, doc: Any) -> Any:
    """A value replaced by one of another type, an extreme number or an odd string."""
    # A copy: the strategy's own lists and objects must not be edited by later mutations.
    return put(doc, _node(draw, doc), copy.deepcopy(draw(json_values)))


def nudged_text(draw, text: str) -> str:
    """A string changed the way a source gets one slightly wrong: its digits at the ends of their
    range, a character dropped or doubled, padding, another case, a stray character inside."""
    how = draw(st.sampled_from(["zeros", "nines", "drop", "double", "pad", "case", "stray", "sign"]))
    runs = [m.span() for m in re.finditer(r"[0-9]+", text)]
    if how in ("zeros", "nines") and runs:
        # One run of digits: a year, a month, a quarter, a part of a number.
        start, end = draw(st.sampled_from(runs))
        digit = "0" if how == "zeros" else "9"
        return text[:start] + re.sub("[0-9]", digit, text[start:end]) + text[end:]
    if how == "drop" and text:
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + text[i + 1 :]
    if how == "double" and text:
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + text[i] + text[i:]
    if how == "pad":
        return draw(st.sampled_from([f" {text}", f"{text} ", f"{text}\n", f"\t{text}", f"{text}\x00"]))
    if how == "case":
        return text.swapcase()
    if how == "sign":
        return draw(st.sampled_from([f"-{text}", f"+{text}", f"{text}e999", f"{text}.5"]))
    i = draw(st.integers(0, len(text)))
    return text[:i] + draw(st.sampled_from(["٣", "x", ".", ",", '"', "\u00a0", "\ufeff", "-"])) + text[i:]


def nudged_number(draw, number: int | float) -> Any:
    """A number changed within its own kind: negated, scaled to an extreme, off by one, its type changed."""
    how = draw(st.sampled_from(["negate", "scale", "off by one", "zero", "as text", "other type", "extreme"]))
    if how == "negate":
        return -number
    if how == "scale":
        return number * 10 ** draw(st.integers(1, 400)) if isinstance(number, int) else number * 1e300
    if how == "off by one":
        return number + draw(st.sampled_from([1, -1]))
    if how == "zero":
        return 0 if isinstance(number, int) else 0.0
    if how == "as text":
        return str(number)
    if how == "other type":
        return float(number) if isinstance(number, int) else int(number) if number == number else None
    return Raw(draw(st.sampled_from(EXTREME_NUMBERS)))


def nudge(draw, doc: Any) -> Any:
    """A leaf value changed within its type (see `nudged_text`, `nudged_number`), or a true/false/null
    turned into another of them."""
    leaves = [p for p in nodes(doc) if not _children(get(doc, p)) and not isinstance(get(doc, p), Raw)]
    if not leaves:
        return doc
    path = draw(st.sampled_from(leaves))
    value = get(doc, path)
    if isinstance(value, str):
        return put(doc, path, nudged_text(draw, value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return put(doc, path, nudged_number(draw, value))
        except (OverflowError, ValueError):  # an infinite float has no int; nothing to nudge
            return doc
    return put(doc, path, draw(st.sampled_from([None, True, False, 0, ""])))


def transplant(draw, doc: Any) -> Any:
    """A value replaced by a copy of another node of the same document (a realistic wrong value)."""
    source = copy.deepcopy(get(doc, _node(draw, doc)))
    return put(doc, _node(draw, doc), source)


def wrap(draw, doc: Any) -> Any:
    path = _node(draw, doc)
    node = get(doc, path)
    return put(doc, path, draw(st.sampled_from([[node], Pairs([["value", node]])])))


def rename(draw, doc: Any) -> Any:
    """A key renamed: another case, padded, emptied, or another key of the document."""
    fields = [p for p in nodes(doc)[1:] if isinstance(get(doc, p[:-1]), Pairs)]
    if not fields:
        return doc
    path = draw(st.sampled_from(fields))
    pair = get(doc, path[:-1])[path[-1]]
    keys = sorted({k for p in nodes(doc) if isinstance(n := get(doc, p), Pairs) for k, _ in n})
    pair[0] = draw(
        st.sampled_from([pair[0].upper(), pair[0].title(), f" {pair[0]}", f"{pair[0]}\x00", "", *keys])
    )
    return doc


JSON_MUTATIONS: list[Callable] = [
    delete,
    duplicate,
    reorder,
    retype,
    retype,
    nudge,
    nudge,
    nudge,
    transplant,
    wrap,
    rename,
]


# ---- CSV: structural mutations on records ----------------------------------------------------------


def _row(draw, records: list[list[str]], header: bool = True) -> int | None:
    first = 0 if header else 1
    return draw(st.integers(first, len(records) - 1)) if len(records) > first else None


def delete_rows(draw, records: list[list[str]]) -> list[list[str]]:
    i = _row(draw, records)
    if i is not None:
        del records[i : i + draw(st.integers(1, 3))]
    return records


def duplicate_row(draw, records: list[list[str]]) -> list[list[str]]:
    i = _row(draw, records)
    if i is not None:
        records.insert(i + 1, list(records[i]))
    return records


def reorder_rows(draw, records: list[list[str]]) -> list[list[str]]:
    if len(records) > 2:
        how = draw(st.sampled_from(["reverse", "swap", "header last"]))
        if how == "reverse":
            records[1:] = records[:0:-1]
        elif how == "swap":
            i, j = _row(draw, records), _row(draw, records)
            records[i], records[j] = records[j], records[i]
        else:
            records.append(records.pop(0))
    return records


def _column(draw, records: list[list[str]]) -> int:
    return draw(st.integers(0, max(len(r) for r in records) - 1)) if any(records) else 0


def delete_field(draw, records: list[list[str]]) -> list[list[str]]:
    """A column dropped from every record, or a field from one."""
    j = _column(draw, records)
    rows = range(len(records)) if draw(st.booleans()) else [_row(draw, records)]
    for i in rows:
        if i is not None and j < len(records[i]):
            del records[i][j]
    return records


def duplicate_field(draw, records: list[list[str]]) -> list[list[str]]:
    j = _column(draw, records)
    rows = range(len(records)) if draw(st.booleans()) else [_row(draw, records)]
    for i in rows:
        if i is not None and j < len(records[i]):
            records[i].insert(j, records[i][j])
    return records


def swap_columns(draw, records: list[list[str]]) -> list[list[str]]:
    """Two columns swapped in every record, or in the header only (the names no longer fit)."""
    a, b = _column(draw, records), _column(draw, records)
    for record in records if draw(st.booleans()) else records[:1]:
        if max(a, b) < len(record):
            record[a], record[b] = record[b], record[a]
    return records


def cell(draw, records: list[list[str]]) -> list[list[str]]:
    i = _row(draw, records, header=draw(st.sampled_from([True, False, False, False])))
    if i is not None and records[i]:
        records[i][draw(st.integers(0, len(records[i]) - 1))] = draw(csv_cells)
    return records


def nudge_cell(draw, records: list[list[str]]) -> list[list[str]]:
    """A field changed a little (`nudged_text`): a date or a number just out of shape or range."""
    i = _row(draw, records, header=False)
    if i is not None and records[i]:
        j = draw(st.integers(0, len(records[i]) - 1))
        records[i][j] = nudged_text(draw, records[i][j])
    return records


def header(draw, records: list[list[str]]) -> list[list[str]]:
    """A header name in another case, padded, with a BOM, or another known name."""
    if records and records[0]:
        j = draw(st.integers(0, len(records[0]) - 1))
        name = records[0][j]
        records[0][j] = draw(
            st.sampled_from(
                [name.lower(), name.upper(), f" {name} ", f"\ufeff{name}", "DATE", "observation_date", ""]
            )
        )
    return records


def insert_row(draw, records: list[list[str]]) -> list[list[str]]:
    """A blank record, an empty field, a comment, or a record with a field too many."""
    i = draw(st.integers(0, len(records)))
    width = len(records[0]) if records else 2
    extra = draw(st.sampled_from([[], [""], ["# note"], [""] * (width + 1), ["2026-01-02"] * width]))
    records.insert(i, list(extra))
    return records


CSV_MUTATIONS: list[Callable] = [
    delete_rows,
    duplicate_row,
    reorder_rows,
    delete_field,
    duplicate_field,
    swap_columns,
    cell,
    cell,
    nudge_cell,
    nudge_cell,
    nudge_cell,
    header,
    insert_row,
]


def write_csv(draw, records: list[list[str]]) -> str:
    """As the csv module writes (LF or CRLF, minimal or full quoting) or as fields joined by commas."""
    how = draw(st.sampled_from(["minimal", "minimal", "all", "joined"]))
    end = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    if how == "joined":
        return "".join(",".join(r) + end for r in records)
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if how == "all" else csv.QUOTE_MINIMAL
    csv.writer(out, lineterminator=end, quoting=quoting).writerows(records)
    return out.getvalue()


def write_json(draw, doc: Any) -> str:
    return dump(doc, ascii_only=draw(st.booleans()))


# ---- bytes ------------------------------------------------------------------------------------------

BOUNDARIES = frozenset(b'\n\r,:;{}[]" ')
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig", "shift_jis"]
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"]
INSERTED = [c.encode() for c in CONTROL] + [b"\xc2\xa0", b"\xef\xbb\xbf"]
TAILS = [b"\n<html>", b",", b"}", b"]", b"\x00", b"\n\n\n", b"  ", b",,\n", b"\n2026-01-02,1\n"]


def _at(draw, data: bytes) -> int:
    return draw(st.integers(0, len(data)))


def truncate(draw, data: bytes) -> bytes:
    """Cut at a boundary (after a line, a field, a token) or, less often, at any byte."""
    cuts = [i for i, byte in enumerate(data) if byte in BOUNDARIES]
    if cuts and draw(st.integers(0, 3)):
        at = draw(st.sampled_from(cuts))
        return data[: at + draw(st.integers(0, 1))]
    return data[: _at(draw, data)]


def reencode(draw, data: bytes) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


def bom(_draw, data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


def insert_bytes(draw, data: bytes) -> bytes:
    at = _at(draw, data)
    return data[:at] + draw(st.sampled_from(INSERTED + INVALID_UTF8)) + data[at:]


def line_ends(draw, data: bytes) -> bytes:
    return data.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"\n\n"])))


def tail(draw, data: bytes) -> bytes:
    return data + draw(st.sampled_from(TAILS))


def repeat_span(draw, data: bytes) -> bytes:
    start = _at(draw, data)
    end = draw(st.integers(start, min(len(data), start + 200)))
    return data[:end] + data[start:end] + data[end:]


BYTE_MUTATIONS: list[Callable] = [
    truncate,
    truncate,
    reencode,
    bom,
    insert_bytes,
    line_ends,
    tail,
    repeat_span,
]
