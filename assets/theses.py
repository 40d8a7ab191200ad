"""The theses as Dagster assets, built from config/theses/ when the definitions load.

One step (`marts__thesis_summary`) materializes the shared table `marts/thesis_summary` and one
asset per thesis file, `theses/<id>`: its verdict, pillars and metrics as tables, its report with
the charts inlined, and its own `status_flips`. Each waits for every gated table (`gated_keys`),
so any blocking check holds every verdict back. The evaluation and the tables are
`assets/summary.py`'s.
"""

import time
from collections.abc import Iterator

import dagster as dg
import polars as pl

from assets.markdown import md_table
from assets.report import render_report
from assets.summary import STATUS_FLIPS_KEY, SUMMARY_KEY, evaluate_theses, gated_keys
from config.resources import SourceSettings, WarehouseResource, data_dir
from config.theses import Thesis


def thesis_key(thesis_id: str) -> dg.AssetKey:
    return dg.AssetKey(["theses", thesis_id])


def thesis_description(thesis: Thesis) -> str:
    """The thesis asset's description in the UI: the claim, its pillars, where it is defined."""
    pillars = "\n".join(f"- **{name}** ({p.weight:g}): {p.title}" for name, p in thesis.pillars.items())
    metrics = len(thesis.conditions())
    return (
        f"The verdict on the thesis “{thesis.title}” (`config/theses/{thesis.id}.yaml`): {metrics} "
        "measured conditions, scored confirms, neutral or contradicts (or stale, no_data, with the "
        "reason), per pillar and overall.\n\nPillars (weight):\n"
        f"{pillars}\n\nIts rows are those of marts.thesis_summary (history, flips) where thesis = "
        f"'{thesis.id}'. The report, with its charts, is attached to each materialization and "
        f"written to <data>/reports/{thesis.id}/."
    )


def thesis_specs(theses: dict[str, Thesis]) -> list[dg.AssetSpec]:
    """The shared summary table, and one asset per thesis; each waits for every gated table."""
    deps = gated_keys()
    summary = dg.AssetSpec(
        SUMMARY_KEY,
        deps=deps,
        group_name="summary",
        kinds={"polars", "duckdb"},
        description=(
            "Today's verdict on every thesis of config/theses/, one table keyed by `thesis`: one row "
            "per metric (value, observation and as-of dates, window and baseline, threshold and band, "
            "status, an evidence sentence with the numbers, data origin and source series), one row per "
            "pillar (weighted score and status) and one overall verdict per thesis. Statuses: confirms, "
            "contradicts, neutral, stale, no_data. Each day's summary is kept in "
            "marts.thesis_summary_history, with month-ends backfilled point in time (`backfilled`), and "
            "the status changes between snapshots in marts.thesis_status_flips. Each thesis is also its "
            "own asset (group `theses`), with its report and charts."
        ),
        metadata={"dagster/table_name": "marts.thesis_summary"},
    )
    return [
        summary,
        *(
            dg.AssetSpec(
                thesis_key(thesis_id),
                deps=deps,
                group_name="theses",
                kinds={"polars"},
                description=thesis_description(thesis),
                metadata={
                    "dagster/table_name": "marts.thesis_summary",
                    "thesis_file": f"config/theses/{thesis_id}.yaml",
                },
            )
            for thesis_id, thesis in theses.items()
        ),
    ]


def thesis_result(thesis: Thesis, result: dict) -> dg.MaterializeResult:
    """One thesis asset's materialization: its verdict, pillars, metrics and report, with charts."""
    mine = pl.col("thesis") == thesis.id
    summary = result["summary"].filter(mine)
    history = result["history"].filter(mine)
    started = time.perf_counter()
    report = render_report(
        thesis,
        summary,
        history,
        result["flips_table"].filter(mine),
        result["frames"],
        data_dir() / "reports" / thesis.id,
    )
    result["timings"]["report_s"] = result["timings"].get("report_s", 0.0) + time.perf_counter() - started
    verdict = summary.filter(pl.col("row_type") == "verdict").row(0, named=True)
    pillars = summary.filter(pl.col("row_type") == "pillar").select("pillar", "status", "score", "evidence")
    metrics = summary.filter(pl.col("row_type").is_in(["metric", "part"])).select(
        "pillar", "metric", "observation_date", "value", "status", "evidence"
    )
    return dg.MaterializeResult(
        asset_key=thesis_key(thesis.id),
        metadata={
            "dagster/row_count": summary.height,
            "as_of": str(verdict["as_of"]),
            "verdict": verdict["status"],
            "verdict_score": verdict["score"],
            "evidence": verdict["evidence"],
            "origin": verdict["origin"],
            "pillars": dg.MetadataValue.md(md_table(pillars)),
            "metrics": dg.MetadataValue.md(md_table(metrics, max_rows=100)),
            "snapshots": history["as_of"].n_unique(),
            "snapshots_backfilled_this_run": result["backfilled"].filter(mine)["as_of"].n_unique(),
            "report": dg.MetadataValue.md(report.markdown_inline),
            "report_path": dg.MetadataValue.path(str(report.path)),
            STATUS_FLIPS_KEY: dg.MetadataValue.json([f for f in result["flips"] if f["thesis"] == thesis.id]),
        },
    )


def build_thesis_assets(theses: dict[str, Thesis]) -> dg.AssetsDefinition:
    """One step for every thesis of the folder: the shared table and one asset per thesis."""

    @dg.multi_asset(
        name="marts__thesis_summary",
        specs=thesis_specs(theses),
        pool="warehouse",
        # Not subsettable: every thesis is evaluated, and every table written, on every run, so
        # materializing one of these assets materializes them all.
        can_subset=False,
        description="Evaluates every thesis of config/theses/ into marts.thesis_summary.",
    )
    def thesis_summary(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourceSettings
    ) -> Iterator[dg.MaterializeResult]:
        as_of = sources.reference_date()
        started = time.perf_counter()
        with warehouse.connect() as con:
            result = evaluate_theses(con, theses, as_of, context.run.run_id)
        per_thesis = [thesis_result(thesis, result) for thesis in theses.values()]
        summary = result["summary"]
        verdicts = summary.filter(pl.col("row_type") == "verdict").select(
            "thesis", "status", pl.col("score").round(2), "evidence"
        )
        yield dg.MaterializeResult(
            asset_key=SUMMARY_KEY,
            metadata={
                "dagster/row_count": summary.height,
                "as_of": str(as_of),
                "theses": len(theses),
                "verdicts": dg.MetadataValue.md(md_table(verdicts)),
                "origin": ", ".join(sorted(set(summary["origin"].drop_nulls().str.split(", ").explode()))),
                "snapshots": result["history"].select("thesis", "as_of").n_unique(),
                "snapshots_backfilled_this_run": result["backfilled"].select("thesis", "as_of").n_unique(),
                **{k: round(v, 3) for k, v in result["timings"].items()},
                "evaluate_all_theses_s": round(time.perf_counter() - started, 3),
                STATUS_FLIPS_KEY: dg.MetadataValue.json(result["flips"]),
            },
        )
        yield from per_thesis

    return thesis_summary
