"""`make run` and `make sql`: the pipeline with readable progress, and the analysts' SQL shell.

`run` executes the daily job in this process against the project's Dagster instance (so the run
shows up in the UI), prints one line per step as it starts and ends, writes the full event log
to a file, and prints every thesis' pillars and verdict. A failure names the asset or check and why.
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

_SHOWN = {
    "STEP_START",
    "STEP_SUCCESS",
    "STEP_FAILURE",
    "ASSET_CHECK_EVALUATION",
    "STEP_UP_FOR_RETRY",
    "ASSET_MATERIALIZATION",
}
# Exit codes of `run` (documented in the README).
EXIT_VERDICT, EXIT_FAILED, EXIT_BLOCKED = 0, 1, 2


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
        # Series an ingest step could not load, and checks that blocked the summary (ERROR).
        self.absent: list[str] = []
        self.blocked: list[str] = []
        self.crashed: list[str] = []
        self._loads: dict[str, dict] = {}
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

    def _step_done(self, step: str, took: float) -> None:
        """An ingest step says what it loaded, skipped and could not load, one line per series it
        could not (with why); a step that could not load everything is not a clean ✓."""
        loads = self._loads.pop(step, None)
        if loads is None:
            self._say(f"✓ {step} ({took:.1f}s)")
            return
        failed = loads.get("failures") or []
        counts = (
            f"{loads['series_loaded']} loaded, {len(loads.get('series_skipped') or [])} skipped, "
            f"{len(failed)} not loaded"
        )
        self._say(f"{'⚠' if failed else '✓'} {step} ({took:.1f}s): {counts}")
        for line in failed:
            self.absent.append(line)
            print(f"{'':17}- {line}", file=self.out, flush=True)

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
        elif kind == "ASSET_MATERIALIZATION":
            metadata = event.event_specific_data.materialization.metadata
            if "series_loaded" in metadata:  # an ingest asset: what it loaded, skipped and could not
                self._loads[step] = {k: v.value for k, v in metadata.items()}
        elif kind == "STEP_SUCCESS":
            self.done += 1
            took = time.monotonic() - self.step_started.get(step, self.started)
            self._step_done(step, took)
        elif kind == "STEP_UP_FOR_RETRY":
            self._say(f"↻ {step} will be retried: {record.user_message}")
        elif kind == "STEP_FAILURE":
            self.done += 1
            from orchestration.sensors import failure_reason

            error = event.step_failure_data.error if event.step_failure_data else None
            if error is not None:
                self.log.write(error.to_string() + "\n")
            reason = failure_reason(error) or record.user_message
            if error is None or error.cls_name != "DagsterAssetCheckFailedError":
                self.crashed.append(step)  # the code or the warehouse failed, not a gate
            self.failures.append(f"{step}: {reason}")
            self._say(f"✗ {step} FAILED: {reason}")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                check = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                level = evaluation.severity.value
                shown = ("failed", "warnings", "stale_count", "rows")
                detail = ", ".join(
                    f"{k.replace('_count', '')} {evaluation.metadata[k].value}"
                    for k in shown
                    if k in evaluation.metadata
                )
                self.failures.append(f"check {check} did not pass ({level}): {detail}")
                if level == "ERROR":
                    self.blocked.append(check)
                    self._say(f"✗ check {check} did not pass ({level}: blocks the summary): {detail}")
                else:
                    self._say(f"! check {check} did not pass ({level}: shown, blocks nothing): {detail}")
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


def _print_summary(published) -> None:
    """Each thesis' pillars and verdict, then one line per thesis, from what this run published:
    the analysts' copy (a file, or the warehouse resource whose copy it is) or, in the team
    profile, the lake's published snapshot (give the resource). The live warehouse may already
    hold another run's writes."""
    from assets.publish import open_published
    from assets.report import REPORT_NAME
    from assets.summary import FIRST_THESIS

    with open_published(published) as con:
        rows = con.sql("select * from marts.thesis_summary where row_type in ('pillar', 'verdict')").pl()
    if "thesis" not in rows.columns:  # a copy published before theses had ids: the essay's alone
        rows = rows.with_columns(pl.lit(FIRST_THESIS).alias("thesis"))
    verdicts = []
    for (thesis,), part in rows.partition_by("thesis", as_dict=True, maintain_order=True).items():
        # Pillars in the thesis file's order (the table's), the verdict last.
        part = part.sort(pl.col("row_type") == "verdict", maintain_order=True)
        verdict = part.row(-1, named=True)
        origin = verdict["origin"]
        print(f"Thesis {thesis}: {verdict['label']}\nAs of {verdict['as_of']} (data origin: {origin})\n")
        print(summary_table(part))
        report = data_dir() / "reports" / thesis / REPORT_NAME
        if report.exists():
            print(f"Report (markdown and charts): {report}")
        print()
        score = "" if verdict["score"] is None else f" ({verdict['score']:+.2f})"
        verdicts.append(f"  {thesis:<28} {verdict['status'].upper()}{score}")
    print("Verdicts:\n" + "\n".join(verdicts))


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

    from assets.publish import is_published
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
        f"warehouse {warehouse.describe()}\nFull log: {log_path}\n",
        flush=True,
    )
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    with _stdio_to(log_path) as terminal, Progress(instance, run_id, total, log_path, terminal) as progress:
        result = job.execute_in_process(
            instance=instance, run_id=run_id, raise_on_error=False, run_config=quiet
        )
    elapsed = time.monotonic() - progress.started
    if not result.success and progress.blocked and not progress.crashed:
        print(
            f"\nRun {run_id} BLOCKED after {elapsed:.1f}s: corrupt data failed a blocking check, so",
            file=sys.stderr,
        )
        print("the summary did not run and the last verdict stays published. What blocked:", file=sys.stderr)
        for failure in progress.failures:
            print(f"  - {failure}", file=sys.stderr)
        print(f"Full log: {log_path}", file=sys.stderr)
        if is_published(warehouse):
            print("\nThe published verdict, unchanged:\n")
            _print_summary(warehouse)
        return EXIT_BLOCKED
    if not result.success:
        print(f"\nRun {run_id} FAILED after {elapsed:.1f}s:", file=sys.stderr)
        for failure in progress.failures or ["see the log"]:
            print(f"  - {failure}", file=sys.stderr)
        print(f"Full log: {log_path}", file=sys.stderr)
        return EXIT_FAILED
    print(f"\nRun {run_id} succeeded in {elapsed:.1f}s. Full log: {log_path}\n")
    _print_summary(warehouse)
    if sources.resolved_mode() == "replay":
        print(
            f"\nRecorded data, not today's market: a snapshot recorded on {sources.reference_date()}, "
            "whose series may each have been saved on another day (mixed vintages)."
        )
    if progress.absent:
        print("\nNot loaded this run (their metrics are stale or no_data where no other data serves):")
        for line in progress.absent:
            print(f"  - {line}")
    return EXIT_VERDICT


