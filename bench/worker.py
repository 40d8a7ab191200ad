"""The measurements that run in a fresh interpreter of their own: `python -m bench.worker TASK ...`.

Each task prints one JSON object (its inner timings) on its last line of stdout; the caller
measures the process from outside (wall time and peak RSS) with `bench.proc`.

  imports   import dagster, then the definitions module (what every run and code server pays)
  ingest    demo bodies → parse → the raw layer's upsert, next to a bare Arrow INSERT of the same rows
  dbt-sql   the SQL of every node dbt ran (models and data tests, from its artifacts), run directly
  gx        the GX gate as the pipeline runs it, without Dagster: import GX, one context, every
            suite the gate runs (price_series included) validated in DuckDB, one Data Docs build
  gx-sql    the same suites as their SQL twins (expectations/twin.py), one query per suite
  summary   the summary step without Dagster, on a copy of the warehouse: the same scoring,
            backfill and flips in polars, written back, and the report rendered
"""

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path


class Clock:
    """Named laps, in seconds."""

    def __init__(self):
        self.laps: dict[str, float] = {}

    def lap(self, name: str, fn: Callable, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self.laps[name] = round(self.laps.get(name, 0.0) + time.perf_counter() - t0, 4)
        return out


def _connect(path: Path):
    import duckdb

    from config.resources import CONNECTION_CONFIG

    return duckdb.connect(str(path), config=dict(CONNECTION_CONFIG))


def imports(_: argparse.Namespace) -> dict:
    clock = Clock()
    clock.lap("import_dagster_s", __import__, "dagster")
    module = clock.lap("import_definitions_s", __import__, "orchestration.definitions", fromlist=["defs"])
    clock.lap("validate_loadable_s", module.defs.validate_loadable, module.defs)
    return clock.laps


def _demo_bodies(as_of: dt.date, clock: Clock) -> list[tuple[object, list]]:
    """Every raw table's parsed bodies for a first demo load as of `as_of`, generation and parse timed."""
    from assets import raw
    from assets.ingest import CONNECTORS, fetch_window
    from assets.sources import genai_prices
    from assets.sources.bodies import DemoBodies
    from config.catalog import load_catalog

    demo, out = DemoBodies(), []
    for connector in CONNECTORS:
        bodies = [
            clock.lap("generate_s", demo.get, connector, s, fetch_window(s, None, as_of, "demo"))
            for s in load_catalog().for_source(connector.source)
        ]
        out.append((connector, [raw.Parsed(b, clock.lap("parse_s", connector.parse, b)) for b in bodies]))
    version = genai_prices.package_version()
    rows = genai_prices.extract(genai_prices.providers(), version)
    package = genai_prices.bodies(rows, version, dt.datetime.combine(as_of, dt.time(), dt.UTC))
    out.append((genai_prices.TABLE, [raw.Parsed(body, part) for body, part in package]))
    return out


def ingest(args: argparse.Namespace) -> dict:
    import pyarrow as pa

    from assets import raw

    clock = Clock()
    loads = _demo_bodies(dt.date.fromisoformat(args.as_of), clock)
    rows = sum(p.rows.num_rows for _, parsed in loads for p in parsed)
    workdir = Path(args.workdir)
    for name in ("upsert.duckdb", "bare.duckdb"):
        (workdir / name).unlink(missing_ok=True)

    upsert = _connect(workdir / "upsert.duckdb")
    for table, parsed in loads:
        clock.lap(
            "upsert_s", raw.load, upsert, table, parsed, [], "bench", as_of=dt.date.fromisoformat(args.as_of)
        )
    clock.lap("upsert_s", upsert.execute, "checkpoint")
    upsert.close()

    bare = _connect(workdir / "bare.duckdb")
    bare.execute("create schema raw")
    for table, parsed in loads:
        full = pa.unify_schemas([table.schema, raw.LINEAGE])
        incoming = pa.concat_tables([_with_lineage(p, table.schema, full) for p in parsed])
        name = raw.ident(table.table)
        bare.execute(f"create table raw.{name} ({raw._columns_ddl(full)})")
        bare.register("incoming_arrow", incoming)
        clock.lap("bare_insert_s", bare.execute, f"insert into raw.{name} select * from incoming_arrow")
        bare.unregister("incoming_arrow")
    clock.lap("bare_insert_s", bare.execute, "checkpoint")
    bare.close()
    series = {table.table: len(parsed) for table, parsed in loads}
    return {**clock.laps, "rows": rows, "series": series}


def _with_lineage(parsed, schema, full):
    """A body's rows as the raw table holds them, lineage included: the bare insert's input,
    built before its clock starts (the pipeline's load joins the lineage in while it inserts)."""
    import pyarrow as pa

    from assets.raw import LINEAGE

    body, n = parsed.body, parsed.rows.num_rows
    rows = parsed.rows.cast(schema)
    for field, value in zip(LINEAGE, (body.origin, body.fetched_at, body.sha256), strict=True):
        rows = rows.append_column(field, pa.repeat(pa.scalar(value, field.type), n))
    return rows.cast(full)


def _artifacts(target: Path) -> tuple[list[dict], dict]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())
    return results, manifest


