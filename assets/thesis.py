"""The thesis verdict as pure polars logic: metric statuses, pillar scores and the overall verdict.

Point in time: a verdict as of D reads a mart row only if its `date` is on or before D and its
observation date (the metric's `date_column`) plus the metric's `release_lag_days` is too, and
staleness is judged against D. So a verdict computed later (a backfill) reads only the
observations dated, and published, by D; rows appended later never change it. It reads their
values as the marts hold them today, though, revisions included: point in time by date, not by
vintage (the superseded values stay in raw.<table>_history).

Scores: a pillar's is the weighted mean of its metrics' statuses (+1 confirms, 0 neutral,
-1 contradicts), the verdict's the weighted mean of the pillars' statuses. Stale and no_data
items carry no score; when the scored ones hold less than `scoring.min_fresh_weight` of the
weight, the pillar or verdict is stale (or no_data) itself.
"""

import datetime as dt
import string

import polars as pl

from assets.raw import SeriesLoad
from config.theses import AllOf, Condition, Metric, Scoring, Thesis

STATUSES = ("confirms", "neutral", "contradicts", "stale", "no_data")
STATUS_SCORE = {"confirms": 1.0, "neutral": 0.0, "contradicts": -1.0}
DEMO_NOTE = "Rests on synthetic demo data, not market data."

SUMMARY_SCHEMA = {
    "thesis": pl.String,  # the thesis' id (its file name in config/theses/)
    "row_type": pl.String,  # metric | part (of an all_of metric) | pillar | verdict
    "pillar": pl.String,
    "metric": pl.String,
    "label": pl.String,
    "part_of": pl.String,  # for a part: the all_of metric it belongs to
    "as_of": pl.Date,
    "observation_date": pl.Date,
    "value": pl.Float64,
    "unit": pl.String,
    "window": pl.String,
    "baseline": pl.String,
    "direction": pl.String,
    "threshold": pl.Float64,
    "band": pl.Float64,
    "status": pl.String,
    "score": pl.Float64,
    "weight": pl.Float64,
    "evidence": pl.String,
    # Why a stale or no_data row has no score: the series that failed or are missing, and why, or
    # how old the data are. NULL for scored rows.
    "reason": pl.String,
    "origin": pl.String,
    "source_series": pl.String,
    "backfilled": pl.Boolean,
}


class _Evidence(string.Formatter):
    """str.format that prints a NULL mart cell as "n/a" instead of failing on its format spec."""

    def format_field(self, value, format_spec):
        return "n/a" if value is None else super().format_field(value, format_spec)


def classify(value: float, direction: str, threshold: float, band: float) -> str:
    """confirms / contradicts / neutral for one value against the claim's direction."""
    if direction == "within":
        off = abs(value - threshold)
        return "confirms" if off <= band else "neutral" if off <= 2 * band else "contradicts"
    distance = value - threshold if direction == "above" else threshold - value
    if distance > band:
        return "confirms"
    if distance < -band:
        return "contradicts"
    return "neutral"


def fmt(value: float | None, unit: str) -> str:
    """A value for a table or a sentence: about three significant digits, with its unit."""
    if value is None:
        return "n/a"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    number = f"{value:,.{digits}f}"
    return number + unit if unit in ("%", "x/yr") else f"{number} {unit}".strip()


def rule(c: Condition) -> str:
    """The condition in words: which values confirm and which contradict."""
    t, b, u = c.threshold, c.band, c.unit

    def edge(x: float) -> str:
        return f"{x:g}{u}" if u in ("%", "x/yr") else f"{x:g} {u}".strip()

    if c.direction == "within":
        inner, outer = f"{edge(t - b)} to {edge(t + b)}", f"{edge(t - 2 * b)} to {edge(t + 2 * b)}"
        return f"{inner} confirms, outside {outer} contradicts"
    if c.direction == "below":
        return f"below {edge(t - b)} confirms, above {edge(t + b)} contradicts"
    return f"above {edge(t + b)} confirms, below {edge(t - b)} contradicts"


def usable(frame: pl.DataFrame, c: Condition, as_of: dt.date) -> pl.DataFrame:
    """The rows a verdict as of `as_of` may read for `c`: dated and published by then, with a value."""
    published_by = as_of - dt.timedelta(days=c.release_lag_days)
    value = pl.col(c.column).cast(pl.Float64)
    return frame.filter(
        (pl.col("date") <= as_of)
        & (pl.col(c.date_column) <= published_by)
        & value.is_not_null()
        & value.is_not_nan()
    )


def latest_row(frame: pl.DataFrame | None, c: Condition, as_of: dt.date) -> dict | None:
    """The latest usable row (all its columns) on or before `as_of`, or None."""
    if frame is None or c.column not in frame.columns or c.date_column not in frame.columns:
        return None
    rows = usable(frame, c, as_of).sort(["date", c.date_column]).tail(1)
    return rows.row(0, named=True) if rows.height else None


