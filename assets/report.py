"""A thesis' report: one markdown page with the verdict's tables and its charts.

Every thesis gets two charts from its history:
- Pillar scores over time, with the confirm and contradict cut-offs.
- Metric statuses over time: one row per metric, one column per snapshot.
A thesis' `charts` (its file) adds any of:
- `markets_rebased`: the broad dollar index, the S&P 500 and bitcoin rebased to 100.
- `ai_price_decline`: the cheapest price at the GPT-4 capability bar (log scale), the decline the
  mart fitted over its trailing window, and a16z's ~10x a year for comparison.

Written to <data>/reports/<thesis id>/ (`thesis_report.md` beside its PNGs), and returned as the
same markdown with the charts inlined as base64 data URIs for the Dagster UI. matplotlib is imported
here only, lazily, through its object API (a `Figure` printed by the Agg canvas: no pyplot, no
display, no global state); about 1 s to import on a small machine, 0.1-0.2 s per chart.
"""

import base64
import datetime as dt
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.markdown import md_table
from assets.thesis import DEMO_NOTE, STATUS_SCORE, fmt
from config.theses import Thesis

REPORT_NAME = "thesis_report.md"
# (mart, column, label) of the rebased market chart.
MARKETS = [
    ("mart_dollar", "broad_dollar_index", "Broad dollar index (Fed, DTWEXBGS)"),
    ("mart_equities", "sp500_close", "S&P 500"),
    ("mart_crypto", "btc_usd", "Bitcoin (Coinbase, USD)"),
]
A16Z_DECLINE_PER_YEAR = 10.0  # the essay's source: "the cost is decreasing by 10x every year"
# The marts each extra chart reads (the summary reads them when a thesis asks for the chart).
CHART_MARTS = {"markets_rebased": {m for m, _, _ in MARKETS}, "ai_price_decline": {"mart_ai_cost"}}
STATUS_COLOURS = {
    "confirms": "#2ca02c",
    "neutral": "#bdbdbd",
    "contradicts": "#d62728",
    "stale": "#ffbf69",
    "no_data": "#ffffff",
}


@dataclass(frozen=True)
class Report:
    path: Path  # the markdown file
    charts: dict[str, Path]  # chart name -> PNG file
    markdown_inline: str  # the same page with the charts as data URIs (for the Dagster UI)


def _figure():
    from matplotlib.figure import Figure  # lazy: only a run that renders the report pays for it

    # Fixed margins rather than a layout engine: a constrained layout costs more than the drawing.
    figure = Figure(figsize=(8.5, 3.4), dpi=90)
    figure.subplots_adjust(left=0.08, right=0.80, top=0.91, bottom=0.1)
    return figure, figure.subplots()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def pillar_scores_chart(history: pl.DataFrame, thesis: Thesis) -> bytes:
    """Each pillar's score per snapshot (a gap where it was stale or had no data), and the verdict's."""
    figure, ax = _figure()
    top, bottom = thesis.scoring.confirms_at, thesis.scoring.contradicts_at
    ax.axhspan(top, 1.1, color="tab:green", alpha=0.08, label="confirms")
    ax.axhspan(-1.1, bottom, color="tab:red", alpha=0.08, label="contradicts")
    for name in [*thesis.pillars, "verdict"]:
        rows = history.filter(
            (pl.col("row_type") == "verdict")
            if name == "verdict"
            else (pl.col("row_type") == "pillar") & (pl.col("pillar") == name)
        ).sort("as_of")
        scores = [
            s if status in STATUS_SCORE else None
            for s, status in zip(rows["score"], rows["status"], strict=True)
        ]
        style = (
            {"color": "black", "linewidth": 2.4} if name == "verdict" else {"linewidth": 1.1, "alpha": 0.85}
        )
        ax.plot(rows["as_of"].to_list(), [math.nan if s is None else s for s in scores], label=name, **style)
    ax.set_ylim(-1.1, 1.1)
    ax.set_ylabel("score (+1 confirms, -1 contradicts)", fontsize=8)
    ax.set_title("Pillar scores over time", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3)
    return _png(figure)


