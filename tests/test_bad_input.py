"""Bad input is refused loudly: for every source format, each kind of bad body (tests/bad_input/matrix.py)
either parses to exactly the clean rows or is rejected with a SourceError naming source, series and
place; and through the ingest asset, a rejected body changes nothing of its series in the warehouse
while the source's other series still load."""

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass

import dagster as dg
import duckdb
import pytest

from assets.ingest import ingest_assets
from assets.raw import ident
from assets.sources.base import Body, Connector, CorruptData, SourceError, Window
from assets.sources.bodies import write_snapshot
from config.catalog import load_catalog
from config.resources import SourceSettings, WarehouseResource
from tests.bad_input import mutations as m
from tests.bad_input.matrix import AS_OF, FORMATS, Case, Format
from tests.conftest import NOW

CASES = [pytest.param(f, c, id=f"{f.name}: {c.kind}") for f in FORMATS for c in f.cases]


@dataclass(frozen=True)
class Outcome:
    status: str  # parsed | rejected
    rows: list[dict] | None = None
    error: SourceError | None = None


def sorted_rows(table, connector: Connector) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda row: tuple(str(row[k]) for k in connector.key))


def run(fmt: Format, case: Case) -> Outcome:
    """Parse the mutated body; anything but a SourceError (a crash) propagates and fails the test."""
    try:
        table = fmt.connector.parse(fmt.body(case.mutate(fmt.valid())))
    except SourceError as exc:
        return Outcome("rejected", error=exc)
    return Outcome("parsed", rows=sorted_rows(table, fmt.connector))


def clean_rows(fmt: Format) -> list[dict]:
    return sorted_rows(fmt.connector.parse(fmt.body(fmt.valid())), fmt.connector)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_format_has_ten_kinds_or_more_and_a_valid_body_that_parses(fmt):
    kinds = [c.kind for c in fmt.cases]
    assert len(set(kinds)) == len(kinds) >= 10
    assert {c.expect for c in fmt.cases} == {"parsed", "rejected"}
    assert len(clean_rows(fmt)) >= 4
    if fmt.ext == "csv":
        # The CSV codec is lossless, so each mutation changes only what its name says.
        assert m.csv_bytes(m.csv_records(fmt.valid())) == fmt.valid()


@pytest.mark.parametrize(("fmt", "case"), CASES)
def test_a_bad_body_is_parsed_exactly_or_rejected_naming_source_series_and_place(fmt, case):
    got = run(fmt, case)
    assert got.status == case.expect, got.error
    if case.expect == "parsed":
        assert got.rows == clean_rows(fmt)
        return
    error = got.error
    assert error.source == fmt.connector.source and error.series == fmt.key
    assert error.where is not None and re.fullmatch(case.where, error.where), error.where
    assert case.problem in error.problem
    assert str(error).startswith(f"{fmt.connector.source}/{fmt.key} at {error.where}: ")


def test_print_the_matrix(capsys):
    counts: Counter[tuple[str, str]] = Counter()
    lines = [f"{'format':<17} {'kind':<34} {'outcome':<9} message excerpt"]
    for fmt in FORMATS:
        for case in fmt.cases:
            got = run(fmt, case)
            assert got.status == case.expect, (fmt.name, case.kind, got.error)
            counts[(fmt.name, got.status)] += 1
            excerpt = str(got.error)[:96] if got.error else f"= the clean body's {len(got.rows)} rows"
            lines.append(f"{fmt.name:<17} {case.kind:<34} {got.status:<9} {excerpt}")
    lines.append("")
    lines.append(f"{'format':<17} {'parsed':>7} {'rejected':>9}")
    for fmt in FORMATS:
        lines.append(f"{fmt.name:<17} {counts[(fmt.name, 'parsed')]:>7} {counts[(fmt.name, 'rejected')]:>9}")
    total = Counter(status for (_, status), n in counts.items() for _ in range(n))
    lines.append(f"{'total':<17} {total['parsed']:>7} {total['rejected']:>9}")
    with capsys.disabled():
        print("\n\nBad-input matrix\n" + "\n".join(lines))
    assert sum(total.values()) == len(CASES)


# ---- through the ingest asset, on a temporary warehouse in replay mode ---------------------------
# A representative subset per format: a body refused before any row is read (HTML), one cut off
# mid-way, one refused by a row check after every row was read (duplicates), and one that parses to
# the same rows (BOM + CRLF). The ingest asset handles every SourceError alike (no row of the
# series reaches the load), so which check fired does not matter to the warehouse; the parse-level
# test above covers each check. BAD_INPUT_EVERY_KIND=1 sends every kind through (about 1 min).
INGEST_KINDS = ("HTML", "truncated", "duplicate", "UTF-8 BOM")


