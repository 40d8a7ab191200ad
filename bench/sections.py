"""The three sections of the suite.

small  what users feel, on the shipped catalog: a cold `make run` (fresh warehouse and
       DAGSTER_HOME, venv and manifest present), a warm daily run (the next day on that
       warehouse), `dagster dev` until its UI answers, `make test`. Right after each cold run,
       and again after each warm run, on the same warehouse: the parts no orchestration can
       avoid, each doing the work the pipeline does, the way it does it (imports, a bare
       `dbt build` with the step's own command, the GX gate's work in one context, the ingest's
       rows as a bare Arrow insert, the summary's work without Dagster).
scale  the real catalog plus N synthetic daily series over ten years, end to end through the
       pipeline, then each stage's bare counterpart on the same data: the upsert vs an Arrow
       INSERT, dbt vs its compiled SQL, the GX gate vs its SQL twin (every suite), the summary
       vs the same work without Dagster, and the gate alone in a fresh interpreter (its memory).
"""

import datetime as dt
import json
from pathlib import Path

from bench import sandbox
from bench.catalog import write_catalog
from bench.runs import DBT_PROJECT, Runner
from config.catalog import DEMO_START
from config.resources import dbt_target_dir

# The small-scale as-of date: fixed, so every run loads the same rows.
SMALL_AS_OF = dt.date(2026, 6, 30)


def dbt_target(box: sandbox.Sandbox) -> Path:
    """The target folder of the dbt step's latest invocation on `box`'s warehouse."""
    target = dbt_target_dir(box.data)
    if not (target / "run_results.json").exists():
        raise RuntimeError(f"no run_results.json in {target}: did the dbt step run?")
    return target


def _parts(runner: Runner, box: sandbox.Sandbox, run: dict, as_of: dt.date) -> dict:
    """The unavoidable parts of `run`, on the warehouse it left. Where a worker runs in a fresh
    interpreter, its inner timings count, not its start-up: `imports` alone stands for that."""
    env = box.env()
    target = dbt_target(box)
    pipeline_results = json.loads((target / "run_results.json").read_text())
    parts = {
        "imports": runner.worker("imports", env),
        "dbt_build": runner.dbt_build(box, run["dbt_command"], target),
        "gx": runner.worker("gx", env, warehouse=box.warehouse, as_of=as_of, workdir=box.root),
        "ingest": runner.worker("ingest", env, as_of=as_of, workdir=box.root),
        "summary": runner.worker("summary", env, warehouse=box.warehouse, as_of=as_of, workdir=box.root),
    }
    parts["pipeline_dbt_elapsed_s"] = round(pipeline_results["elapsed_time"], 3)
    parts["duckdb_work_s"] = round(parts["ingest"]["bare_insert_s"], 3)
    parts["sum_s"] = round(
        parts["imports"]["wall_s"]
        + parts["dbt_build"]["wall_s"]
        + parts["gx"]["gate_s"]
        + parts["ingest"]["bare_insert_s"]
        + parts["summary"]["summary_s"],
        3,
    )
    return parts


def small(runner: Runner, runs: int, repeats: int, *, dev: bool, tests: bool) -> dict:
    """`runs` cold/warm pairs (0 to leave them out), then `repeats` of dev start-up and of make test."""
    out: dict = {
        "as_of": SMALL_AS_OF.isoformat(),
        "cold": [],
        "warm": [],
        "parts": [],
        "warm_parts": [],
        "dev": [],
        "test": [],
    }
    next_day = SMALL_AS_OF + dt.timedelta(days=1)
    for i in range(runs):
        box = sandbox.fresh()
        cold = runner.pipeline(box, SMALL_AS_OF, via_make=True, label=f"cold-{i}")
        out["cold"].append(cold)
        out["parts"].append(_parts(runner, box, cold, SMALL_AS_OF))
        warm = runner.pipeline(box, next_day, via_make=True, label=f"warm-{i}")
        out["warm"].append(warm)
        out["warm_parts"].append(_parts(runner, box, warm, next_day))
    if dev:
        box = sandbox.fresh()
        out["dev"] = [runner.dagster_dev(box) for _ in range(repeats)]
    if tests:
        env = sandbox.fresh().env()
        for key in ("DAGSTER_HOME", "THESIS_DATA_DIR", "WAREHOUSE_PATH"):
            env.pop(key)
        out["test"] = [runner.make_test(env) for _ in range(repeats)]
    return out


def _counts(box: sandbox.Sandbox) -> dict:
    import duckdb

    with duckdb.connect(str(box.warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        counts = {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in tables
        }
    raw = sum(
        n
        for k, n in counts.items()
        if k.startswith("raw.") and not k.endswith("_history") and k != "raw.load_audit"
    )
    marts = sum(n for k, n in counts.items() if k.startswith("marts.mart_"))
    return {"raw_rows": raw, "mart_rows": marts, "tables": counts}


def scale(runner: Runner, scales: list[int], years: int, repeats: int) -> list[dict]:
    as_of = dt.date(DEMO_START.year + years, 1, 1) - dt.timedelta(days=1)
    out = []
    for n in scales:
        try:
            out.append(_one_scale(runner, n, years, repeats, as_of))
        except Exception as exc:  # a scale that fails (say, out of memory) leaves the others standing
            out.append({"series": n, "years": years, "error": f"{type(exc).__name__}: {exc}"[:4000]})
            print(f"bench: scale {n} failed: {exc}", flush=True)
    return out


def _one_scale(runner: Runner, n: int, years: int, repeats: int, as_of: dt.date) -> dict:
    catalog = sandbox.WORK / f"catalog-{n}.yaml"
    write_catalog(n, catalog)
    runs, sides = [], []
    for i in range(repeats):
        box = sandbox.fresh()
        env = box.env(THESIS_CATALOG=str(catalog))
        run = runner.pipeline(box, as_of, via_make=False, label=f"scale-{n}-{i}", THESIS_CATALOG=str(catalog))
        run["counts"] = _counts(box)
        target = dbt_target(box)
        side = {
            "pipeline_dbt": json.loads((target / "run_results.json").read_text())["elapsed_time"],
            "ingest": runner.worker("ingest", env, as_of=as_of, workdir=box.root),
            "dbt_sql": runner.worker(
                "dbt-sql", env, warehouse=box.warehouse, target=target, project_dir=DBT_PROJECT
            ),
            "gx_sql": runner.worker("gx-sql", env, warehouse=box.warehouse, as_of=as_of),
            "gx": runner.worker("gx", env, warehouse=box.warehouse, as_of=as_of, workdir=box.root),
            "summary": runner.worker("summary", env, warehouse=box.warehouse, as_of=as_of, workdir=box.root),
        }
        runs.append(run)
        sides.append(side)
    return {"series": n, "years": years, "as_of": as_of.isoformat(), "runs": runs, "side": sides}
