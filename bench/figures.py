"""From raw measurements to figures: medians, the median run's stages, the scale sweep and its fit."""

import math
import statistics


def med(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def _median_run(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    return ordered[(len(ordered) - 1) // 2]


def _stage(run: dict, name: str) -> dict:
    return next((s for s in run["stages"] if s["stage"] == name), {"s": 0.0})


def _parts_figures(parts: list[dict], prefix: str = "") -> dict:
    """Medians of the unavoidable parts (see bench/sections.py), keys prefixed with `prefix`."""
    figures = {
        "parts_sum_s": med(p["sum_s"] for p in parts),
        "imports_s": med(p["imports"]["wall_s"] for p in parts),
        "dbt_build_s": med(p["dbt_build"]["wall_s"] for p in parts),
        "dbt_elapsed_s": med(p["dbt_build"]["dbt_elapsed_s"] for p in parts),
        "gx_s": med(p["gx"]["gate_s"] for p in parts),
        "gx_import_s": med(p["gx"]["import_gx_s"] for p in parts),
        "duckdb_s": med(p["duckdb_work_s"] for p in parts),
        "summary_part_s": med(p["summary"]["summary_s"] for p in parts),
        "parse_s": med(p["ingest"]["parse_s"] for p in parts),
        "generate_s": med(p["ingest"]["generate_s"] for p in parts),
    }
    return {f"{prefix}{k}": v for k, v in figures.items()}


def summarize_small(small: dict) -> dict:
    cold, warm, parts = small["cold"], small["warm"], small["parts"]
    # A section measured in no saved run (say `make test`, with `--from`) is simply not there.
    dev, tests = small.get("dev", []), small.get("test", [])
    figures = {
        "cold_s": med(r["wall_s"] for r in cold),
        "warm_s": med(r["wall_s"] for r in warm),
        "demo_rss_mb": max((r["rss_mb"] for r in cold + warm), default=float("nan")),
        **_parts_figures(parts),
        **_parts_figures(small.get("warm_parts", []), "warm_"),
        "dev_s": med(r["wall_s"] for r in dev),
        "dev_server_info_s": med(r["server_info_s"] for r in dev),
        "dev_rss_mb": max((r["rss_mb"] for r in dev), default=float("nan")),
        "test_s": med(r["wall_s"] for r in tests),
        "test_rss_mb": max((r["rss_mb"] for r in tests), default=float("nan")),
    }
    figures["ratio"] = figures["cold_s"] / figures["parts_sum_s"]
    figures["warm_ratio"] = figures["warm_s"] / figures["warm_parts_sum_s"]
    figures["cold_stages"] = _median_run(cold)["stages"] if cold else []
    figures["warm_stages"] = _median_run(warm)["stages"] if warm else []
    return figures


def _fit_exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(time) on log(rows): 1 is linear."""
    points = [(x, y) for x, y in points if x > 0 and y > 0]
    if len(points) < 2:
        return None
    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else None


def summarize_scale(scale: list[dict]) -> list[dict]:
    out = []
    for entry in scale:
        if "error" in entry:
            continue
        run = _median_run(entry["runs"])
        side = entry["side"][entry["runs"].index(run)]
        rows = run["counts"]["raw_rows"]
        ingest, dbt, gate, summary = (_stage(run, s) for s in ("ingest", "dbt", "gx gate", "summary"))
        bare_summary = side["summary"]["summary_s"]
        generate = side["ingest"]["generate_s"]
        bare_total = (
            side["ingest"]["bare_insert_s"]
            + side["dbt_sql"]["sql_s"]
            + side["gx_sql"]["sql_s"]
            + bare_summary
        )
        out.append(
            {
                "series": entry["series"],
                "rows": rows,
                "mart_rows": run["counts"]["mart_rows"],
                "wall_s": run["wall_s"],
                "wall_without_generation_s": run["wall_s"] - generate,
                "rss_mb": run["rss_mb"],
                "stages": run["stages"],
                "ingest_s": ingest["s"],
                "generate_s": generate,
                "parse_s": side["ingest"]["parse_s"],
                "upsert_s": side["ingest"]["upsert_s"],
                "bare_insert_s": side["ingest"]["bare_insert_s"],
                "dbt_s": dbt["s"],
                "dbt_process_s": dbt.get("dbt_process_s"),
                "dbt_elapsed_s": side["pipeline_dbt"],
                "dbt_sql_s": side["dbt_sql"]["sql_s"],
                "dbt_slowest": side["dbt_sql"]["slowest"],
                "gx_s": gate["s"],
                "gx_sql_s": side["gx_sql"]["sql_s"],
                # The gate alone, in a fresh interpreter: its own time and peak memory.
                "gx_worker_s": side["gx"]["gate_s"] if "gx" in side else None,
                "gx_worker_rss_mb": side["gx"]["rss_mb"] if "gx" in side else None,
                "summary_s": summary["s"],
                "summary_bare_s": bare_summary,
                "bare_total_s": bare_total,
                "stage_rss_mb": {s["stage"]: s.get("rss_mb") for s in run["stages"] if "rss_mb" in s},
            }
        )
    exponent = _fit_exponent([(s["rows"], s["wall_without_generation_s"]) for s in out])
    for s in out:
        s["exponent"] = exponent
    return out
