"""One crash trial: start a daily run, SIGKILL it at a drawn point, inspect, re-run, compare.

Every trial starts from the same saved state, a warehouse whose last complete run was a week
earlier (BASELINE_AS_OF), and runs as of AS_OF: the killed run has new rows to load, marts to
rebuild, a summary to write and a new copy to publish. The reference is the same run left
uninterrupted. Kill points are drawn per stratum (ingest, dbt, checks, summary, publish): the
trial waits until the CLI reports the stratum's first step started, then sleeps a uniform
fraction of that stratum's duration in the calibration run; each kill is then classified by the
last step the event storage says had started.
"""

import datetime as dt
import json
import os
import random
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from assets.ingest import RAW_TABLES
from tests.conftest import PROJECT_ROOT
from tests.crash import warehouse_state as ws
from tests.crash.runner import Lab, Launched, run_to_end

BASELINE_AS_OF = "2026-11-17"
AS_OF = "2026-11-24"
# Seconds the test hook pauses around commits, checkpoints and the publish copy and rename.
SLOW = 0.3
PHASES = ("startup", "ingest", "dbt", "checks", "summary", "publish")
STRATA = PHASES[1:]
READ_ONLY = 0o444
# A re-run blocked for good (e.g. on pool slots a killed run never gave back) fails the trial.
RERUN_TIMEOUT = 240


@dataclass(frozen=True)
class Window:
    steps: frozenset[str]  # the stratum's steps: the first one the CLI reports starts the window
    seconds: float


@dataclass
class Setting:
    """What every trial starts from and is compared with."""

    lab: Lab
    template: Path
    template_runs: set[str]
    before: dict[str, ws.Fingerprint]
    before_published_sha: str
    reference: Path
    after: dict[str, ws.Fingerprint]
    after_published: dict[str, ws.Fingerprint]
    windows: dict[str, Window]
    phases: dict[str, str]
    calibration_seconds: float


@dataclass
class Trial:
    index: int
    stratum: str
    delay: float
    killed_at: float = 0.0
    last_step: str | None = None
    phase: str = "startup"
    published: str = ""  # previous | new
    rows_lost: int = 0
    divergent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    kill_seconds: float = 0.0
    check_seconds: float = 0.0
    rerun_seconds: float = 0.0
    # What was checked (in order) and how many rows the fingerprint comparisons covered.
    checks: list[str] = field(default_factory=list)
    rows_compared: int = 0


def prepare(root: Path, lab: Lab | None = None) -> Setting:
    """The saved state (a complete run a week earlier) and the uninterrupted reference run."""
    lab = lab or Lab(root / "work")
    lab.reset()
    run_to_end(lab, BASELINE_AS_OF)
    template = root / "template"
    lab.save(template)
    with lab.open(read_only=True) as con:
        before = ws.fingerprints(con)
    template_runs = ws.run_ids(lab.dagster_home)
    before_published_sha = lab.published_token()

    calibration = run_to_end(lab, AS_OF, slow=SLOW)
    phases = ws.step_phases()
    windows = _windows(calibration, phases, lab.publish_pauses)
    reference = root / "reference"
    lab.save(reference)
    with lab.open(read_only=True) as con:
        after = ws.fingerprints(con)
    after_published, _, _ = lab.published_copy()
    assert after_published == after, "the published copy of the reference run differs from its warehouse"
    return Setting(
        lab,
        template,
        template_runs,
        before,
        before_published_sha,
        reference,
        after,
        after_published,
        windows,
        phases,
        calibration.elapsed(),
    )


def _windows(run: Launched, phases: dict[str, str], publish_pauses: int) -> dict[str, Window]:
    """Each stratum from its first step's start to the next stratum's (the last: to its last step's end)."""
    starts = {}
    for stratum in STRATA:
        steps = frozenset(s for s, p in phases.items() if p == stratum)
        seen = [run.step_seen[s] for s in steps if s in run.step_seen]
        assert seen, f"the calibration run started no step of {stratum} ({sorted(steps)})"
        starts[stratum] = (steps, min(seen))
    order = sorted(starts, key=lambda s: starts[s][1])
    last_steps = starts[order[-1]][0]
    ends = [starts[s][1] for s in order[1:]] + [max(run.step_ended[s] for s in last_steps)]
    windows = {s: Window(starts[s][0], end - starts[s][1]) for s, end in zip(order, ends, strict=True)}
    # Without the hook the publish step takes milliseconds and no kill would land inside it.
    slowed = windows["publish"].seconds > publish_pauses * SLOW
    assert slowed, f"the crash hook did not slow publishing: {windows}"
    return windows


