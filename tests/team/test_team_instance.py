"""The team profile's pieces that need no pipeline run: the instance file and the warehouse lock."""

import logging
import threading
import time

import yaml

from config.warehouse_lock import PostgresWarehouseLock
from tests.conftest import PROJECT_ROOT

ORCHESTRATION = PROJECT_ROOT / "orchestration"


def _load(name: str) -> dict:
    return yaml.safe_load((ORCHESTRATION / name).read_text())


def test_the_team_instance_keeps_the_file_instance_settings_and_stores_them_in_postgresql():
    file_instance, team_instance = _load("dagster.yaml"), _load("dagster-team.yaml")
    for key in ("telemetry", "nux", "concurrency", "run_retries"):
        assert team_instance[key] == file_instance[key], key
    assert team_instance["storage"] == {"postgres": {"postgres_url": {"env": "THESIS_DAGSTER_PG_URL"}}}
    assert team_instance["run_monitoring"]["enabled"] is True


class Log:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, text: str) -> None:
        self.lines.append(text)

    debug = warning = info


def test_the_catalog_lock_serialises_holders_across_sessions_and_reports_one_that_died(team):
    dsn = team.cluster.dsn(team.database("lake"))
    first, log = PostgresWarehouseLock(dsn), Log()
    assert first.acquire("run-a", log) is None
    second, waited = PostgresWarehouseLock(dsn), Log()
    thread = threading.Thread(target=lambda: second.acquire("run-b", waited))
    thread.start()
    time.sleep(1)
    assert thread.is_alive()  # blocked behind run-a, and says so
    assert any("waiting for run run-a" in line for line in waited.lines), waited.lines
    first.release(log)
    thread.join(30)
    assert not thread.is_alive()
    # run-b dies holding it: its session ends without a release (as SIGKILL ends it).
    second._conn.close()
    third = PostgresWarehouseLock(dsn)
    dead = third.acquire("run-c", logging.getLogger(__name__))
    assert dead is not None and dead.run_id == "run-b" and dead.released_at is None
    third.release(logging.getLogger(__name__))
