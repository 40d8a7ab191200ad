"""Alert sensors: a run that failed, and a thesis' pillar (or its verdict) whose status flipped.

Both run in the daemon, on by default, and only write alerts (`orchestration/alerts.py`); they
never launch runs and never open the warehouse. The flip sensor reads the contract the summary
asset publishes (`assets/summary.py`): the `status_flips` metadata of each new materialization
of marts/thesis_summary, one entry per flip of any thesis, each naming its thesis.
"""

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from assets.history import VERDICT
from assets.summary import FIRST_THESIS, STATUS_FLIPS_KEY, SUMMARY_KEY
from orchestration.alerts import Alert, AlertResource


def failure_reason(error: SerializableErrorInfo | None) -> str | None:
    """The first line of the innermost cause: the user-facing reason under Dagster's wrappers."""
    if error is None:
        return None
    while error.cause is not None:
        error = error.cause
    return (error.message.strip().splitlines() or ["?"])[0]


def run_failure_alert_for(run: dg.DagsterRun, reason: str, failed_steps: list[str]) -> Alert:
    steps = f" at {', '.join(failed_steps)}" if failed_steps else ""
    return Alert(
        key=f"run_failure:{run.run_id}",
        kind="run_failure",
        message=f"Run {run.run_id[:8]} of {run.job_name} failed{steps}: {reason}",
        run_id=run.run_id,
        job_name=run.job_name,
        details={"failed_steps": failed_steps},
    )


def flip_alert_for(flip: dict, run_id: str | None) -> Alert:
    pillar, previous, status, as_of = flip["pillar"], flip["previous_status"], flip["status"], flip["as_of"]
    # A summary written before theses had ids carries no thesis: it was the essay's.
    thesis = flip.get("thesis", FIRST_THESIS)
    what = "the overall verdict" if pillar == VERDICT else f"pillar {pillar}"
    return Alert(
        key=f"status_flip:{thesis}:{pillar}:{as_of}:{previous}:{status}",
        kind="status_flip",
        message=f"Thesis {thesis}: {what} flipped from {previous} to {status} as of {as_of}.",
        run_id=run_id,
        thesis=thesis,
        pillar=pillar,
        previous_status=previous,
        status=status,
        as_of=as_of,
    )


@dg.run_failure_sensor(
    name="thesis_run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts (alert table, log, webhook) when any run of this code location fails.",
)
def thesis_run_failure_alert(context: dg.RunFailureSensorContext, alerts: AlertResource) -> None:
    step_failures = context.get_step_failure_events()
    failed_steps = sorted({e.step_key for e in step_failures if e.step_key})
    reasons = [failure_reason(e.step_failure_data.error) for e in step_failures if e.step_failure_data]
    reason = "; ".join(r for r in reasons if r) or (context.failure_event.message or "no reason given")
    alerts.raise_alert(run_failure_alert_for(context.dagster_run, reason, failed_steps), context.log)


@dg.sensor(
    name="thesis_status_flip_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Alerts when a thesis' pillar (or its verdict) has a status other than on the "
    f"thesis' previous as-of date, read from the `{STATUS_FLIPS_KEY}` metadata of each new summary.",
)
def thesis_status_flip_alert(context: dg.SensorEvaluationContext, alerts: AlertResource) -> dg.SensorResult:
    result = context.instance.fetch_materializations(
        SUMMARY_KEY, limit=100, cursor=context.cursor, ascending=True
    )
    raised = 0
    for record in result.records:
        entry = record.asset_materialization.metadata.get(STATUS_FLIPS_KEY)
        for flip in entry.value if entry is not None else []:
            raised += alerts.raise_alert(flip_alert_for(flip, record.run_id), context.log)
    skip = None if raised else f"{len(result.records)} new summaries, no new status flip"
    return dg.SensorResult(skip_reason=skip, cursor=result.cursor or context.cursor)