def run_trial(setting: Setting, index: int, stratum: str, rng: random.Random) -> Trial:
    lab, window = setting.lab, setting.windows[stratum]
    for _ in range(3):  # a run that ends before its kill point is drawn again
        trial = Trial(index, stratum, rng.uniform(0, window.seconds))
        lab.reset(setting.template)
        run = Launched(lab.env(AS_OF, slow=SLOW))
        run.wait_for_step(set(window.steps), timeout=300)
        time.sleep(trial.delay)
        if run.kill():
            break
    else:
        raise AssertionError(f"trial {index}: the run ended before every kill point drawn in {stratum}")
    trial.killed_at = trial.kill_seconds = run.elapsed()
    checked = time.monotonic()
    run_id, trial.last_step = ws.last_step_started(lab.dagster_home, setting.template_runs)
    trial.phase = setting.phases.get(trial.last_step, "startup")
    _check_log(lab, run_id, window, trial)
    _check_after_kill(setting, run_id, trial)
    trial.check_seconds = time.monotonic() - checked

    rerun_started = time.monotonic()
    try:
        run_to_end(lab, AS_OF, timeout=RERUN_TIMEOUT)
    except AssertionError as exc:
        trial.problems.append(f"the re-run failed: {exc}")
        return trial
    finally:
        trial.rerun_seconds = time.monotonic() - rerun_started
    checked = time.monotonic()
    _check_converged(setting, trial)
    trial.check_seconds += time.monotonic() - checked
    return trial


def _check_log(lab: Lab, run_id: str, window: Window, trial: Trial) -> None:
    """The killed run's log file already holds the steps the CLI had reported."""
    trial.checks.append("log holds the steps the CLI printed")
    logs = list((lab.data_dir / "logs").glob(f"run-*-{run_id[:8]}.log"))
    text = logs[0].read_text() if logs else ""
    if not any("STEP_START" in line and step in line for line in text.splitlines() for step in window.steps):
        trial.problems.append(f"the killed run's log {logs} lacks the STEP_START the CLI printed")


def _check_after_kill(setting: Setting, run_id: str, trial: Trial) -> None:
    lab = setting.lab
    tables_of = {c.source: f"raw.{c.table}" for c in RAW_TABLES}
    trial.checks += [
        "warehouse opens read-write",
        "every table as before the run or as after it",
        "no raw row lost",
        "audit matches the raw tables",
        "published folder holds one whole copy",
    ]
    try:
        with lab.open() as con:
            prints = ws.fingerprints(con)
            trial.rows_compared += sum(rows for rows, _ in prints.values())
            for table in sorted(set(prints) | set(setting.before)):
                if prints.get(table) not in (setting.before.get(table), setting.after.get(table)):
                    trial.problems.append(f"{table} is in neither its state before the run nor after it")
            lab.attach_saved(con, setting.template, "before")
            trial.rows_lost += ws.raw_rows_lost(con, "before")
            trial.problems += ws.audit_problems(con, run_id, tables_of)
    except duckdb.Error as exc:
        trial.problems.append(f"the warehouse does not open read-write after the kill: {exc}")
    visible, _ = lab.published_files()
    if visible != [lab.published.name]:
        trial.problems.append(f"readers of the published folder see {visible}")
        return
    if lab.published_token() == setting.before_published_sha:
        trial.published = "previous"
        return
    trial.published = "new"
    try:
        prints, runs, mode = lab.published_copy()
    except duckdb.Error as exc:
        trial.problems.append(f"the published copy does not open: {exc}")
        return
    if prints != setting.after_published or runs != {run_id}:
        trial.problems.append(f"the published copy is neither the previous one nor run {run_id}'s")
    if mode != READ_ONLY:
        trial.problems.append(f"the published copy has mode {mode:o}")


