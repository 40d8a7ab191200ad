"""What real history shows for each bound of gate.yaml, measured on a warehouse.

Run on a warehouse holding the real payloads' full history (every vintage replayed in turn:
`tests/test_calibration.py` builds one from tests/fixtures/real/), `observe` gives, for every bound,
the extremes the data reached, which gate.yaml records under `real` next to the bound. A bound no
real series feeds observes nothing (None), and records nothing.

    python -m expectations.calibration <warehouse.duckdb>

prints each bound against the extremes observed, and the margin.
"""

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from assets.ingest import CONNECTORS
from assets.raw import ident
from config.gate import Allowances, Limit, Range, load_allowances
from expectations.suites.price_series import profile_query
from expectations.suites.spec import SuiteInputs


@dataclass(frozen=True)
class Extremes:
    min: float | None
    max: float | None


Bound = Limit | Range


def bounds(allowances: Allowances) -> Iterator[tuple[tuple[str, ...], Bound]]:
    """Every bound of gate.yaml with its path, e.g. ("marts", "mart_macro", "ranges", "cpi_yoy_pct")."""
    settings = allowances.settings
    yield ("max_move_pct",), settings.max_move_pct
    for frequency, limit in settings.max_gap_days.items():
        yield ("max_gap_days", frequency), limit
    yield ("revisions", "level_pct"), settings.revisions.level_pct
    yield ("revisions", "percent_pp"), settings.revisions.percent_pp
    for i, pair in enumerate(settings.agreement):
        yield ("agreement", str(i)), Limit(limit=pair.tolerance_pct, real=pair.real)
    for mart, override in settings.marts.items():
        for column, bound in override.ranges.items():
            yield ("marts", mart, "ranges", column), bound
        for column, limit in override.moves.items():
            yield ("marts", mart, "moves", column), limit


def _profile(con, allowances: Allowances) -> list[dict]:
    sql, params = profile_query(SuiteInputs(as_of=dt.date.today(), allowances=allowances))
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _largest(values) -> Extremes:
    present = [v for v in values if v is not None]
    return Extremes(None, max(present) if present else None)


def _revisions(con, allowances: Allowances) -> dict[str, Extremes]:
    """The largest revision ever recorded, relative for levels and in points for percent series."""
    level, points = [], []
    for connector in CONNECTORS:
        if connector.checked_value is None or not _exists(con, "raw", f"{connector.table}_history"):
            continue
        table = ident(connector.table)
        key, day, value = (
            ident(c) for c in (connector.series_column, connector.date_column, connector.checked_value)
        )
        rows = con.execute(
            f"""
            select h.{key}, max(abs(r.{value} / h.{value} - 1)) * 100, max(abs(r.{value} - h.{value}))
            from raw.{table}_history as h
            inner join raw.{table} as r on r.{key} = h.{key} and r.{day} = h.{day}
            where h.{value} <> r.{value}
            group by 1
            """
        ).fetchall()
        for series_id, relative, absolute in rows:
            try:
                unit = allowances.catalog.get(connector.source, series_id).unit
            except KeyError:
                continue
            (points if unit.startswith("percent") else level).append(
                absolute if unit.startswith("percent") else relative
            )
    return {"level_pct": _largest(level), "percent_pp": _largest(points)}


def _exists(con, schema: str, name: str) -> bool:
    query = "select 1 from duckdb_tables() where schema_name = ? and table_name = ?"
    return bool(con.execute(query, [schema, name]).fetchall())


def observe(
    con: duckdb.DuckDBPyConnection, allowances: Allowances | None = None
) -> dict[tuple[str, ...], Extremes]:
    """For every bound of gate.yaml, the extremes the warehouse's data reach (None: no data)."""
    allowances = allowances or load_allowances()
    profile = _profile(con, allowances)
    revisions = _revisions(con, allowances)
    out: dict[tuple[str, ...], Extremes] = {}
    for path, _ in bounds(allowances):
        if path == ("max_move_pct",):
            out[path] = _largest(p["max_abs_return_pct"] for p in profile)
        elif path[0] == "max_gap_days":
            out[path] = _largest(
                p["max_gap_days"]
                for p in profile
                if allowances.frequency(f"{p['source']}/{p['series_id']}") == path[1]
            )
        elif path[0] == "revisions":
            out[path] = revisions[path[1]]
        elif path[0] == "agreement":
            pair = allowances.settings.agreement[int(path[1])]
            out[path] = _largest(
                p["max_deviation_pct"] for p in profile if f"{p['source']}/{p['series_id']}" == pair.series
            )
        elif not _exists(con, "marts", path[1]):
            out[path] = Extremes(None, None)
        else:
            out[path] = _column(con, path[1], path[2], path[3])
    return out


def _column(con, mart: str, kind: str, column: str) -> Extremes:
    """A range: the column's min and max. A move: the largest change of a level along the spine."""
    table, name = f"marts.{ident(mart)}", ident(column)
    columns = {r[0] for r in con.execute(f"describe {table}").fetchall()}
    if name not in columns:  # a move keyed by something other than a column (value shares' indicators)
        return Extremes(None, None)
    if kind == "ranges":
        low, high = con.execute(f"select min({name}), max({name}) from {table}").fetchall()[0]
        return Extremes(low, high)
    (move,) = con.execute(
        f"""
        select max(abs(change)) from (
            select 100 * {name} / lag({name}) over (order by date) - 100 as change from {table}
        )
        """
    ).fetchall()[0]
    return Extremes(None, move)


def _span(low: float | None, high: float | None) -> str:
    return f"{'' if low is None else f'{low:g}'}..{'' if high is None else f'{high:g}'}"


def margin(bound: Bound, seen: Extremes) -> float | None:
    """How far the bound stands beyond real history, on its tighter side (1.5 = 50 % beyond)."""
    if isinstance(bound, Limit):
        return bound.limit / seen.max if seen.max else None
    sides = []
    if bound.max is not None and seen.max is not None and seen.max > 0 and bound.max > 0:
        sides.append(bound.max / seen.max)
    if bound.min is not None and seen.min is not None and seen.min < 0 and bound.min < 0:
        sides.append(bound.min / seen.min)
    return min(sides) if sides else None


def table(observed: dict[tuple[str, ...], Extremes], allowances: Allowances) -> str:
    """Markdown: each bound, its limits, what real history reached, and the margin."""
    lines = ["| bound | limits | real history | margin |", "| --- | --- | --- | --- |"]
    for path, bound in bounds(allowances):
        seen = observed[path]
        limits = f"±{bound.limit:g}" if isinstance(bound, Limit) else _span(bound.min, bound.max)
        if seen.max is None:
            real = "no real payload"
        else:
            real = (
                _span(round(seen.min, 2), round(seen.max, 2)) if seen.min is not None else f"{seen.max:.2f}"
            )
        factor = margin(bound, seen)
        lines.append(f"| {'.'.join(path)} | {limits} | {real} | {f'{factor:.2f}x' if factor else ''} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    allowances = load_allowances()
    with duckdb.connect(argv[0], read_only=True) as con:
        print(table(observe(con, allowances), allowances))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