def dbt_sql(args: argparse.Namespace) -> dict:
    """Every model (as a view or table, per its config) and data test, in the order dbt finished
    them (a valid build order), on one connection. Seeds are read from their CSVs into a scratch
    table, so their load counts without replacing the typed tables dbt built."""
    results, manifest = _artifacts(Path(args.target))
    nodes = manifest["nodes"]
    con = _connect(Path(args.warehouse))
    per_node: dict[str, float] = {}
    counts = {"model": 0, "test": 0, "seed": 0}
    t_all = time.perf_counter()
    for result in results:
        uid = result["unique_id"]
        kind = uid.split(".", 1)[0]
        node = nodes.get(uid)
        if node is None or kind not in counts:
            continue
        if kind == "seed":
            csv = Path(manifest["metadata"].get("project_dir", args.project_dir)) / node["original_file_path"]
            sql = (
                f"create or replace temp table _bench_seed as select * from read_csv('{csv}', header = true)"
            )
        elif kind == "model":
            code = result.get("compiled_code") or node.get("compiled_code")
            what = "view" if node["config"]["materialized"] == "view" else "table"
            sql = f"create or replace {what} {node['relation_name']} as {code}"
        else:
            code = result.get("compiled_code") or node.get("compiled_code")
            sql = f"select count(*) from ({code}) as dbt_internal_test"
        t0 = time.perf_counter()
        con.execute(sql).fetchall()
        per_node[uid] = round(time.perf_counter() - t0, 4)
        counts[kind] += 1
    total = time.perf_counter() - t_all
    con.execute("checkpoint")
    con.close()
    slowest = dict(sorted(per_node.items(), key=lambda kv: -kv[1])[:8])
    dbt_nodes = {r["unique_id"]: round(r["execution_time"], 4) for r in results if r["unique_id"] in per_node}
    return {"sql_s": round(total, 4), "nodes": counts, "slowest": slowest, "dbt_node_s": dbt_nodes}


def _suites(con, as_of: str) -> list:
    """Every suite the gate runs, built as the gate builds them: its baselines (completeness)
    from this warehouse's own gate record."""
    from expectations import record
    from expectations.checks import GATES
    from expectations.suites.spec import SuiteInputs

    out = []
    for gate in GATES:
        baseline = record.last_good(con, gate.check, gate.asset.to_user_string())
        inputs = SuiteInputs(dt.date.fromisoformat(as_of), baseline.rows if baseline else None)
        out.append(gate.build(inputs))
    return out


