"""A reader process for the team profile's test (`python -m tests.team.lake_reader <stop file>`,
the lake from the environment, as `make sql` finds it).

It reads as fast as it can while runs write, each read in a fresh session (a new process's view):
  * as an analyst: attach the lake read-only at the newest published snapshot and check that
    everything read comes from one run (run_info, the summary, its history, the audit, a mart);
  * as a tool on the latest state: attach read-only without a snapshot (whatever was committed
    last) and check that every raw row has its load's audit row: one load is one commit, so a
    torn load would show rows without their audit.
It stops after one more read once the stop file appears, and prints its counts as JSON.
"""

import json
import sys
import time
from contextlib import closing
from pathlib import Path

import duckdb

from config import lake
from config.resources import WarehouseResource
from tests.published_reader import one_run

TORN = """
select count(*) from {table}
where body_sha256 not in (
    select body_sha256 from raw.load_audit where status = 'loaded' and body_sha256 is not null
)
"""


def read_published(target: lake.Lake) -> tuple[str, int, bool]:
    """(run id, snapshot, consistent) of one analyst's read of the published snapshot."""
    with lake.open_published(target) as (con, snapshot):
        ((run_id, summary_run_id, as_of, data_snapshot),) = con.execute(
            "select run_id, summary_run_id, as_of, snapshot_id from published.run_info"
        ).fetchall()
        consistent = one_run(con, run_id, summary_run_id, as_of) and data_snapshot < snapshot
    return run_id, snapshot, consistent


def read_latest(target: lake.Lake) -> tuple[int, int]:
    """(snapshot, raw rows without their load's audit row) of one read of the latest state."""
    with closing(target.connect(read_only=True)) as con:
        snapshot = lake.snapshot_id(con)
        tables = [
            r[0]
            for r in con.execute(
                "select 'raw.' || table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name in ('fred_observations', 'yahoo_prices')"
            ).fetchall()
        ]
        if (
            not tables
            or not con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw' "
                "and table_name = 'load_audit'"
            ).fetchall()[0][0]
        ):
            return snapshot, 0
        torn = sum(con.execute(TORN.format(table=t)).fetchall()[0][0] for t in tables)
    return snapshot, torn


def main(stop: Path) -> dict:
    target = WarehouseResource().lake()
    counts = {"published_reads": 0, "latest_reads": 0, "errors": 0, "inconsistent": 0, "torn": 0, "waits": 0}
    runs_seen: list[str] = []
    snapshots: set[int] = set()
    latest: set[int] = set()
    errors: list[str] = []
    started = time.monotonic()
    while True:
        # The stop file appears once the runs have ended: the read begun after seeing it is the
        # last, so a read always follows the last publish (a read takes seconds under load).
        last = stop.exists()
        try:
            if lake.latest_published(target) is None:  # before the first publish
                if last:
                    break
                counts["waits"] += 1
                time.sleep(0.2)
                continue
            run_id, snapshot, consistent = read_published(target)
            counts["published_reads"] += 1
            counts["inconsistent"] += not consistent
            snapshots.add(snapshot)
            if run_id not in runs_seen:
                runs_seen.append(run_id)
            snapshot, torn = read_latest(target)
            counts["latest_reads"] += 1
            counts["torn"] += torn > 0
            latest.add(snapshot)
        except (duckdb.Error, lake.LakeError) as exc:
            counts["errors"] += 1
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
            time.sleep(0.2)  # e.g. the catalog not created yet
        if last:
            break
    return {
        **counts,
        "seconds": round(time.monotonic() - started, 1),
        "runs_seen": runs_seen,
        "published_snapshots": sorted(snapshots),
        "latest_snapshots_seen": len(latest),
        "errors_sample": errors[:5],
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
