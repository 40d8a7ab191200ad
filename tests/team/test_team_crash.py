"""The crash harness (tests/crash/) on the team profile: SIGKILL `python -m orchestration.cli run`
at drawn points of a few phases; nothing committed is lost, nothing torn is visible in the lake,
analysts keep the previous published snapshot or get the new whole one, and a re-run converges
to marts identical row for row to an uninterrupted run.

A few trials (THESIS_TEAM_CRASH_TRIALS, default 3): each costs a killed run and a full re-run.
"""

import os
import random

import pytest

from tests.crash import trials as harness
from tests.crash.conftest import REPORTS
from tests.crash.team_lab import TeamLab

pytestmark = pytest.mark.crash

TRIALS = int(os.environ.get("THESIS_TEAM_CRASH_TRIALS", "3"))
SEED = int(os.environ.get("THESIS_CRASH_SEED", "20261124"))
# The phases with the lake's own mechanics first: a load's commit, dbt's table swaps, publishing.
STRATA = ("ingest", "dbt", "publish", "summary", "checks")


@pytest.fixture(scope="module")
def setting(pg_cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("team-crash")
    lab = TeamLab(root / "work", cluster=pg_cluster, prefix=f"crash{os.getpid()}")
    with pytest.MonkeyPatch.context() as env:
        for key, value in lab.instance_env().items():
            env.setenv(key, value)  # the harness reads the lab's instance from this process
        yield harness.prepare(root, lab)


def test_a_team_run_killed_anywhere_loses_nothing_and_a_rerun_converges(setting, monkeypatch):
    for key, value in setting.lab.instance_env().items():
        monkeypatch.setenv(key, value)
    rng = random.Random(SEED)
    results = [harness.run_trial(setting, i, STRATA[i % len(STRATA)], rng) for i in range(TRIALS)]
    title = "Team profile (DuckLake, Dagster and the catalog on PostgreSQL)"
    REPORTS.append(f"{title}\n{harness.report(results, SEED, setting)}")

    problems = [f"trial {t.index} ({t.phase}): {p}" for t in results for p in t.problems]
    assert not problems, "\n".join(problems)
    assert sum(t.rows_lost for t in results) == 0
    assert [t.divergent for t in results if t.divergent] == []