def through_ingest(fmt: Format) -> list[Case]:
    if os.environ.get("BAD_INPUT_EVERY_KIND") == "1":
        return list(fmt.cases)
    return [c for c in fmt.cases if c.kind.startswith(INGEST_KINDS)]


def snapshot_body(connector: Connector, key: str, ext: str, content: bytes) -> Body:
    return Body(connector.source, key, ext, content, "replay", NOW, "test://bad-input")


def series_digest(path, connector: Connector, key: str) -> tuple[int, str]:
    """(current rows, sha256 of the series' rows in the raw table and its history)."""
    table, column = ident(connector.table), ident(connector.series_column)
    with duckdb.connect(str(path), read_only=True) as con:
        current = con.execute(f"select * from raw.{table} where {column} = ? order by all", [key]).fetchall()
        history = con.execute(
            f"select * from raw.{table}_history where {column} = ? order by all", [key]
        ).fetchall()
    return len(current), hashlib.sha256(repr((current, history)).encode()).hexdigest()


def audit(path, run_id: str, source: str) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select series_id, status, error, rows_new, rows_revised from raw.load_audit "
            "where run_id = ? and source = ?",
            [run_id, source],
        ).fetchall()
    return {series: rest for series, *rest in rows}


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_a_rejected_body_changes_nothing_of_its_series_and_the_others_still_load(
    fmt, warehouse_env, tmp_path, capsys
):
    connector = fmt.connector
    snapshot = tmp_path / "snapshot"
    siblings = [s for s in load_catalog().for_source(connector.source) if s.key != fmt.key]
    # One sibling joins only with the first bad body: it must load in the very run that refuses it.
    late = siblings.pop() if siblings else None

    def sibling_body(series) -> Body:
        content = connector.demo(series, Window(AS_OF.replace(year=AS_OF.year - 1), AS_OF))
        return snapshot_body(connector, series.key, connector.demo_ext, content)

    for series in siblings:
        write_snapshot(snapshot, sibling_body(series))
    write_snapshot(snapshot, fmt.body(fmt.valid()))
    asset = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", connector.table]))
    resources = {
        "warehouse": WarehouseResource(),
        # Every run re-reads every series: this test is about refusals, not the slow-source skip rule.
        "sources": SourceSettings(mode="replay", snapshot_dir=str(snapshot), force_refetch=True),
    }
    instance = dg.DagsterInstance.ephemeral()

    def ingest() -> dict[str, tuple]:
        result = dg.materialize([asset], resources=resources, instance=instance)
        assert result.success
        return audit(warehouse_env, result.run_id, connector.source)

    first = ingest()
    assert first[fmt.key][0] == "loaded" and all(first[s.key][0] == "loaded" for s in siblings)
    rows, before = series_digest(warehouse_env, connector, fmt.key)
    assert rows == len(clean_rows(fmt))
    if late is not None:
        write_snapshot(snapshot, sibling_body(late))

    cases = through_ingest(fmt)
    assert {c.expect for c in cases} == {"parsed", "rejected"}
    outcomes: Counter[str] = Counter()
    for number, case in enumerate(cases):
        write_snapshot(snapshot, fmt.body(case.mutate(fmt.valid())))
        got = ingest()
        status, error, rows_new, rows_revised = got[fmt.key]
        if case.expect == "rejected":
            error_raised = run(fmt, case).error
            # Impossible values are corruption (the load check blocks on them); anything else is
            # a body that is not data, a failure that only makes the series absent today.
            expected = "rejected" if isinstance(error_raised, CorruptData) else "failed"
            assert (status, error) == (expected, str(error_raised)), case.kind
        else:
            assert (status, rows_new, rows_revised) == ("loaded", 0, 0), case.kind
        assert series_digest(warehouse_env, connector, fmt.key)[1] == before, case.kind
        assert all(got[s.key][0] == "loaded" for s in siblings), case.kind
        if late is not None:
            assert got[late.key][0] == "loaded" and (number > 0 or got[late.key][2] > 0)
        outcomes[status] += 1
    with capsys.disabled():
        print(
            f"\n{fmt.name}: {len(cases)} bodies through the ingest asset, {fmt.key} unchanged after each; "
            f"audit {dict(outcomes)}; "
            + (
                f"{len(siblings) + 1} other series loaded in every run"
                if late
                else "the source's only series"
            )
        )