def _origin(sources: list[str], loads: dict[str, SeriesLoad]) -> str:
    origins = sorted({loads[s].origin for s in sources if s in loads and loads[s].origin})
    return ", ".join(origins) if origins else "unknown"


def evaluate_condition(
    pillar: str,
    c: Condition,
    frame: pl.DataFrame | None,
    as_of: dt.date,
    loads: dict[str, SeriesLoad],
    judge_loads: bool = True,
    part_of: str | None = None,
) -> dict:
    """One metric's (or part's) row: its latest value as of `as_of`, status and evidence.

    With `judge_loads`, a source series whose latest load failed makes the metric stale: true
    for today's verdict, meaningless for a past date (a backfill), which passes False.
    """
    row = {
        "row_type": "part" if part_of else "metric",
        "pillar": pillar,
        "metric": c.id,
        "label": c.label,
        "part_of": part_of,
        "as_of": as_of,
        "unit": c.unit,
        "window": c.window,
        "baseline": c.baseline,
        "direction": c.direction,
        "threshold": c.threshold,
        "band": c.band,
        "observation_date": None,
        "value": None,
        "score": None,
        "weight": c.weight if isinstance(c, Metric) else None,
        "origin": _origin(c.sources, loads),
        "source_series": ", ".join(c.sources),
    }
    found = latest_row(frame, c, as_of)
    absent = _absent(c.sources, loads) if judge_loads else []
    if found is None:
        lag = f", allowing {c.release_lag_days} days to publish" if c.release_lag_days else ""
        never = [f"{ref} was never loaded" for ref in c.sources if ref not in loads and not _seed(ref)]
        why = "; ".join([*absent, *never])
        evidence = f"No {c.label} ({c.table}.{c.column}) observed by {as_of}{lag}" + (
            f": {why}." if why else "."
        )
        reason = why or f"no value of {c.table}.{c.column} by {as_of}{lag}"
        return {**row, "status": "no_data", "evidence": evidence, "reason": reason}
    day, value = found[c.date_column], float(found[c.column])
    sentence = _Evidence().format(
        c.evidence,
        value=value,
        threshold=c.threshold,
        band=c.band,
        date=day.isoformat(),
        window=c.window,
        baseline=c.baseline,
        label=c.label,
        unit=c.unit,
        row=found,
    )
    row = {**row, "observation_date": day, "value": value}
    age = (as_of - day).days
    if absent or age > c.max_age_days:
        old = f"{' + '.join(c.sources)} latest {day}, {age} days before {as_of} ({c.max_age_days} allowed)"
        reason = "; ".join([*absent, *([old] if age > c.max_age_days else [])])
        evidence = f"Stale ({reason}). {sentence}"
        return {**row, "status": "stale", "evidence": evidence, "reason": reason}
    status = classify(value, c.direction, c.threshold, c.band)
    evidence = f"{sentence} {status.capitalize()}: {rule(c)}."
    return {**row, "status": status, "score": STATUS_SCORE[status], "evidence": evidence}


def _seed(ref: str) -> bool:
    """A curated dbt seed: shipped with the project, never loaded from a source."""
    return ref.startswith("seed/")


def _absent(sources: list[str], loads: dict[str, SeriesLoad]) -> list[str]:
    """Each source series whose latest load did not succeed, and why, with how far its data reach."""
    out = []
    for ref in sources:
        load = loads.get(ref)
        if load is None or load.status == "loaded":
            continue
        reached = f" (data to {load.last_date})" if load.last_date else " (no data)"
        out.append(f"{ref} {load.status}: {load.reason(ref, place=False)}{reached}")
    return out


def conjunction(statuses: list[str]) -> str:
    """Logical AND over three values: one contradicting part settles it; an unknown part
    (stale, no_data) leaves it unknown; all parts must confirm to confirm."""
    if "contradicts" in statuses:
        return "contradicts"
    if "no_data" in statuses:
        return "no_data"
    if "stale" in statuses:
        return "stale"
    return "confirms" if all(s == "confirms" for s in statuses) else "neutral"


def evaluate_all_of(
    pillar: str,
    m: AllOf,
    frames: dict[str, pl.DataFrame],
    as_of: dt.date,
    loads: dict[str, SeriesLoad],
    judge_loads: bool = True,
) -> list[dict]:
    """The all_of metric's row (first), then one row per part."""
    parts = [
        evaluate_condition(pillar, c, frames.get(c.frame_key), as_of, loads, judge_loads, m.id)
        for c in m.all_of
    ]
    status = conjunction([p["status"] for p in parts])
    observed = [p.get("observation_date") for p in parts]
    listed = "; ".join(f"{p['label']} {fmt(p.get('value'), p['unit'])} ({p['status']})" for p in parts)
    sources = list(dict.fromkeys(s for c in m.all_of for s in c.sources))
    composite = {
        "row_type": "metric",
        "pillar": pillar,
        "metric": m.id,
        "label": m.label,
        "as_of": as_of,
        "observation_date": None if None in observed else min(observed),
        "direction": "all_of",
        "status": status,
        "score": STATUS_SCORE.get(status),
        "weight": m.weight,
        "evidence": f"All {len(parts)} parts must hold: {listed}. So it {status.replace('_', ' ')}.",
        "reason": _reasons(parts) if status not in STATUS_SCORE else None,
        "origin": _origin(sources, loads),
        "source_series": ", ".join(sources),
    }
    return [composite, *parts]


