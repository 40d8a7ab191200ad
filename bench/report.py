"""The Markdown report: the goals, the small-scale and scale tables, side by side with bare DuckDB."""

import math

from bench.goals import Goal


def _vs(n, label: str, pipeline: float, bare: float, what: str, digits: int) -> list:
    """One side-by-side row: the pipeline's seconds, the bare counterpart's, and their ratio."""
    return [n, label, _s(pipeline), _s(bare), f"{pipeline / bare:.{digits}f}×", what]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _s(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def _stages_table(stages: list[dict], total: float) -> str:
    rows = []
    for s in stages:
        note = []
        if "steps" in s:
            note.append(f"{s['steps']} steps, {s['events']} events")
        if "dbt_process_s" in s:
            note.append(
                f"setup {s['dbt_setup_s']:.2f} s, dbt process {s['dbt_process_s']:.2f} s, "
                f"Dagster handling dbt's events {s['dagster_dbt_events_s']:.2f} s"
            )
        rss = f"{s['rss_mb']:.0f}" if s.get("rss_mb") else ""
        rows.append([s["stage"], _s(s["s"]), f"{100 * s['s'] / total:.0f} %", rss, "; ".join(note)])
    return _table(["stage", "s", "share", "peak RSS MB (tree)", "detail"], rows)


def machine_name(machine: dict) -> str:
    """The machine a result was measured on (results before it was recorded: its CPU only)."""
    return machine.get("host") or machine["cpu"]


def _parts_table(small: dict, prefix: str = "") -> str:
    def f(key: str) -> float:
        return small[f"{prefix}{key}"]

    return _table(
        ["part", "median s"],
        [
            ["import dagster + the definitions (fresh interpreter)", _s(f("imports_s"))],
            [
                f"bare `dbt build`, the step's args (dbt's elapsed {_s(f('dbt_elapsed_s'))} s)",
                _s(f("dbt_build_s")),
            ],
            [
                f"GX gate's work: import ({_s(f('gx_import_s'))} s), one context, every suite "
                "validated in DuckDB, Data Docs once",
                _s(f("gx_s")),
            ],
            ["ingest's rows as a bare Arrow insert (DuckDB)", _s(f("duckdb_s"))],
            [
                "summary's work without Dagster: read, score, backfill, flips, write, report",
                _s(f("summary_part_s")),
            ],
            ["**sum**", f"**{_s(f('parts_sum_s'))}**"],
            [
                "(not in the sum: demo body generation / parsing, Python)",
                f"{_s(f('generate_s'))} / {_s(f('parse_s'))}",
            ],
        ],
    )


def markdown(results: dict, small: dict | None, scale: list[dict] | None, goal_list: list[Goal]) -> str:
    m = results["machine"]
    dirty = " (uncommitted changes)" if results["git"]["dirty"] else ""
    out = [
        f"# Benchmark {results['date']}",
        "",
        f"Every figure below: commit `{results['git']['commit'][:12]}`{dirty}, on machine "
        f"`{machine_name(m)}` ({m['cpus']} cores, {m['cpu']}, {m['memory_gb']:.0f} GB). "
        f"Load average {m['load_before']} before, "
        f"{m['load_after']} after; repeats: {results['options']['repeats']} (small scale), "
        f"{results['options']['scale_repeats']} per scale"
        f"{'; profiled with py-spy (timings inflated)' if results['options']['profile'] else ''}.",
    ]
    if m["load_before"][0] > 0.5 * m["cpus"] or m["load_after"][0] > 0.5 * m["cpus"]:
        out.append("**The machine was busy with other work during this run: absolute times are noisy.**")
    out += ["", "## Goals", "", _table(["figure", "measured", "goal", ""], [g.row() for g in goal_list])]
    if small:
        n = len(results["small"]["cold"])
        out += [
            "",
            f"## Small scale (shipped catalog, as of {results['small']['as_of']}; median of {n})",
            "",
            _table(
                ["what", "median s", "peak RSS MB"],
                [
                    ["cold `make run` (fresh warehouse and DAGSTER_HOME)", _s(small["cold_s"]), ""],
                    ["warm daily run (the next day)", _s(small["warm_s"]), ""],
                    ["peak RSS of the demo runs", "", f"{small['demo_rss_mb']:.0f}"],
                    ["`dagster dev` until /server_info answers", _s(small["dev_server_info_s"]), ""],
                    [
                        "`dagster dev` until the code location is LOADED",
                        _s(small["dev_s"]),
                        f"{small['dev_rss_mb']:.0f}",
                    ],
                    ["`make test`", _s(small["test_s"]), f"{small['test_rss_mb']:.0f}"],
                ],
            ),
            "",
            "Unavoidable parts of the cold run, measured right after it on its warehouse "
            f"(cold run ÷ parts = {small['ratio']:.2f}×):",
            "",
            _parts_table(small),
            "",
            "Unavoidable parts of the warm run, measured right after it on its warehouse "
            f"(warm run ÷ parts = {small['warm_ratio']:.2f}×):",
            "",
            _parts_table(small, "warm_"),
            "",
            "Where the cold run's time goes (median run, from its event log):",
            "",
            _stages_table(small["cold_stages"], small["cold_s"]),
            "",
            "Where the warm run's time goes:",
            "",
            _stages_table(small["warm_stages"], small["warm_s"]),
        ]
    if scale:
        out += [
            "",
            f"## Scale (synthetic daily series × {results['scale'][0]['years']} years, the whole pipeline)",
            "",
            _table(
                [
                    "series",
                    "raw rows",
                    "pipeline s",
                    "rows/s",
                    "peak RSS MB",
                    "ingest s",
                    "dbt s",
                    "GX gate s",
                    "summary s",
                ],
                [
                    [
                        f"{s['series']:,}",
                        f"{s['rows']:,}",
                        _s(s["wall_s"]),
                        f"{s['rows'] / s['wall_s']:,.0f}",
                        f"{s['rss_mb']:.0f}",
                        _s(s["ingest_s"]),
                        _s(s["dbt_s"]),
                        _s(s["gx_s"]),
                        _s(s["summary_s"]),
                    ]
                    for s in scale
                ],
            ),
            "",
            "The GX gate alone in a fresh interpreter (one context, every suite in DuckDB, Data Docs): "
            + "; ".join(
                f"{s['series']:,} series {_s(s['gx_worker_s'])} s, {s['gx_worker_rss_mb']:.0f} MB peak"
                for s in scale
                if s.get("gx_worker_rss_mb")
            ),
            "",
            "Per-stage peak RSS (MB, whole process tree): "
            + "; ".join(
                f"{s['series']:,}: " + ", ".join(f"{k} {v:.0f}" for k, v in s["stage_rss_mb"].items() if v)
                for s in scale
            ),
            "",
            "Side by side with bare DuckDB on the same data, in the same run:",
            "",
            _table(
                ["series", "stage", "pipeline s", "bare s", "ratio", "bare is"],
                [row for s in scale for row in _side_rows(s)],
            ),
        ]
        if scale[0]["exponent"] is not None:
            out += [
                "",
                f"Fitted exponent of pipeline time (no demo generation) on rows: {scale[0]['exponent']:.2f}.",
            ]
    errors = dict(results.get("errors", {}))
    errors.update({f"scale {e['series']}": e["error"] for e in results.get("scale", []) if "error" in e})
    if errors:
        out += ["", "## Not measured (failed)", ""] + [
            f"- {k}: {v.splitlines()[0][:300]}" for k, v in errors.items()
        ]
    return "\n".join(out) + "\n"


def _side_rows(s: dict) -> list[list[str]]:
    n = f"{s['series']:,}"
    rate = s["rows"] / s["upsert_s"] if s["upsert_s"] else 0
    bare_rate = s["rows"] / s["bare_insert_s"] if s["bare_insert_s"] else 0
    return [
        [
            n,
            f"ingest: raw-layer upsert ({rate:,.0f} rows/s)",
            _s(s["upsert_s"]),
            _s(s["bare_insert_s"]),
            f"{s['upsert_s'] / s['bare_insert_s']:.2f}×",
            f"INSERT … SELECT from the same Arrow table ({bare_rate:,.0f} rows/s)",
        ],
        [n, "ingest: parse (Python)", _s(s["parse_s"]), "", "", "not done by a bare insert"],
        [
            n,
            "ingest: demo body generation",
            _s(s["generate_s"]),
            "",
            "",
            "stands in for HTTP; not in the ratios",
        ],
        _vs(
            n,
            f"dbt step (dbt process {_s(s['dbt_process_s'])} s, dbt's own {_s(s['dbt_elapsed_s'])} s)",
            s["dbt_s"],
            s["dbt_sql_s"],
            "the compiled SQL of every model and test",
            2,
        ),
        _vs(
            n,
            "GX gate (every suite, price_series included)",
            s["gx_s"],
            s["gx_sql_s"],
            "each suite's SQL twin: one query over the same relation, flagging the rows GX flags",
            2,
        ),
        _vs(
            n,
            "summary",
            s["summary_s"],
            s["summary_bare_s"],
            "the same scoring, backfill, flips, writes and report, without Dagster",
            2,
        ),
        _vs(
            n,
            "whole pipeline (no demo generation)",
            s["wall_without_generation_s"],
            s["bare_total_s"],
            "the four bare rows above",
            2,
        ),
    ]
