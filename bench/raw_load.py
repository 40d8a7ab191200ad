"""The raw layer's load alone: N Yahoo-shaped series of 2,600 days into an empty DuckDB file.

    python -m bench.raw_load 5000

No Dagster, no body generation or parsing: `raw.load` on ready Arrow tables, in its one
transaction, with the warehouse's connection settings, then a checkpoint. Prints the DuckDB
version, the rows, the wall time of load and checkpoint, and the process's peak RSS; run it under
each DuckDB to compare versions.
"""

import datetime as dt
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from assets import raw
from assets.sources.yahoo import CONNECTOR
from config.resources import CONNECTION_CONFIG

DAYS = 2_600


@dataclass(frozen=True)
class _Body:
    """What the raw layer reads of a body: its series and lineage."""

    key: str
    origin: str = "demo"
    fetched_at: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    sha256: str = "ab" * 32
    url: str = "bench://raw_load"


def _series(n: int):
    dates = pa.array(np.arange(np.datetime64("2016-01-01"), np.datetime64("2016-01-01") + DAYS), pa.date32())
    rng = np.random.default_rng(1)
    for i in range(n):
        symbol = f"S{i:05d}"
        price = pa.array(rng.random(DAYS) + 1)
        rows = {
            "symbol": pa.repeat(pa.scalar(symbol), DAYS),
            "obs_date": dates,
            **dict.fromkeys(("open", "high", "low", "close", "adj_close"), price),
            "volume": pa.array(np.arange(DAYS)),
            "currency": pa.repeat(pa.scalar("USD"), DAYS),
            "exchange_timezone": pa.repeat(pa.scalar("America/New_York"), DAYS),
        }
        yield raw.Parsed(body=_Body(symbol), rows=pa.table(rows).cast(CONNECTOR.schema))


def main(n: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        duckdb.connect(str(Path(tmp) / "warehouse.duckdb"), config=dict(CONNECTION_CONFIG)) as con,
    ):
        start = time.perf_counter()
        raw.load(con, CONNECTOR, _series(n), [], "bench")
        con.execute("checkpoint")
        seconds = time.perf_counter() - start
        rows = con.execute("select count(*) from raw.yahoo_prices").fetchone()[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"duckdb {duckdb.__version__}: {n} series, {rows:,} rows loaded in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s), peak RSS {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000)
