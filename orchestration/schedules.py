"""The daily schedule."""

import dagster as dg

from orchestration.jobs import thesis_daily_job

# 07:30 New York: after FRED's overnight updates and the previous US session's closes, before
# the next open; weekends included, because crypto trades every day.
thesis_daily_schedule = dg.ScheduleDefinition(
    name="thesis_daily_schedule",
    job=thesis_daily_job,
    cron_schedule="30 7 * * *",
    execution_timezone="America/New_York",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs the whole chain once a day.",
)
