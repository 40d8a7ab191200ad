"""SIGKILL the daily run anywhere: nothing committed is lost, nothing torn is visible, a re-run converges.

`pytest -m crash` runs THESIS_CRASH_TRIALS trials (default 8, for CI); `make crash` runs 50 and
writes the JSON record of every trial (THESIS_CRASH_RECORD) that the README's figures come from.
THESIS_CRASH_SEED fixes the draw of kill points (default below; the report prints it).
"""

import os
import random
from pathlib import Path

import pytest

from tests.crash import trials as harness
from tests.crash.conftest import REPORTS

pytestmark = pytest.mark.crash

TRIALS = int(os.environ.get("THESIS_CRASH_TRIALS", "8"))
SEED = int(os.environ.get("THESIS_CRASH_SEED", "20261124"))
# Where to write the JSON record of every trial (`make crash`: bench/results/crash-<date>.json).
RECORD = os.environ.get("THESIS_CRASH_RECORD")


@pytest.fixture(scope="module")
def setting(tmp_path_factory) -> harness.Setting:
    return harness.prepare(tmp_path_factory.mktemp("crash"))


def test_a_run_killed_anywhere_loses_nothing_and_a_rerun_converges(setting):
    rng = random.Random(SEED)
    strata = list(harness.STRATA)
    results = [harness.run_trial(setting, i, strata[i % len(strata)], rng) for i in range(TRIALS)]
    REPORTS.append(harness.report(results, SEED, setting))
    if RECORD:
        harness.record(results, SEED, setting, Path(RECORD))

    problems = [f"trial {t.index} ({t.phase}): {p}" for t in results for p in t.problems]
    assert not problems, "\n".join(problems)
    assert sum(t.rows_lost for t in results) == 0
    assert [t.divergent for t in results if t.divergent] == []
    if len(results) >= 5 * len(strata):  # `make crash`: a phase without a kill is a gap
        missed = set(strata) - {t.phase for t in results}
        assert not missed, f"no kill landed in {sorted(missed)}"