def _reasons(items: list[dict]) -> str:
    """The distinct reasons of the stale and no_data items, in order."""
    found = (r for i in items if i["status"] not in STATUS_SCORE for r in (i.get("reason") or "").split("; "))
    return "; ".join(dict.fromkeys(r for r in found if r))


def aggregate(items: list[dict], scoring: Scoring) -> tuple[str, float | None]:
    """(status, score) of a pillar from its metrics, or of the verdict from its pillars."""
    total = sum(i["weight"] for i in items)
    scored = [i for i in items if i["status"] in STATUS_SCORE]
    fresh = sum(i["weight"] for i in scored)
    score = sum(STATUS_SCORE[i["status"]] * i["weight"] for i in scored) / fresh if scored else None
    if score is None or fresh < scoring.min_fresh_weight * total:
        return ("stale" if any(i["status"] == "stale" for i in items) else "no_data"), score
    if score >= scoring.confirms_at:
        return "confirms", score
    if score <= scoring.contradicts_at:
        return "contradicts", score
    return "neutral", score


def _by_status(items: list[dict], describe) -> str:
    groups = [(s, [describe(i) for i in items if i["status"] == s]) for s in STATUSES]
    return "; ".join(f"{s.replace('_', ' ')}: {', '.join(names)}" for s, names in groups if names)


def _metric_brief(item: dict) -> str:
    if item["status"] in STATUS_SCORE and item.get("value") is not None:
        return f"{item['label']} {fmt(item['value'], item['unit'])}"
    return item["label"]


def _origins(rows: list[dict]) -> str:
    return ", ".join(sorted({o for r in rows for o in r["origin"].split(", ")}))


def evaluate(
    thesis: Thesis,
    frames: dict[str, pl.DataFrame],
    as_of: dt.date,
    loads: dict[str, SeriesLoad],
    backfilled: bool = False,
) -> pl.DataFrame:
    """One row per metric (and per part of an all_of metric), one per pillar and one overall
    verdict, as of `as_of`, all keyed by the thesis' id. `frames` holds what the metrics read, by
    `Condition.frame_key`: each mart, and each series' (or pair's) rows of the signal tables. A
    backfilled snapshot ignores today's load failures."""
    rows: list[dict] = []
    pillar_rows: list[dict] = []
    for name, pillar in thesis.pillars.items():
        metric_rows = []
        for m in pillar.metrics:
            if isinstance(m, AllOf):
                composite, *parts = evaluate_all_of(name, m, frames, as_of, loads, not backfilled)
                metric_rows.append(composite)
                rows += [composite, *parts]
            else:
                metric_rows.append(
                    evaluate_condition(name, m, frames.get(m.frame_key), as_of, loads, not backfilled)
                )
                rows.append(metric_rows[-1])
        status, score = aggregate(metric_rows, thesis.scoring)
        reason = _reasons(metric_rows) if status not in STATUS_SCORE else None
        pillar_rows.append(
            {
                "row_type": "pillar",
                "pillar": name,
                "label": pillar.title,
                "as_of": as_of,
                "status": status,
                "score": score,
                "weight": pillar.weight,
                "evidence": _by_status(metric_rows, _metric_brief)
                + "."
                + (f" Why: {reason}." if reason else ""),
                "reason": reason,
                "origin": _origins(metric_rows),
            }
        )
    status, score = aggregate(pillar_rows, thesis.scoring)
    origins = _origins(pillar_rows)
    scored = f" (score {score:+.2f})" if score is not None else ""
    short = None
    if status not in STATUS_SCORE:
        fresh = sum(r["weight"] for r in pillar_rows if r["status"] in STATUS_SCORE)
        total = sum(r["weight"] for r in pillar_rows)
        short = (
            f"pillars holding {fresh:g} of {total:g} weight have a fresh verdict, under the "
            f"{thesis.scoring.min_fresh_weight:.0%} needed"
        )
    verdict = {
        "row_type": "verdict",
        "label": thesis.question,
        "as_of": as_of,
        "status": status,
        "score": score,
        "evidence": f"{thesis.question} {status.upper()}{scored}. "
        + _by_status(pillar_rows, lambda r: r["pillar"])
        + "."
        + (f" Too little evidence: {short}." if short else "")
        + (f" {DEMO_NOTE}" if "demo" in origins.split(", ") else ""),
        "reason": short,
        "origin": origins,
    }
    frame = pl.DataFrame([*rows, *pillar_rows, verdict], schema=SUMMARY_SCHEMA)
    return frame.with_columns(pl.lit(thesis.id).alias("thesis"), pl.lit(backfilled).alias("backfilled"))
