"""The crash harness's JSON record: every trial with the figures the README quotes."""

import json
import re
from types import SimpleNamespace

from tests.conftest import PROJECT_ROOT as ROOT
from tests.crash.trials import Trial, Window, record


def test_the_record_holds_every_trial_and_the_figures(tmp_path):
    trials = [
        Trial(0, "dbt", 1.5, killed_at=12.0, last_step="dbt_models", phase="dbt", published="previous"),
        Trial(
            1,
            "publish",
            0.2,
            killed_at=30.0,
            last_step="published__warehouse",
            phase="publish",
            published="new",
        ),
    ]
    trials[0].checks, trials[0].rows_compared = ["warehouse opens read-write"], 1000
    trials[1].problems = ["the re-run failed: boom"]
    setting = SimpleNamespace(
        calibration_seconds=31.0, windows={"dbt": Window(frozenset({"dbt_models"}), 9.0)}
    )
    path = tmp_path / "crash.json"
    record(trials, 7, setting, path)
    document = json.loads(path.read_text())
    assert document["seed"] == 7 and len(document["trials"]) == 2 and len(document["commit"]) == 40
    assert document["trials"][0]["phase"] == "dbt" and document["trials"][0]["checks"] == [
        "warehouse opens read-write"
    ]
    figures = document["summary"]
    assert figures["kills_per_phase"]["dbt"] == 1 and figures["kills_per_phase"]["publish"] == 1
    assert figures["published_after_kill"] == {"previous": 1, "new": 1}
    assert (figures["rows_compared"], figures["trials_with_problems"], figures["rows_lost"]) == (1000, 1, 0)


def test_the_readme_quotes_the_committed_crash_record():
    """The README's crash figures are those of the record it names, which is committed."""
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r"bench/results/(crash-\d{4}-\d{2}-\d{2}\.json)", readme))
    assert len(names) == 1, names
    summary = json.loads((ROOT / "bench" / "results" / names.pop()).read_text())["summary"]
    prose = " ".join(readme.split())
    kills = ", ".join(f"{phase} {n}" for phase, n in summary["kills_per_phase"].items() if n)
    published = summary["published_after_kill"]
    assert f"{summary['trials']} trials" in prose
    assert f"({kills};" in prose
    assert f"the previous one {published['previous']} times" in prose
    assert f"{summary['rows_compared']:,} rows compared" in prose
    assert summary["rows_lost"] == summary["divergences"] == summary["trials_with_problems"] == 0
    assert "**0 rows lost, 0 divergences, 0 trials with problems**" in prose
