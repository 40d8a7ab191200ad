"""A run's stages, read back from its Dagster event log (step start/end), whatever the graph holds.

Steps are grouped into stages by their keys (`raw__*` ingest, `*_checks` a source's freshness and
load checks,
`*gx_*` the Great Expectations gate, the dbt step by its "Running dbt command" log line, and so
on); a step that matches no rule is its own stage, so a new asset shows up rather than vanishing.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_DBT_START = re.compile(r"^Running dbt command: `(?P<cmd>.+)`\.?$")
_DBT_END = re.compile(r"^Finished dbt command: `.+`\.?$")
_END_EVENTS = {"STEP_SUCCESS", "STEP_FAILURE"}


@dataclass
class Step:
    key: str
    start: float
    end: float | None = None
    status: str = "running"
    events: int = 0

    @property
    def seconds(self) -> float:
        return (self.end or self.start) - self.start


@dataclass
class Timeline:
    run_id: str
    status: str
    start: float
    end: float
    steps: dict[str, Step]
    dbt_step: str | None = None
    dbt_command: str | None = None
    dbt_start: float | None = None
    dbt_end: float | None = None
    event_types: Counter = field(default_factory=Counter)


def stage_of(step_key: str, dbt_step: str | None) -> str:
    if step_key == dbt_step:
        return "dbt"
    if "freshness" in step_key or step_key.endswith("_checks"):
        return "source checks"
    if "gx_" in step_key:
        return "gx gate"
    if step_key.startswith("raw__"):
        return "ingest"
    if step_key.startswith("published__"):
        return "publish"
    if "summary" in step_key:
        return "summary"
    return step_key


def read(dagster_home: Path, run_id: str | None = None) -> Timeline:
    """The timeline of `run_id` (default: the latest run) in the instance at `dagster_home`."""
    from orchestration.event_log import instance_at

    with instance_at(dagster_home) as instance:
        if run_id is None:
            run_id = instance.get_runs(limit=1)[0].run_id
        records = instance.all_logs(run_id)
        status = instance.get_run_by_id(run_id).status.value
    steps: dict[str, Step] = {}
    line = Timeline(run_id, status, records[0].timestamp, records[-1].timestamp, steps)
    for record in records:
        event = record.dagster_event
        kind = event.event_type_value if event else "LOG"
        line.event_types[kind] += 1
        key = record.step_key
        if kind == "RUN_START":
            line.start = record.timestamp
        elif kind in ("RUN_SUCCESS", "RUN_FAILURE"):
            line.end = record.timestamp
        if not key:
            continue
        if kind == "STEP_START":
            steps[key] = Step(key, record.timestamp)
        step = steps.get(key)
        if step is None:
            continue
        step.events += 1
        if kind in _END_EVENTS:
            step.end, step.status = record.timestamp, kind.removeprefix("STEP_").lower()
        message = record.user_message or ""
        if kind == "LOG" and (match := _DBT_START.match(message)):
            line.dbt_step, line.dbt_command, line.dbt_start = key, match["cmd"], record.timestamp
        elif kind == "LOG" and _DBT_END.match(message):
            line.dbt_end = record.timestamp
    return line


def breakdown(line: Timeline, process_start: float, process_end: float) -> list[dict]:
    """Where the run's wall time went, in order: start-up, each stage, Dagster between steps, exit.

    The dbt stage is split in three: the step before dbt starts (resources, the adapter), the dbt
    process itself, and Dagster turning dbt's events into materializations and check results.
    """
    rows: list[dict] = [
        {
            "stage": "start-up (interpreter, imports, definitions, instance)",
            "s": line.start - process_start,
        }
    ]
    by_stage: dict[str, dict] = {}
    ordered = sorted(line.steps.values(), key=lambda s: s.start)
    for step in ordered:
        stage = stage_of(step.key, line.dbt_step)
        entry = by_stage.setdefault(stage, {"stage": stage, "s": 0.0, "steps": 0, "events": 0})
        entry["s"] += step.seconds
        entry["steps"] += 1
        entry["events"] += step.events
    for entry in by_stage.values():
        if entry["stage"] == "dbt" and line.dbt_start and line.dbt_end:
            step = line.steps[line.dbt_step]
            entry["dbt_setup_s"] = line.dbt_start - step.start
            entry["dbt_process_s"] = line.dbt_end - line.dbt_start
            entry["dagster_dbt_events_s"] = (step.end or line.dbt_end) - line.dbt_end
        rows.append(entry)
    busy = sum(s.seconds for s in ordered)
    rows.append({"stage": "Dagster between steps", "s": (line.end - line.start) - busy})
    rows.append({"stage": "after the run (summary print, exit)", "s": process_end - line.end})
    for row in rows:
        for k, v in list(row.items()):
            if isinstance(v, float):
                row[k] = round(v, 3)
    return rows