def gx(args: argparse.Namespace) -> dict:
    """The gate step's work: one GX context, every suite in the warehouse, Data Docs once."""
    clock = Clock()
    clock.lap("import_gx_s", __import__, "great_expectations")
    from expectations.gx_runner import Validator, cap_memory

    con = _connect(Path(args.warehouse))
    cap_memory(con, Path(args.workdir) / "gx_spill")
    suites = clock.lap("build_suites_s", _suites, con, args.as_of)
    validator = clock.lap("context_s", Validator, Path(args.workdir) / "gx_docs", run_name="bench")
    outcomes = [clock.lap("validate_s", validator.validate_in_warehouse, con, suite) for suite in suites]
    con.close()
    clock.lap("docs_s", validator.publish_docs)
    failed = sum(len(o.failed) for o in outcomes)
    return {
        **clock.laps,
        "gate_s": round(sum(clock.laps.values()), 4),
        "suites": len(suites),
        "expectations": sum(len(s.expectations) for s in suites),
        "failed": failed,
    }


def gx_sql(args: argparse.Namespace) -> dict:
    """Every suite the gate runs as its SQL twin (expectations/twin.py): one query per suite over
    the same relation, flagging the rows GX flags (tests/test_gate.py proves the two agree)."""
    from expectations.gx_runner import cap_memory
    from expectations.twin import twin_flags

    # The same DuckDB as the gate's: its memory cap too, so both sides spill alike.
    con = _connect(Path(args.warehouse))
    cap_memory(con, Path(args.warehouse).parent / "gx_spill")
    suites = _suites(con, args.as_of)
    t0 = time.perf_counter()
    for suite in suites:
        twin_flags(con, suite)
    elapsed = time.perf_counter() - t0
    con.close()
    return {
        "sql_s": round(elapsed, 4),
        "suites": len(suites),
        "expectations": sum(len(s.expectations) for s in suites),
    }


def summary(args: argparse.Namespace) -> dict:
    """The summary step's own work, in the order the asset does it, on a copy of the warehouse
    (the sandbox's summary history stays the pipeline's): every thesis of config/theses/ read,
    scored and backfilled over the marts and signals, the summary, its history and the flips
    written, and each thesis' report rendered."""
    import shutil

    import polars as pl

    from assets import summary as step
    from assets.report import render_report
    from assets.thesis import evaluate
    from config.theses import load_theses

    clock = Clock()
    copy = Path(args.workdir) / "summary.duckdb"
    shutil.copy(args.warehouse, copy)
    as_of = dt.date.fromisoformat(args.as_of)
    theses = clock.lap("compute_s", load_theses)
    con = _connect(copy)
    clock.lap("write_s", step.ensure_history, con)
    frames, loads = clock.lap("read_s", lambda: (step.read_frames(con, theses), step.read_loads(con)))
    result = clock.lap(
        "compute_s", lambda: pl.concat([evaluate(t, frames, as_of, loads) for t in theses.values()])
    )
    skip = clock.lap("read_s", step.days_computed_on_the_day, con)
    backfilled = clock.lap(
        "compute_s",
        lambda: pl.concat(
            [step.backfill(t, frames, loads, as_of, skip.get(i, set())) for i, t in theses.items()]
        ),
    )
    clock.lap("write_s", step.write_summary, con, result, "bench", as_of, backfilled)
    history = clock.lap("read_s", step.read_history, con)
    flips_sql = "select * from marts.thesis_status_flips order by as_of"
    flips = clock.lap("read_s", lambda: con.sql(flips_sql).pl())
    con.close()
    reports = Path(args.workdir) / "reports"
    for thesis in theses.values():
        mine = pl.col("thesis") == thesis.id
        clock.lap(
            "report_s",
            render_report,
            thesis,
            result.filter(mine),
            history.filter(mine),
            flips.filter(mine),
            frames,
            reports / thesis.id,
        )
    copy.unlink()
    return {
        **clock.laps,
        "summary_s": round(sum(clock.laps.values()), 4),
        "theses": len(theses),
        "frames": len(frames),
        "rows_read": sum(f.height for f in frames.values()),
    }


TASKS = {
    "imports": imports,
    "ingest": ingest,
    "dbt-sql": dbt_sql,
    "gx": gx,
    "gx-sql": gx_sql,
    "summary": summary,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--warehouse")
    parser.add_argument("--as-of")
    parser.add_argument("--target")
    parser.add_argument("--project-dir")
    parser.add_argument("--workdir")
    args = parser.parse_args(argv)
    result = TASKS[args.task](args)
    print("\n" + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
