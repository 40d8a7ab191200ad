"""A reader process for the concurrency test (`python -m tests.published_reader <file> <stop file>`).

It does what an analyst's session does, as fast as it can: connect read-only to the published
copy, read several tables, check they all come from one run, close. It stops when the stop file
appears and prints its counts as JSON. A separate process, because DuckDB caches one database
instance per file and process (STACK.md §5): threads would share one and prove nothing.
"""

import json
import sys
import time
from pathlib import Path

import duckdb


def one_run(con, run_id: str, summary_run_id: str, as_of) -> bool:
    """Whether the summary, its history row, the audit and a mart read on `con` all come from the
    run that published (run_info's `run_id`)."""
    summary = con.execute("select distinct run_id from marts.thesis_summary").fetchall()
    history = con.execute(
        "select distinct run_id from marts.thesis_summary_history where as_of = ?", [as_of]
    ).fetchall()
    audited = con.execute("select count(*) from raw.load_audit where run_id = ?", [run_id]).fetchall()
    mart = con.execute("select count(*) from marts.mart_dollar").fetchall()
    return (
        run_id == summary_run_id
        and summary == [(run_id,)]
        and history == [(run_id,)]
        and audited[0][0] > 0
        and mart[0][0] > 0
    )


def read_once(path: Path) -> tuple[str, bool]:
    """(run id, consistent) of one complete read of the published copy."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        ((run_id, summary_run_id, as_of),) = con.execute(
            "select run_id, summary_run_id, as_of from published.run_info"
        ).fetchall()
        consistent = one_run(con, run_id, summary_run_id, as_of)
    finally:
        con.close()
    return run_id, consistent


def main(path: Path, stop: Path) -> dict:
    counts = {"reads": 0, "lock_errors": 0, "inconsistent_reads": 0, "other_errors": 0, "waits": 0}
    runs_seen: list[str] = []
    errors: list[str] = []
    while not stop.exists():
        if not path.exists():  # before the first publish
            counts["waits"] += 1
            time.sleep(0.05)
            continue
        try:
            run_id, consistent = read_once(path)
        except duckdb.Error as exc:
            kind = "lock_errors" if "lock" in str(exc).lower() else "other_errors"
            counts[kind] += 1
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
            continue
        counts["reads"] += 1
        counts["inconsistent_reads"] += not consistent
        if run_id not in runs_seen:
            runs_seen.append(run_id)
        time.sleep(0.01)  # leave the writer some CPU on a small machine
    return {**counts, "runs_seen": runs_seen, "errors": errors[:5]}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