def _check_converged(setting: Setting, trial: Trial) -> None:
    lab = setting.lab
    trial.checks += [
        "re-run converges row for row",
        "no dbt debris",
        "published copy is the reference's",
        "no run left in progress",
    ]
    with lab.open(read_only=True) as con:
        prints = ws.fingerprints(con)
        trial.rows_compared += sum(rows for rows, _ in prints.values())
        trial.divergent = sorted(
            t for t in set(prints) | set(setting.after) if prints.get(t) != setting.after.get(t)
        )
        if trial.divergent:
            lab.attach_saved(con, setting.reference, "reference")
            for table in trial.divergent:
                if table in setting.after and table in prints:
                    trial.rows_lost += ws.missing_rows(con, table, "reference")
        if debris := ws.dbt_debris(con):
            trial.problems.append(f"dbt left {debris} after the re-run")
    visible, staging = lab.published_files()
    if visible != [lab.published.name] or staging:
        trial.problems.append(f"the published folder holds {visible + staging} after the re-run")
    prints, _, mode = lab.published_copy()
    if prints != setting.after_published or mode != READ_ONLY:
        trial.problems.append(f"the re-run's published copy differs from the reference's (mode {mode:o})")
    if unfinished := ws.unfinished_runs(lab.dagster_home):
        trial.problems.append(f"runs still marked in progress after the re-run: {unfinished}")


def summary(trials: list[Trial]) -> dict:
    """The figures the README quotes."""
    kill, check, rerun = (sum(getattr(t, f"{p}_seconds") for t in trials) for p in ("kill", "check", "rerun"))
    return {
        "trials": len(trials),
        "kills_per_phase": {p: sum(t.phase == p for t in trials) for p in PHASES},
        "published_after_kill": {
            state: sum(t.published == state for t in trials) for state in ("previous", "new")
        },
        "rows_lost": sum(t.rows_lost for t in trials),
        "divergences": sum(len(t.divergent) for t in trials),
        "trials_with_problems": sum(bool(t.problems) for t in trials),
        "rows_compared": sum(t.rows_compared for t in trials),
        "seconds": {"killed_run": kill, "checks": check, "rerun": rerun, "total": kill + check + rerun},
    }


def record(trials: list[Trial], seed: int, setting: Setting, path: Path) -> None:
    """Every trial as JSON (seed, stratum and phase, kill time, checks, rows compared, problems),
    with the machine and commit, so the README's figures stand on a file anyone can read."""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    document = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()},
        "seed": seed,
        "calibration_seconds": setting.calibration_seconds,
        "windows_seconds": {s: w.seconds for s, w in setting.windows.items()},
        "summary": summary(trials),
        "trials": [asdict(t) for t in trials],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n")


def report(trials: list[Trial], seed: int, setting: Setting) -> str:
    """The figures: kills per phase, rows lost, divergences, and what a trial costs."""
    lines = [
        f"Crash harness: {len(trials)} SIGKILL trials (seed {seed}); calibration run "
        f"{setting.calibration_seconds:.1f}s; windows "
        + ", ".join(f"{s} {w.seconds:.1f}s" for s, w in setting.windows.items()),
        "",
        f"{'trial':>5}  {'stratum':<14} {'kill at':>7}  {'last step started':<40} {'phase':<8} "
        f"{'published':<9} {'lost':>4} {'div':>3}  problems",
    ]
    for t in trials:
        problems = " ".join("; ".join(t.problems).split())[:200]
        lines.append(
            f"{t.index:>5}  {t.stratum:<14} {t.killed_at:>6.1f}s  {t.last_step or '-':<40} {t.phase:<8} "
            f"{t.published:<9} {t.rows_lost:>4} {len(t.divergent):>3}  {problems}"
        )
    figures, n = summary(trials), max(len(trials), 1)
    seconds = figures["seconds"]
    lines += [
        "",
        "kills per phase: " + ", ".join(f"{p} {c}" for p, c in figures["kills_per_phase"].items()),
        f"published copy after the kill: previous {figures['published_after_kill']['previous']}, "
        f"new {figures['published_after_kill']['new']}",
        f"rows lost: {figures['rows_lost']}   divergences: {figures['divergences']}   "
        f"trials with problems: {figures['trials_with_problems']}   "
        f"rows compared: {figures['rows_compared']:,}",
        f"wall time: {seconds['total']:.0f}s, {seconds['total'] / n:.1f}s per trial "
        f"(killed run {seconds['killed_run'] / n:.1f}s, checks {seconds['checks'] / n:.1f}s, "
        f"re-run {seconds['rerun'] / n:.1f}s)",
    ]
    return "\n".join(lines)
