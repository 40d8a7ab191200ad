"""Small synthetic marts with every column of the real ones (from their dbt contracts), and signal
tables with every column the signal models build, for testing the summary without building the
warehouse.

Each numeric column is a slow sine wave with its own phase, so values cross every threshold
over a few years and pillars change status; every `<x>_date` column equals the row's date (as
the marts' as-of joins give for a series observed that day).
"""

import datetime as dt
import math
import zlib

import duckdb
import polars as pl

from assets.raw import AUDIT_DDL
from config.catalog import load_catalog
from config.resources import CONNECTION_CONFIG
from config.signals import pair_columns, series_columns, signal_windows
from config.theses import load_theses, mart_schemas

START = dt.date(2021, 1, 1)
# How each mart's `date` steps: daily marts every day, monthly ones on the 1st, annual on 1 Jan.
CALENDAR = {
    "mart_dollar": "1d",
    "mart_equities": "1d",
    "mart_crypto": "1d",
    "mart_macro": "1mo",
    "mart_ai_cost": "1mo",
    "mart_value_share": "1y",
}
LEVELS = ("_index", "_close", "_usd", "_usd_per_mtok", "usd_cny", "_average", "_all_time_high", "_ratio")
POLARS_TYPES = {
    "date": pl.Date,
    "double": pl.Float64,
    "bigint": pl.Int64,
    "integer": pl.Int32,
    "varchar": pl.String,
}


def wave(column: str, days: pl.Expr) -> pl.Expr:
    """A sine with a period of about 14 months and a phase and scale fixed by the column's name."""
    seed = zlib.crc32(column.encode())
    scale = 1 + seed % 7
    return scale * (days.cast(pl.Float64) / 420 * 2 * math.pi + seed % 628 / 100).sin()


def mart_frame(mart: str, end: dt.date, start: dt.date = START) -> pl.DataFrame:
    """Rows of `mart` from `start` to `end`, every contract column filled."""
    dates = pl.date_range(start, end, CALENDAR[mart], eager=True).alias("date")
    days = (pl.col("date") - pl.lit(START)).dt.total_days()
    columns = []
    for name, kind in mart_schemas()[mart].items():
        if name == "date":
            continue
        if kind == "date":
            columns.append(pl.col("date").alias(name))
        elif kind == "varchar":
            columns.append(pl.lit(f"{name}-value").alias(name))
        elif name == "year":
            columns.append(pl.col("date").dt.year().cast(pl.Int32).alias(name))
        elif name.endswith(LEVELS):  # prices and indices stay positive, as the marts' tests require
            columns.append((100 * (wave(name, days) / 10).exp()).cast(POLARS_TYPES[kind]).alias(name))
        else:
            columns.append(wave(name, days).cast(POLARS_TYPES[kind]).alias(name))
    return pl.DataFrame(dates).with_columns(columns).select(list(mart_schemas()[mart]))


def all_marts(end: dt.date) -> dict[str, pl.DataFrame]:
    return {mart: mart_frame(mart, end) for mart in CALENDAR}


def _waves(keys: dict[str, str], columns: list[str], every: str, end: dt.date) -> pl.DataFrame:
    """Rows from START to `end` stepping `every`, `keys` as constants, date columns = the row's date,
    every other column a wave of its own (levels positive)."""
    dates = pl.date_range(START, end, every, eager=True).alias("date")
    days = (pl.col("date") - pl.lit(START)).dt.total_days()
    seed = "/".join(keys.values())
    values = []
    for name in columns:
        if name in keys:
            values.append(pl.lit(keys[name]).alias(name))
        elif name == "date":
            continue
        elif name.endswith("date"):
            values.append(pl.col("date").alias(name))
        elif name in ("value", "running_max", "asset_value", "benchmark_value"):
            values.append((100 * (wave(seed + name, days) / 10).exp()).alias(name))
        else:
            values.append(wave(seed + name, days).alias(name))
    return pl.DataFrame(dates).with_columns(values).select(columns)


def signal_tables(end: dt.date) -> dict[str, pl.DataFrame]:
    """marts.signals for every series a thesis' signal reads (monthly series on the 1st of each
    month, others daily) and marts.signal_pairs for every pair, each with all the models' columns."""
    windows = signal_windows()
    frequency = {f"{s.source}/{s.key}": s.frequency for s in load_catalog().series}
    signals = [s for t in load_theses().values() for s in t.signals()]
    series = sorted({s.series for s in signals if not s.against})
    pairs = sorted({(s.series, s.against) for s in signals if s.against})
    every = {"monthly": "1mo", "quarterly": "3mo", "annual": "1y"}
    tables = [
        _waves(
            dict(zip(("source", "series_id"), ref.split("/"), strict=True)),
            series_columns(windows),
            every.get(frequency[ref], "1d"),
            end,
        )
        for ref in series
    ]
    pair_tables = [
        _waves(
            dict(zip(pair_columns(windows)[:4], [*a.split("/"), *b.split("/")], strict=True)),
            pair_columns(windows),
            "1d",
            end,
        )
        for a, b in pairs
    ]
    return {"signals": pl.concat(tables), "signal_pairs": pl.concat(pair_tables)}


def write_warehouse(path, end: dt.date, failed: tuple[str, ...] = (), origin: str = "demo") -> None:
    """A warehouse file holding the marts and signal tables up to `end` and a raw.load_audit in
    which every series the theses cite loaded (with `origin`), except those in `failed`."""
    refs = {s for t in load_theses().values() for c in t.conditions() for s in c.sources}
    audit = pl.DataFrame(
        [
            {
                "run_id": "test",
                "source": ref.split("/")[0],
                "series_id": ref.split("/")[1],
                "status": "failed" if ref in failed else "loaded",
                "origin": origin,
                "error": f"{ref} at line 1: an HTML/XML page instead of data" if ref in failed else None,
                "loaded_at": dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
            }
            for ref in sorted(refs)
            if not ref.startswith("seed/")
        ]
    )
    with duckdb.connect(str(path), config=dict(CONNECTION_CONFIG)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists raw")
        for mart, frame in {**all_marts(end), **signal_tables(end)}.items():
            con.register("frame", frame.to_arrow())
            con.execute(f"create or replace table marts.{mart} as select * from frame")
            con.unregister("frame")
        con.register("audit", audit.to_arrow())
        con.execute(AUDIT_DDL)
        con.execute("insert into raw.load_audit by name select * from audit")
