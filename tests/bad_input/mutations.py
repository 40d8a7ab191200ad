"""Small mutation functions: each turns a valid body into one kind of bad (or merely awkward) body.

A mutation is `bytes -> bytes`. CSV bodies are edited record by record through the csv module
(so quoted, multi-line attribute values stay intact) and JSON bodies as documents; both codecs
round-trip a valid body exactly, so a mutation changes only what its name says.
"""

import copy
import csv
import io
import json
from collections.abc import Callable
from typing import Any

Mutation = Callable[[bytes], bytes]
Path = tuple[str | int, ...]

BOM = b"\xef\xbb\xbf"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
    b"<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>\n"
)


def html(_: bytes) -> bytes:
    return HTML_PAGE


def empty(_: bytes) -> bytes:
    return b""


def constant(content: str) -> Mutation:
    """Whatever the valid body was, the source sent this instead (an error answer, another endpoint)."""
    return lambda _: content.encode()


def bom_crlf(body: bytes) -> bytes:
    """A UTF-8 byte-order mark and Windows line ends, as a proxy or a hand-saved file may add."""
    return BOM + body.replace(b"\n", b"\r\n")


def cut_at(fraction: float) -> Mutation:
    """The connection dropped part-way through the body."""
    return lambda body: body[: int(len(body) * fraction)]


def cut_mid_last_line(body: bytes) -> bytes:
    """Cut three characters before the end of the last line, as a dropped connection does mid-number."""
    return body.rstrip(b"\n")[:-3]


# ---- CSV ---------------------------------------------------------------------------------------


def csv_records(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(), newline="")))


def csv_bytes(records: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    return out.getvalue().encode()


def on_csv(edit: Callable[[list[list[str]]], list[list[str]] | None]) -> Mutation:
    """Apply `edit` to the records (header first); it edits in place or returns new records."""

    def mutate(body: bytes) -> bytes:
        records = csv_records(body)
        edited = edit(records)
        return csv_bytes(records if edited is None else edited)

    return mutate


def _column(records: list[list[str]], column: int | str) -> int:
    return records[0].index(column) if isinstance(column, str) else column


def cell(record: int, column: int | str, value: str) -> Mutation:
    """Set one field; record 0 is the header, a column is an index or a header name."""

    def edit(records: list[list[str]]) -> None:
        records[record][_column(records, column)] = value

    return on_csv(edit)


def header_only(body: bytes) -> bytes:
    return on_csv(lambda records: records[:1])(body)


def duplicate_record(record: int) -> Mutation:
    """The record again right after itself, as a second vintage of the same date would be."""
    return on_csv(lambda records: [*records[: record + 1], records[record], *records[record + 1 :]])


def reverse_records(body: bytes) -> bytes:
    return on_csv(lambda records: [records[0], *reversed(records[1:])])(body)


def drop_field(record: int) -> Mutation:
    return on_csv(lambda records: [r[:-1] if i == record else r for i, r in enumerate(records)])


def add_column(name: str, value: str) -> Mutation:
    return on_csv(lambda records: [records[0] + [name], *([*r, value] for r in records[1:])])


# ---- JSON --------------------------------------------------------------------------------------


def locate(doc: Any, path: Path) -> tuple[Any, str | int]:
    *head, last = path
    for step in head:
        doc = doc[step]
    return doc, last


def on_json(edit: Callable[[Any], Any]) -> Mutation:
    """Apply `edit` to a copy of the document; it edits in place or returns a new document."""

    def mutate(body: bytes) -> bytes:
        doc = copy.deepcopy(json.loads(body))
        edited = edit(doc)
        return json.dumps(doc if edited is None else edited, ensure_ascii=False).encode()

    return mutate


def put(path: Path, value: Any, *more: tuple[Path, Any]) -> Mutation:
    """Set the value at each path (`("observations", 2, "value")`)."""

    def edit(doc: Any) -> None:
        for where, new in ((path, value), *more):
            parent, last = locate(doc, where)
            parent[last] = new

    return on_json(edit)


def copy_item(path: Path, into: Path) -> Mutation:
    """Set `into` to a copy of the value at `path` (a duplicate id, a second row for one date)."""

    def edit(doc: Any) -> None:
        source, key = locate(doc, path)
        target, last = locate(doc, into)
        target[last] = copy.deepcopy(source[key])

    return on_json(edit)


def insert_copy(path: Path, index: int) -> Mutation:
    """Insert a copy of item `index` of the list at `path` right after it."""

    def edit(doc: Any) -> None:
        items, key = locate(doc, path)
        items[key].insert(index + 1, copy.deepcopy(items[key][index]))

    return on_json(edit)


def reverse_lists(*paths: Path) -> Mutation:
    """Reverse each list (parallel arrays are reversed together, so the data is only reordered)."""

    def edit(doc: Any) -> None:
        for path in paths:
            parent, last = locate(doc, path)
            parent[last] = list(reversed(parent[last]))

    return on_json(edit)


def rename_key(items: Path, old: str, new: str) -> Mutation:
    """Rename a key in the object at `items`, or in every object of the list at `items`."""

    def edit(doc: Any) -> None:
        parent, last = locate(doc, items)
        target = parent[last]
        for item in target if isinstance(target, list) else [target]:
            item[new] = item.pop(old)

    return on_json(edit)


def json_bom_crlf(body: bytes) -> bytes:
    """Pretty-printed (so there are line ends to change), then a BOM and CRLF line ends."""
    return bom_crlf(json.dumps(json.loads(body), indent=1, ensure_ascii=False).encode())