def sql_command(warehouse) -> tuple[list[str], str]:
    """The DuckDB CLI command line of `make sql`, and what it opens; raises FileNotFoundError
    (file) or LakeError (team) when nothing is published yet.

    File profile: the published copy, read-only. Team profile: an in-memory session that loads the
    DuckLake extension files (the CLI is the same DuckDB version as the pipeline, so it loads them)
    and attaches the lake read-only at its newest published snapshot."""
    from assets.publish import published_path
    from config import lake

    cli = str(Path(sys.executable).with_name("duckdb"))
    if warehouse.is_lake():
        target = warehouse.lake()
        snapshot = lake.latest_published(target)
        if snapshot is None:
            raise lake.LakeError("the lake has no published snapshot yet")
        setup = ["SET autoinstall_known_extensions = false", *target.statements(True, snapshot)]
        return [cli, "-cmd", "; ".join(setup)], f"{target.describe()}, published snapshot {snapshot}"
    path = published_path(warehouse)
    if not path.exists():
        raise FileNotFoundError(path)
    return [cli, "-readonly", str(path)], str(path)


def sql() -> int:
    """Open what analysts read, read-only, in the DuckDB CLI (never the live warehouse)."""
    import duckdb

    from config.lake import LakeError
    from config.resources import WarehouseResource

    try:
        argv, target = sql_command(WarehouseResource())
    except (FileNotFoundError, LakeError, duckdb.Error) as exc:
        print(f"Nothing published to open ({exc}): run `make run` first.", file=sys.stderr)
        return 1
    print(f"Read-only session on {target} (published after the last successful run). .help for help.")
    os.execv(argv[0], argv)  # noqa: S606 (a fixed binary, no shell)
    return 0  # unreachable: execv replaces this process


def snapshot(real_data: Path, out: Path) -> int:
    """A replay snapshot of the newest vintage of each catalog series in a folder of real payloads."""
    from assets.sources import real_payloads
    from config.catalog import load_catalog

    payloads, unmapped = real_payloads.scan(real_data, load_catalog())
    chosen = real_payloads.newest(payloads)
    if not chosen:
        print(f"No file under {real_data} maps to a catalog series.", file=sys.stderr)
        return EXIT_FAILED
    real_payloads.write_snapshot(chosen, out)
    print(f"Snapshot {out}, recorded at {real_payloads.recorded_at(max(p.vintage for p in chosen))}:")
    for p in chosen:
        print(f"  {p.source}/{p.key:<16} {p.vintage}  {p.path.relative_to(real_data)}")
    older = len(payloads) - len(chosen)
    print(f"{older} older vintages left out; {len(unmapped)} files map to no catalog series:")
    for u in unmapped:
        print(f"  {u.path.relative_to(real_data)}: {u.reason}")
    return EXIT_VERDICT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the daily job and print the verdict")
    commands.add_parser("sql", help="a read-only SQL shell on the published copy")
    build = commands.add_parser("snapshot", help="a replay snapshot from a folder of real payloads")
    build.add_argument(
        "--from", dest="real_data", type=Path, required=True, help="<source>/<vintage>_<who>/<file>"
    )
    build.add_argument("--to", dest="out", type=Path, required=True, help="the snapshot folder (replaced)")
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        return snapshot(args.real_data, args.out)
    return {"run": run, "sql": sql}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
