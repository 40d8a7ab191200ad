"""`make run` and `make sql`: the pipeline with readable progress, and the analysts' SQL shell.

`run` executes the daily job in this process against the project's Dagster instance (so the run
shows up in the UI), prints one line per step as it starts and ends, writes the full event log
to a file, and prints the thesis summary. A failure names the asset or check and why.
"""

import argparse
import contextlib
import datetime as dt
import fcntl
import logging
import os
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import polars as pl

from config.resources import data_dir

_SHOWN = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "ASSET_CHECK_EVALUATION", "STEP_UP_FOR_RETRY"}


class Progress:
    """Follows a run's event log from a thread: progress to stdout, everything to the log file."""

    MAX_EXPECTATION_LINES = 8

    def __init__(self, instance, run_id: str, total_steps: int, log_path: Path, out: TextIO):
        self.instance, self.run_id, self.total, self.out = instance, run_id, total_steps, out
        # Line-buffered: a run that is killed still leaves every line it got to in the log.
        self.log = log_path.open("a", buffering=1)
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        self.done = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._cursor: str | None = None
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self) -> "Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._drain()
        self.log.close()

    def _say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{self.done:>2}/{self.total}] {elapsed:6.1f}s  {text}", file=self.out, flush=True)

    def _follow(self) -> None:
        while not self._stop.wait(0.25):
            self._drain()

    def _drain(self) -> None:
        # Only the records after the last one seen. Re-reading the whole log every quarter second
        # made the follower cost the run itself about a fifth of its time (it deserialises every
        # record while holding the GIL), growing with the square of the number of events.
        page = self.instance.get_records_for_run(self.run_id, cursor=self._cursor)
        for record in page.records:
            self._handle(record.event_log_entry)
        self._cursor = page.cursor

    def _handle(self, record) -> None:
        stamp = dt.datetime.fromtimestamp(record.timestamp).isoformat(timespec="milliseconds")
        event = record.dagster_event
        kind = event.event_type_value if event else "LOG"
        step = record.step_key or ""
        message = record.user_message or ""
        self.log.write(f"{stamp} {kind:<28} {step} {message}\n")
        if event is None and not step and record.level >= logging.INFO:
            # Run-level messages, e.g. "waiting for run … to release the warehouse".
            self._say(f"… {message}")
            return
        if event is None and step and message.endswith("Not executing."):
            # A step whose upstream failed (a blocking check among them) is not run: say so, and why.
            self.done += 1
            self._say(f"- {step} not run: an upstream step or blocking check failed")
            return
        if event is None or kind not in _SHOWN:
            return
        if kind == "STEP_START":
            self.step_started[step] = time.monotonic()
            self._say(f"▶ {step}")
        elif kind == "STEP_SUCCESS":
            self.done += 1
            took = time.monotonic() - self.step_started.get(step, self.started)
            self._say(f"✓ {step} ({took:.1f}s)")
        elif kind == "STEP_UP_FOR_RETRY":
            self._say(f"↻ {step} will be retried: {record.user_message}")
        elif kind == "STEP_FAILURE":
            self.done += 1
            from orchestration.sensors import failure_reason

            error = event.step_failure_data.error if event.step_failure_data else None
            if error is not None:
                self.log.write(error.to_string() + "\n")
            reason = failure_reason(error) or record.user_message
            self.failures.append(f"{step}: {reason}")
            self._say(f"✗ {step} FAILED: {reason}")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                check = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                level = evaluation.severity.value
                detail = {
                    k: v.value for k, v in evaluation.metadata.items() if k in ("failed", "warnings", "rows")
                }
                self.failures.append(f"check {check} did not pass ({level}) {detail}")
                self._say(f"! check {check} did not pass ({level}) {detail}")
                # The gate's checks name each expectation that did not pass, with counts and an example.
                failures = evaluation.metadata.get("failures")
                lines = [f["summary"] for f in (failures.value if failures else []) if "summary" in f]
                for line in lines[: self.MAX_EXPECTATION_LINES]:
                    self.failures.append(f"{check}: {line}")
                    print(f"{'':17}- {line}", file=self.out, flush=True)
                if len(lines) > self.MAX_EXPECTATION_LINES:
                    print(f"{'':17}  ... {len(lines) - self.MAX_EXPECTATION_LINES} more", file=self.out)
                docs = evaluation.metadata.get("data_docs")
                if docs is not None:
                    print(f"{'':17}  Data Docs: {docs.value}", file=self.out, flush=True)