def metric_statuses_chart(history: pl.DataFrame, thesis: Thesis) -> bytes:
    """One row per metric (the thesis file's order), one column per snapshot, coloured by status."""
    from matplotlib.colors import ListedColormap

    figure, ax = _figure()
    metrics = [m for p in thesis.pillars.values() for m in p.metrics]
    rows = history.filter(pl.col("row_type") == "metric")
    dates = sorted(rows["as_of"].unique().to_list())
    code = {status: i for i, status in enumerate(STATUS_COLOURS)}
    grid = [[code["no_data"]] * len(dates) for _ in metrics]
    column = {d: j for j, d in enumerate(dates)}
    line = {m.id: i for i, m in enumerate(metrics)}
    for r in rows.iter_rows(named=True):
        if r["metric"] in line:
            grid[line[r["metric"]]][column[r["as_of"]]] = code.get(r["status"], code["no_data"])
    colours = ListedColormap(list(STATUS_COLOURS.values()))
    ax.imshow(grid, aspect="auto", cmap=colours, vmin=0, vmax=len(STATUS_COLOURS) - 1, interpolation="none")
    ax.set_yticks(range(len(metrics)), [m.label for m in metrics], fontsize=6)
    ticks = list(range(0, len(dates), max(1, len(dates) // 6)))
    ax.set_xticks(ticks, [str(dates[j]) for j in ticks], fontsize=7)
    for status, colour in STATUS_COLOURS.items():
        ax.bar(0, 0, color=colour, edgecolor="grey", label=status.replace("_", " "))
    ax.set_title("Metric statuses per snapshot", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.subplots_adjust(left=0.22)
    return _png(figure)


def markets_chart(marts: dict[str, pl.DataFrame], start: dt.date, as_of: dt.date) -> bytes:
    """The broad dollar, the S&P 500 and bitcoin, each rebased to 100 on its first day from `start`."""
    figure, ax = _figure()
    for mart, column, label in MARKETS:
        rows = (
            marts[mart]
            .filter(pl.col("date").is_between(start, as_of) & pl.col(column).is_not_null())
            .sort("date")
        )
        if rows.height:
            ax.plot(
                rows["date"].to_list(),
                (100 * rows[column] / rows[column][0]).to_list(),
                label=label,
                linewidth=1.2,
            )
    ax.axhline(100, color="grey", linewidth=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter("{x:.0f}")
    ax.yaxis.set_minor_formatter("{x:.0f}")
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.set_title(f"Rebased to 100 on {start} (log scale)", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3, which="both")
    return _png(figure)


def ai_decline_chart(ai: pl.DataFrame, as_of: dt.date) -> bytes:
    """The GPT-4-level frontier price (log scale), the mart's fitted decline over its trailing
    window (drawn through the window's mean log price), and a16z's 10x a year through the same point."""
    figure, ax = _figure()
    rows = ai.filter((pl.col("date") <= as_of) & (pl.col("gpt4_level_usd_per_mtok") > 0)).sort("date")
    if rows.height:
        mmlu, gpqa = rows["gpt4_level_mmlu_bar"][-1], rows["gpt4_level_gpqa_bar"][-1]
        ax.step(
            rows["date"].to_list(),
            rows["gpt4_level_usd_per_mtok"].to_list(),
            where="post",
            # Two lines: the legend sits in the figure's right margin.
            label=f"cheapest at GPT-4 level\n(MMLU ≥ {mmlu:.0f} or GPQA ≥ {gpqa:.0f})",
            linewidth=1.6,
        )
        last = rows.row(-1, named=True)
        factor, points = last["gpt4_level_decline_factor_per_year"], last["gpt4_level_fit_points"]
        if factor is not None and factor > 0 and points:
            window = rows.tail(points)
            years = [(d - window["date"][0]).days / 365.25 for d in window["date"]]
            centre = (
                sum(years) / len(years),
                sum(math.log(p) for p in window["gpt4_level_usd_per_mtok"]) / len(years),
            )
            for per_year, label, style in (
                (factor, f"fitted: {factor:.1f}x a year over {points} months", "--"),
                (A16Z_DECLINE_PER_YEAR, "a16z: 10x a year", ":"),
            ):
                line = [math.exp(centre[1] - math.log(per_year) * (t - centre[0])) for t in years]
                ax.plot(window["date"].to_list(), line, style, label=label, linewidth=1.3)
    cheaper = ai.filter((pl.col("date") <= as_of) & (pl.col("gpt35_level_usd_per_mtok") > 0)).sort("date")
    if cheaper.height:
        ax.step(
            cheaper["date"].to_list(),
            cheaper["gpt35_level_usd_per_mtok"].to_list(),
            where="post",
            label="cheapest price at the GPT-3.5 level",
            linewidth=1.0,
            alpha=0.6,
        )
    ax.set_yscale("log")
    ax.set_ylabel("USD per 1M tokens (3:1 blend)", fontsize=8)
    ax.set_title("AI inference price at constant capability", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3, which="both")
    return _png(figure)


def report_markdown(
    thesis: Thesis, summary: pl.DataFrame, history: pl.DataFrame, flips: pl.DataFrame, image
) -> str:
    """The page; `image(name)` gives each chart's link (a file name, or a data URI)."""
    verdict = summary.filter(pl.col("row_type") == "verdict").row(0, named=True)
    as_of = verdict["as_of"]
    pillars = summary.filter(pl.col("row_type") == "pillar").select(
        "pillar", pl.col("label").alias("claim"), "status", pl.col("score").round(2), "evidence"
    )
    metric_rows = summary.filter(pl.col("row_type").is_in(["metric", "part"]))
    metrics = pl.DataFrame(
        {
            "pillar": metric_rows["pillar"],
            "metric": [
                f"↳ {r['label']}" if r["part_of"] else r["label"] for r in metric_rows.iter_rows(named=True)
            ],
            "observed": metric_rows["observation_date"],
            "value": [fmt(r["value"], r["unit"] or "") for r in metric_rows.iter_rows(named=True)],
            "status": metric_rows["status"],
            "evidence": metric_rows["evidence"],
        }
    )
    snapshots = history.select("as_of", "backfilled").unique()
    demo = (
        f"> **Demo data.** {DEMO_NOTE} Every number below comes from the deterministic synthetic "
        "series of THESIS_SOURCE_MODE=demo.\n\n"
        if "demo" in verdict["origin"].split(", ")
        else ""
    )
    lines = [
        f"# {thesis.title}: the verdict as of {as_of}",
        "",
        f"{demo}**{verdict['label']} {verdict['status'].upper()}** "
        + (f"(score {verdict['score']:+.2f}). " if verdict["score"] is not None else "")
        + f"Data origin: {verdict['origin']}. Thesis file: `config/theses/{thesis.id}.yaml`.",
        "",
        "## Pillars",
        "",
        md_table(pillars),
        "",
        "## Metrics",
        "",
        md_table(metrics, max_rows=100),
        "",
        "## Pillar scores over time",
        "",
        f"![Pillar scores over time]({image('pillar_scores')})",
        "",
        f"{snapshots.height} snapshots from {snapshots['as_of'].min()} to {snapshots['as_of'].max()}; "
        f"{snapshots['backfilled'].sum()} are month-ends backfilled point in time (each reads only "
        "observations dated, and published, by its date). Scores of stale pillars are left out.",
        "",
        "## Metric statuses over time",
        "",
        f"![Metric statuses per snapshot]({image('metric_statuses')})",
        "",
        "## Status flips (latest 12)",
        "",
        md_table(
            flips.sort("as_of", descending=True)
            .head(12)
            .select("as_of", "pillar", "previous_status", "status", "backfilled")
        )
        if flips.height
        else "_No pillar or verdict has changed status._",
        "",
    ]
    if "markets_rebased" in thesis.charts:
        lines += [
            "## The dollar, US equities and bitcoin",
            "",
            f"![Broad dollar, S&P 500 and bitcoin rebased to 100]({image('markets_rebased')})",
            "",
        ]
    if "ai_price_decline" in thesis.charts:
        lines += [
            "## AI inference cost",
            "",
            f"![AI price decline at the GPT-4 level]({image('ai_price_decline')})",
            "",
        ]
    return "\n".join(lines)


def _write(path: Path, data: bytes) -> None:
    """Replace `path` atomically: a reader sees the old file or the new one, never half."""
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_bytes(data)
    os.replace(staging, path)


def render_report(
    thesis: Thesis,
    summary: pl.DataFrame,
    history: pl.DataFrame,
    flips: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
    directory: Path,
) -> Report:
    """Render one thesis' charts and page (its rows of the summary, history and flips), write them
    to `directory`, and return the inline page. `frames` holds the marts its extra charts read."""
    as_of = summary["as_of"][0]
    start = min(history["as_of"].min(), as_of)
    charts = {
        "pillar_scores": pillar_scores_chart(history, thesis),
        "metric_statuses": metric_statuses_chart(history, thesis),
    }
    if "markets_rebased" in thesis.charts:
        charts["markets_rebased"] = markets_chart(frames, start, as_of)
    if "ai_price_decline" in thesis.charts:
        charts["ai_price_decline"] = ai_decline_chart(frames["mart_ai_cost"], as_of)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / f"{name}.png" for name in charts}
    for name, png in charts.items():
        _write(paths[name], png)
    page = report_markdown(thesis, summary, history, flips, lambda name: paths[name].name)
    report = directory / REPORT_NAME
    _write(report, page.encode())

    def inline(name: str) -> str:
        return "data:image/png;base64," + base64.b64encode(charts[name]).decode()

    return Report(report, paths, report_markdown(thesis, summary, history, flips, inline))
