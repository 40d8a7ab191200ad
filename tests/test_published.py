"""The analysts' copy: checkpointed, stamped with one run, readable by the DuckDB CLI, and every
query of the README's "Querying the warehouse" section runs on it."""

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assets.publish import publish
from config.catalog import load_catalog
from config.resources import CONNECTION_CONFIG, WarehouseResource
from config.theses import load_theses
from orchestration import cli
from tests.conftest import PROJECT_ROOT, demo_env

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")


def sql(path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).fetchall()


def duckdb_cli(path: Path, query: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", str(path), "-c", query],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_published_copy_holds_one_run_and_says_which(demo_run):
    info = sql(
        demo_run.published,
        "select run_id, summary_run_id, as_of::varchar, source_mode from published.run_info",
    )
    assert info == [(demo_run.run_id, demo_run.run_id, "2026-11-24", "demo")]
    assert sql(demo_run.published, "select distinct run_id from marts.thesis_summary") == [(demo_run.run_id,)]
    verdicts = sql(
        demo_run.published,
        "select thesis, status from marts.thesis_summary where row_type = 'verdict' order by thesis",
    )
    assert sql(demo_run.published, "select verdict from published.run_info") == [
        ("; ".join(f"{thesis}: {status}" for thesis, status in verdicts),)
    ]
    assert len(verdicts) == 2
    # The swap leaves nothing beside the file: no WAL (it was checkpointed), no staging copy.
    assert sorted(p.name for p in demo_run.published.parent.iterdir()) == [demo_run.published.name]
    assert oct(demo_run.published.stat().st_mode & 0o777) == "0o444"


def test_the_published_copy_opens_in_the_duckdb_cli(demo_run):
    done = duckdb_cli(demo_run.published, "select run_id from published.run_info")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["run_id", demo_run.run_id]
    # dbt's views resolve too: the copy keeps the live file's name, which is their catalog.
    views = duckdb_cli(demo_run.published, "select count(*) > 0 from staging.stg_fred__observations")
    assert views.returncode == 0 and views.stdout.split()[-1] == "true", views.stderr


def readme_queries() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("## Querying the warehouse", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_has_at_least_eight_queries_for_analysts():
    queries = readme_queries()
    assert len(queries) >= 8
    for table in (
        "marts.thesis_summary",
        "marts.thesis_status_flips",
        "_history",
        "raw.load_audit",
        "run_info",
    ):
        assert any(table in q for q in queries), table


STATUSES = {"confirms", "neutral", "contradicts", "stale", "no_data"}
THESES = load_theses()
ESSAY = "american_exceptionalism"
FRED_SERIES = len(load_catalog().for_source("fred"))


def descending(rows: list[dict], column: str) -> bool:
    values = [r[column] for r in rows]
    return values == sorted(values, reverse=True) and len(set(values)) == len(values)


def pillars_then_metrics(rows: list[dict], thesis: str) -> bool:
    """Every pillar of `thesis`, each its pillar row (no metric) first, then its metrics."""
    return (
        {r["pillar"] for r in rows} == set(THESES[thesis].pillars)
        and all(
            (r["metric"] is None) == (i == 0 or rows[i - 1]["pillar"] != r["pillar"])
            for i, r in enumerate(rows)
        )
        and all(r["status"] in STATUSES for r in rows)
    )


# What each README query must return on the demo copy, keyed by a phrase found in that query alone:
# the rows it promises, and what they mean. A new query in the README needs an entry here.
MEANING = {
    "summary_matches": lambda rows, run: (
        len(rows) == 1 and rows[0]["summary_matches"] and rows[0]["run_id"] == run
    ),
    "round(score, 2) as score, evidence": lambda rows, run: (
        [r["thesis"] for r in rows] == sorted(THESES)
        and all(r["status"] in STATUSES for r in rows)
        and all(r["evidence"].startswith(THESES[r["thesis"]].question) for r in rows)
    ),
    "where thesis = 'fed_cant_cut' and row_type in ('pillar', 'metric')": lambda rows, run: (
        pillars_then_metrics(rows, "fed_cant_cut")
    ),
    # The demo's data are all fresh: nothing is stale, and a row here would have to say why.
    "status in ('stale', 'no_data')": lambda rows, run: all(r["reason"] for r in rows),
    "audit.gate_runs": lambda rows, run: (
        len(rows) == 12 and all(r["passed"] and r["failed"] == 0 for r in rows)
    ),
    "broad_dollar_index": lambda rows, run: (
        len(rows) == 5 and descending(rows, "date") and all(50 < r["broad_dollar_index"] < 200 for r in rows)
    ),
    "us_minus_ex_us_1y_pp": lambda rows, run: len(rows) == 5 and descending(rows, "date"),
    "btc_drawdown_pct": lambda rows, run: (
        len(rows) == 5
        and descending(rows, "date")
        and all(r["btc_drawdown_pct"] <= 0 and -1 <= r["correlation_1y"] <= 1 for r in rows)
    ),
    "cpi_yoy_pct": lambda rows, run: (
        len(rows) == 6 and descending(rows, "date") and all(r["cpi_yoy_pct"] is not None for r in rows)
    ),
    "us_population_share_pct": lambda rows, run: (
        len(rows) >= 5 and descending(rows, "year") and all(3 < r["us_population_pct"] < 7 for r in rows)
    ),
    "gpt4_level_model": lambda rows, run: (
        len(rows) == 6
        and descending(rows, "date")
        and {r["gpt4_level_benchmark"] for r in rows} <= {"MMLU", "GPQA Diamond"}
    ),
    # Every thesis a column, a verdict for each of the last 30 snapshots (36 backfilled month-ends
    # and today's).
    "on thesis using any_value(status)": lambda rows, run: (
        len(rows) == 30
        and descending(rows, "as_of")
        and set(rows[0]) == {"as_of", *THESES}
        and all(r[t] in STATUSES for r in rows for t in THESES)
    ),
    "on pillar using any_value(status)": lambda rows, run: (
        len(rows) == 37 and set(rows[0]) == {"as_of", *THESES[ESSAY].pillars}
    ),
    "thesis_status_flips": lambda rows, run: all(r["previous_status"] != r["status"] for r in rows),
    # One row per series (its latest), the most unusual first, those without a z-score last.
    "round(zscore_252, 2) as zscore_252": lambda rows, run: (
        len(rows) == len({(r["source"], r["series_id"]) for r in rows}) >= FRED_SERIES
        and [abs(r["zscore_252"]) if r["zscore_252"] is not None else -1 for r in rows]
        == sorted((abs(r["zscore_252"]) if r["zscore_252"] is not None else -1 for r in rows), reverse=True)
    ),
    "from marts.signal_pairs": lambda rows, run: (
        len(rows) == 5
        and descending(rows, "date")
        and all(r["spread_pp"] == round(r["dgs2"] - r["dff"], 2) for r in rows)
        and all(r["correlation_252"] is None or -1 <= r["correlation_252"] <= 1 for r in rows)
    ),
    # The demo reloads the same values: nothing revised, nothing failed.
    "fred_observations_history": lambda rows, run: rows == [],
    "status in ('failed', 'missing', 'rejected')": lambda rows, run: rows == [],
    "partition by source, series_id order by loaded_at desc": lambda rows, run: (
        len(rows) == len({(r["source"], r["series_id"]) for r in rows})
        and {r["status"] for r in rows} == {"loaded"}
    ),
    "days_old": lambda rows, run: len(rows) == FRED_SERIES and all(r["days_old"] >= 0 for r in rows),
}


def test_every_meaning_matches_one_readme_query():
    queries = readme_queries()
    assert {phrase: sum(phrase in q for q in queries) for phrase in MEANING} == dict.fromkeys(MEANING, 1)


@pytest.mark.parametrize("query", readme_queries(), ids=lambda q: q.split("\n")[0][:60])
def test_every_readme_query_runs_in_the_cli_and_returns_what_it_promises(demo_run, query):
    done = duckdb_cli(demo_run.published, query)
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert done.stdout.strip(), "the CLI printed no header"
    (meaning,) = [check for phrase, check in MEANING.items() if phrase in query]
    with duckdb.connect(str(demo_run.published), read_only=True) as con:
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert meaning(rows, demo_run.run_id), rows[:3]


def test_the_readme_consistency_query_says_the_copy_matches(demo_run):
    (query,) = [q for q in readme_queries() if "summary_matches" in q]
    done = duckdb_cli(demo_run.published, query)
    header, row = done.stdout.strip().splitlines()
    assert dict(zip(header.split(","), row.split(","), strict=True))["summary_matches"] == "true"


def test_make_sql_opens_the_published_copy_read_only(demo_run, monkeypatch):
    for key, value in demo_env(demo_run.root).items():
        monkeypatch.setenv(key, value)
    calls = []
    monkeypatch.setattr(cli.os, "execv", lambda binary, argv: calls.append((binary, argv)))
    cli.sql()
    ((binary, argv),) = calls
    assert Path(binary) == DUCKDB_CLI
    assert argv[1:] == ["-readonly", str(demo_run.published)]
    assert str(demo_run.root / "warehouse.duckdb") not in argv


def test_publish_checkpoints_first_so_writes_still_in_the_wal_are_published(warehouse_env):
    warehouse = WarehouseResource()
    with duckdb.connect(str(warehouse_env), config=dict(CONNECTION_CONFIG)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.thesis_summary as select 'run-1' as run_id, date '2026-11-24' as as_of, "
            "'a_thesis' as thesis, 'verdict' as row_type, 'neutral' as status"
        )
        con.execute("checkpoint")
        # Committed but only in the WAL while this connection stays open (no checkpoint on close yet).
        con.execute("create table marts.late as select range as i from range(1000)")
        assert Path(f"{warehouse_env}.wal").exists()
        target = publish(warehouse, run_id="run-1", source_mode="demo")
    assert sql(target, "select count(*) from marts.late") == [(1000,)]
    assert sql(target, "select run_id, summary_run_id from published.run_info") == [("run-1", "run-1")]