@contextlib.contextmanager
def _stdio_to(log_path: Path) -> Iterator[TextIO]:
    """Send this process's stdout/stderr (dbt's output included) to the log; yield the terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    with log_path.open("a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()


def summary_table(rows: pl.DataFrame, width: int = 110) -> str:
    """Pillars and the verdict (row_type, pillar, status, score, evidence) as a plain-text table
    `width` columns wide, the evidence wrapped in its column."""
    widths = (12, 12, 6)
    indent = sum(widths) + len(widths)
    lines = [f"{'pillar':<12} {'status':<12} {'score':>6} evidence", "-" * width]
    for row in rows.iter_rows(named=True):
        name = "VERDICT" if row["row_type"] == "verdict" else row["pillar"]
        score = "" if row["score"] is None else f"{row['score']:+.2f}"
        wrapped = textwrap.wrap(row["evidence"] or "", width - indent) or [""]
        lines.append(f"{name:<12} {row['status']:<12} {score:>6} {wrapped[0]}")
        lines += [" " * indent + more for more in wrapped[1:]]
    return "\n".join(lines)


def _print_summary(published: Path) -> None:
    """From the analysts' copy this run published: the live file may already be another run's."""
    import duckdb

    from assets.report import REPORT_NAME

    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.sql(
            """
            select row_type, pillar, status, score, evidence, as_of, origin
            from marts.thesis_summary
            where row_type in ('pillar', 'verdict')
            """
        ).pl()
    # Pillars in the thesis file's order (the table's), the verdict last.
    rows = rows.sort(pl.col("row_type") == "verdict", maintain_order=True)
    print(f"Thesis summary as of {rows['as_of'][0]} (data origin: {rows['origin'][-1]})\n")
    print(summary_table(rows))
    report = data_dir() / "reports" / REPORT_NAME
    if report.exists():
        print(f"\nReport (markdown and charts): {report}")


def _instance():
    """The project's Dagster instance ($DAGSTER_HOME).

    Two processes that create a new DAGSTER_HOME's SQLite storage at once both stamp its schema
    version, and every later load fails ("more than one head present"), so creation is serialised.
    """
    import dagster as dg

    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".instance.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return dg.DagsterInstance.get()


def run() -> int:
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.utils import make_new_run_id

    from assets.publish import published_path
    from config.resources import SourceSettings, WarehouseResource
    from orchestration.definitions import defs

    if not os.environ.get("DAGSTER_HOME"):
        print("DAGSTER_HOME is not set: run this through `make run`.", file=sys.stderr)
        return 2
    instance = _instance()
    job = defs.resolve_job_def("thesis_daily")
    run_id = make_new_run_id()
    log_path = data_dir() / "logs" / f"run-{dt.datetime.now():%Y%m%d-%H%M%S}-{run_id[:8]}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    total = len(create_execution_plan(job).step_keys_to_execute)
    sources, warehouse = SourceSettings(), WarehouseResource()
    print(
        f"Thesis warehouse: {sources.resolved_mode()} mode, as of {sources.reference_date()}, "
        f"warehouse {warehouse.resolved_path()}\nFull log: {log_path}\n",
        flush=True,
    )
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    with _stdio_to(log_path) as terminal, Progress(instance, run_id, total, log_path, terminal) as progress:
        result = job.execute_in_process(
            instance=instance, run_id=run_id, raise_on_error=False, run_config=quiet
        )
    elapsed = time.monotonic() - progress.started
    if not result.success:
        print(f"\nRun {run_id} FAILED after {elapsed:.1f}s:", file=sys.stderr)
        for failure in progress.failures or ["see the log"]:
            print(f"  - {failure}", file=sys.stderr)
        print(f"Full log: {log_path}", file=sys.stderr)
        return 1
    print(f"\nRun {run_id} succeeded in {elapsed:.1f}s. Full log: {log_path}\n")
    _print_summary(published_path(warehouse))
    return 0


def sql() -> int:
    """Open the published copy read-only in the DuckDB CLI (never the live file)."""
    from assets.publish import published_path
    from config.resources import WarehouseResource

    target = published_path(WarehouseResource())
    if not target.exists():
        print(f"No published warehouse at {target} yet: run `make run` first.", file=sys.stderr)
        return 1
    cli = Path(sys.executable).with_name("duckdb")
    print(f"Read-only session on {target} (published after the last successful run). .help for help.")
    os.execv(cli, [str(cli), "-readonly", str(target)])  # noqa: S606 (a fixed binary, no shell)
    return 0  # unreachable: execv replaces this process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli")
    parser.add_argument("command", choices=["run", "sql"])
    args = parser.parse_args(argv)
    return {"run": run, "sql": sql}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
