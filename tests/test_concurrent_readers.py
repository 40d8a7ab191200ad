"""Analysts never block the pipeline and never see half a run: reader processes loop over the
published copy while full pipeline runs write the warehouse and publish."""

import json
import subprocess
import sys
import time

import dagster as dg
import pytest

from assets.publish import published_path
from config.resources import WarehouseResource
from orchestration.definitions import defs
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.e2e

READERS = 2
RUNS_WHILE_READING = 2
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def test_readers_never_block_the_writer_and_never_see_half_a_run(warehouse_env, tmp_path):
    published, stop = published_path(WarehouseResource()), tmp_path / "stop"
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("thesis_daily")
    runs = [job.execute_in_process(instance=instance, run_config=QUIET).run_id]  # the first copy to read
    readers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.published_reader", str(published), str(stop)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(READERS)
    ]
    try:
        started = time.monotonic()
        for _ in range(RUNS_WHILE_READING):
            result = job.execute_in_process(instance=instance, run_config=QUIET, raise_on_error=False)
            assert result.success  # the writer was never blocked by a reader
            runs.append(result.run_id)
        time.sleep(1)  # let every reader see the last copy
    finally:
        stop.touch()
        outputs = [json.loads(reader.communicate(timeout=60)[0]) for reader in readers]
    elapsed = time.monotonic() - started
    total = {
        k: sum(o[k] for o in outputs) for k in ("reads", "lock_errors", "inconsistent_reads", "other_errors")
    }
    print(f"\n{RUNS_WHILE_READING} runs in {elapsed:.1f}s while {READERS} reader processes read: {total}")
    assert total["lock_errors"] == 0, [o["errors"] for o in outputs]
    assert total["inconsistent_reads"] == 0 and total["other_errors"] == 0, [o["errors"] for o in outputs]
    assert total["reads"] > 0
    for output in outputs:
        assert set(output["runs_seen"]) <= set(runs)
        assert output["runs_seen"][-1] == runs[-1]
    # Each reader started on the first copy and saw every swap that followed.
    assert any(o["runs_seen"] == runs for o in outputs), [o["runs_seen"] for o in outputs]
