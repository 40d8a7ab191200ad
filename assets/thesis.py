"""The thesis verdict as pure polars logic: metric statuses, pillar scores and the overall verdict.

Everything here is point in time: a verdict as of date D looks only at mart rows dated on or
before D, so computing it later (a backfill) gives the same answer it gave on the day.
"""

import datetime as dt
from dataclasses import dataclass

import polars as pl

from orchestration.thesis_config import Metric, Thesis

STATUS_SCORE = {"confirms": 1.0, "neutral": 0.0, "contradicts": -1.0}

SUMMARY_SCHEMA = {
    "row_type": pl.String,  # metric | pillar | verdict
    "pillar": pl.String,
    "metric": pl.String,
    "as_of": pl.Date,
    "observation_date": pl.Date,
    "value": pl.Float64,
    "unit": pl.String,
    "window": pl.String,
    "direction": pl.String,
    "threshold": pl.Float64,
    "band": pl.Float64,
    "status": pl.String,
    "score": pl.Float64,
    "weight": pl.Float64,
    "evidence": pl.String,
    "origin": pl.String,
    "source_series": pl.String,
}


@dataclass(frozen=True)
class SeriesLoad:
    """The latest load of one source series: its status (loaded/failed/missing) and origin."""

    status: str
    origin: str | None


def classify(value: float, direction: str, threshold: float, band: float) -> str:
    """confirms / contradicts / neutral for one value against the claim's direction."""
    distance = value - threshold if direction == "above" else threshold - value
    if distance > band:
        return "confirms"
    if distance < -band:
        return "contradicts"
    return "neutral"


def latest_as_of(frame: pl.DataFrame, column: str, as_of: dt.date) -> tuple[dt.date, float] | None:
    """The last non-null (date, value) on or before `as_of`."""
    rows = (
        frame.lazy()
        .filter((pl.col("date") <= as_of) & pl.col(column).is_not_null() & pl.col(column).is_not_nan())
        .sort("date")
        .select("date", column)
        .last()
        .collect()
    )
    return (rows["date"][0], float(rows[column][0])) if rows.height else None


def _origin(metric: Metric, loads: dict[str, SeriesLoad]) -> str:
    origins = sorted({loads[s].origin for s in metric.sources if s in loads and loads[s].origin})
    return ", ".join(origins) if origins else "unknown"


def evaluate_metric(
    pillar: str, metric: Metric, frame: pl.DataFrame | None, as_of: dt.date, loads: dict[str, SeriesLoad]
) -> dict:
    row = {
        "row_type": "metric",
        "pillar": pillar,
        "metric": metric.id,
        "as_of": as_of,
        "unit": metric.unit,
        "window": metric.window,
        "direction": metric.direction,
        "threshold": metric.threshold,
        "band": metric.band,
        "weight": metric.weight,
        "origin": _origin(metric, loads),
        "source_series": ", ".join(metric.sources),
    }
    found = (
        latest_as_of(frame, metric.column, as_of)
        if frame is not None and metric.column in frame.columns
        else None
    )
    if found is None:
        return {
            **row,
            "status": "no_data",
            "evidence": f"No {metric.column} on or before {as_of} in {metric.mart}.",
        }
    day, value = found
    status = classify(value, metric.direction, metric.threshold, metric.band)
    evidence = metric.evidence.format(
        value=value, threshold=metric.threshold, band=metric.band, date=day.isoformat(), window=metric.window
    )
    failed = [s for s in metric.sources if s in loads and loads[s].status != "loaded"]
    age = (as_of - day).days
    if failed or age > metric.max_age_days:
        reason = f"source {', '.join(failed)} failed to load" if failed else f"latest value is {age} days old"
        evidence = f"Stale ({reason}; allowed {metric.max_age_days} days). {evidence}"
        return {**row, "observation_date": day, "value": value, "status": "stale", "evidence": evidence}
    return {
        **row,
        "observation_date": day,
        "value": value,
        "status": status,
        "score": STATUS_SCORE[status],
        "evidence": evidence,
    }


def _aggregate(
    rows: list[dict], confirms_at: float, contradicts_at: float, stale_wins: bool
) -> tuple[str, float | None]:
    """Weighted score of the rows that have one; with `stale_wins`, any stale row makes it stale."""
    scored = [r for r in rows if r.get("score") is not None]
    if not scored:
        return ("stale" if any(r["status"] == "stale" for r in rows) else "no_data"), None
    score = sum(r["score"] * r["weight"] for r in scored) / sum(r["weight"] for r in scored)
    if stale_wins and any(r["status"] == "stale" for r in rows):
        return "stale", score
    if score >= confirms_at:
        return "confirms", score
    if score <= contradicts_at:
        return "contradicts", score
    return "neutral", score


def evaluate(
    thesis: Thesis, marts: dict[str, pl.DataFrame], as_of: dt.date, loads: dict[str, SeriesLoad]
) -> pl.DataFrame:
    """One row per metric, one per pillar and one overall verdict, as of `as_of`."""
    rows: list[dict] = []
    pillar_rows: list[dict] = []
    cut = (thesis.verdict.confirms_at, thesis.verdict.contradicts_at)
    for name, pillar in thesis.pillars.items():
        metric_rows = [evaluate_metric(name, m, marts.get(m.mart), as_of, loads) for m in pillar.metrics]
        status, score = _aggregate(metric_rows, *cut, stale_wins=True)
        counts = {
            s: sum(r["status"] == s for r in metric_rows)
            for s in ("confirms", "neutral", "contradicts", "stale", "no_data")
        }
        tally = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        origins = sorted({o for r in metric_rows for o in r["origin"].split(", ")})
        pillar_rows.append(
            {
                "row_type": "pillar",
                "pillar": name,
                "as_of": as_of,
                "status": status,
                "score": score,
                "weight": pillar.weight,
                "evidence": f"{pillar.title}: {tally}"
                + (f" (score {score:+.2f})." if score is not None else "."),
                "origin": ", ".join(origins),
            }
        )
        rows += metric_rows
    # A stale pillar is named in the verdict's evidence but does not void the pillars that are fresh.
    status, score = _aggregate(pillar_rows, *cut, stale_wins=False)
    by_status = {
        s: [r["pillar"] for r in pillar_rows if r["status"] == s]
        for s in ("confirms", "neutral", "contradicts", "stale", "no_data")
    }
    parts = [f"{s}: {', '.join(p)}" for s, p in by_status.items() if p]
    origins = sorted({o for r in pillar_rows for o in r["origin"].split(", ")})
    demo_note = " Rests on synthetic demo data, not market data." if "demo" in origins else ""
    verdict = {
        "row_type": "verdict",
        "as_of": as_of,
        "status": status,
        "score": score,
        "weight": None,
        "evidence": f"The American-exceptionalism trade is ending? {status.upper()} — "
        + "; ".join(parts)
        + "."
        + demo_note,
        "origin": ", ".join(origins),
    }
    return pl.DataFrame(rows + pillar_rows + [verdict], schema=SUMMARY_SCHEMA)
