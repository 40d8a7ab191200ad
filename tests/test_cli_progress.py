"""`make run`'s progress printer: a killed run's log is not empty, and waiting for the warehouse shows."""

import io
import logging
import time

from dagster._core.event_api import EventLogRecord
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.base import EventLogConnection

from orchestration.cli import Progress


class Instance:
    """Serves a run's event log as the Dagster instance does."""

    def __init__(self):
        self.records: list[EventLogEntry] = []

    def get_records_for_run(self, run_id, cursor=None):
        start = int(cursor or 0)
        page = [EventLogRecord(storage_id=i + 1, event_log_entry=r) for i, r in enumerate(self.records)]
        return EventLogConnection(records=page[start:], cursor=str(len(page)), has_more=False)


def message(text: str, level: int = logging.INFO, step: str | None = None) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=level,
        user_message=text,
        run_id="r1",
        timestamp=time.time(),
        step_key=step,
        job_name="thesis_daily",
        dagster_event=None,
    )


def until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_each_line_reaches_the_log_file_while_the_run_is_still_going(tmp_path):
    instance, terminal, log = Instance(), io.StringIO(), tmp_path / "run.log"
    with Progress(instance, "r1", 5, log, terminal):
        instance.records.append(message("waiting for run r0 (pid 1 on vm) to release the warehouse"))
        instance.records.append(message("holding the warehouse lock", level=logging.DEBUG))
        instance.records.append(message("a dbt line", step="dbt_models"))
        # A SIGKILL now would leave the file as it is: what is there must already be complete.
        assert until(lambda: "a dbt line" in log.read_text())
        assert "waiting for run r0" in log.read_text()
    shown = terminal.getvalue()
    assert "… waiting for run r0" in shown
    assert "holding" not in shown and "a dbt line" not in shown
