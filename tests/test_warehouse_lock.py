"""The warehouse lock: one holder at a time, waiters say for whom, a dead holder is cleaned up."""

import json
import logging
import subprocess
import sys
import threading
import time

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from config.resources import WarehouseResource
from config.warehouse_lock import Holder, WarehouseLock, lock_path, reap_dead_holder


class Log:
    def __init__(self):
        self.lines: list[tuple[int, str]] = []

    def debug(self, text):
        self.lines.append((logging.DEBUG, text))

    def info(self, text):
        self.lines.append((logging.INFO, text))

    def warning(self, text):
        self.lines.append((logging.WARNING, text))


def test_the_lock_sits_beside_a_local_file_and_not_beside_remote_or_memory_databases():
    assert str(lock_path("/data/warehouse.duckdb")) == "/data/warehouse.duckdb.lock"
    assert lock_path("md:thesis") is None and lock_path(":memory:") is None


def test_a_second_run_waits_for_the_first_and_says_which_run_it_waits_for(tmp_path):
    path = tmp_path / "warehouse.duckdb.lock"
    first, second, log = WarehouseLock(path), WarehouseLock(path), Log()
    first.acquire("run-a", Log())
    acquired = threading.Event()
    waiter = threading.Thread(target=lambda: (second.acquire("run-b", log), acquired.set()))
    waiter.start()
    time.sleep(0.5)
    assert not acquired.is_set()
    assert any(level == logging.INFO and "waiting for run run-a (pid" in text for level, text in log.lines)
    first.release(Log())
    assert acquired.wait(5)
    waiter.join()
    assert json.loads(path.read_text())["run_id"] == "run-b"
    second.release(Log())


def test_a_clean_release_is_not_taken_for_a_dead_holder(tmp_path):
    path = tmp_path / "warehouse.duckdb.lock"
    lock = WarehouseLock(path)
    lock.acquire("run-a", Log())
    lock.release(Log())
    assert WarehouseLock(path).acquire("run-b", Log()) is None


def test_a_holder_killed_with_sigkill_frees_the_lock_and_is_reported_dead(tmp_path):
    path = tmp_path / "warehouse.duckdb.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import logging, pathlib, sys, time\n"
            "from config.warehouse_lock import WarehouseLock\n"
            "WarehouseLock(pathlib.Path(sys.argv[1])).acquire('run-dead', logging.getLogger())\n"
            "print('held', flush=True)\n"
            "time.sleep(600)\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    started = time.monotonic()
    dead = WarehouseLock(path).acquire("run-next", Log())
    assert time.monotonic() - started < 2
    assert dead is not None and (dead.run_id, dead.pid, dead.released_at) == ("run-dead", holder.pid, None)


def test_the_run_that_died_holding_the_warehouse_is_failed_and_its_pool_slots_are_freed():
    with dg.instance_for_test() as instance:
        run = instance.add_run(DagsterRun(job_name="thesis_daily", status=DagsterRunStatus.STARTED))
        storage = instance.event_log_storage
        storage.set_concurrency_slots("warehouse", 1)
        assert storage.claim_concurrency_slot("warehouse", run.run_id, "dbt_models").is_claimed
        log = Log()
        reap_dead_holder(instance, Holder(run.run_id, 4242, "host", "then"), "run-next", log)
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
        assert storage.get_concurrency_info("warehouse").active_slot_count == 0
        assert "died while holding the warehouse" in log.lines[-1][1]
        # A run of another instance, or one already finished, is left alone.
        reap_dead_holder(instance, Holder("not-here", 1, "host", "then"), "run-next", log)
        reap_dead_holder(instance, Holder(run.run_id, 4242, "host", "then"), "run-next", log)
        assert len(log.lines) == 1


def test_only_runs_take_the_lock_so_a_sensor_using_the_resource_never_waits(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    held = WarehouseLock(lock_path(str(path)))
    held.acquire("run-a", Log())

    def use_outside_a_run():
        with dg.build_resources({"warehouse": WarehouseResource(path=str(path))}) as resources:
            resources.warehouse.resolved_path()

    user = threading.Thread(target=use_outside_a_run)
    user.start()
    user.join(5)
    waited = user.is_alive()
    held.release(Log())
    user.join()
    assert not waited
