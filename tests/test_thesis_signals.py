"""The verdict's logic on small polars frames: every status for metrics, all_of claims, pillars
and the verdict, the point-in-time rules, and no look-ahead."""

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from assets.raw import SeriesLoad
from assets.thesis import (
    DEMO_NOTE,
    aggregate,
    classify,
    conjunction,
    evaluate,
    evaluate_all_of,
    evaluate_condition,
)
from config.signals import Signal
from config.theses import AllOf, Metric, Scoring, conditions, load_thesis, parse_thesis
from tests.thesis_marts import all_marts

D = dt.date(2026, 11, 24)
SCORING = Scoring(confirms_at=0.25, contradicts_at=-0.25, min_fresh_weight=0.5)
LOADED = {"fred/X": SeriesLoad("loaded", "demo")}


def metric(**changes) -> Metric:
    fields = {
        "id": "m",
        "label": "the metric",
        "mart": "mart_x",
        "column": "v",
        "date_column": "v_date",
        "unit": "%",
        "window": "1 year",
        "baseline": "a year earlier",
        "direction": "below",
        "threshold": 0.0,
        "band": 1.0,
        "max_age_days": 10,
        "weight": 1.0,
        "sources": ["fred/X"],
        "evidence": "It moved {value:+.1f}% to {date} (other {row[other]:.1f}).",
    }
    return Metric(**{**fields, **changes})


def frame(*rows: tuple[dt.date, float | None], other: float | None = 7.0) -> pl.DataFrame:
    """Mart rows (date, v); v_date is the row's date unless the row gives a third item."""
    return pl.DataFrame(
        {
            "date": [r[0] for r in rows],
            "v": [r[1] for r in rows],
            "v_date": [r[2] if len(r) > 2 else r[0] for r in rows],
            "other": [other] * len(rows),
        },
        schema={"date": pl.Date, "v": pl.Float64, "v_date": pl.Date, "other": pl.Float64},
    )


def status(m: Metric, f: pl.DataFrame | None, loads=LOADED, judge_loads=True) -> dict:
    return evaluate_condition("p", m, f, D, loads, judge_loads)


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (-1.5, "below", "confirms"),
        (1.5, "below", "contradicts"),
        (1.0, "below", "neutral"),  # on the band's edge: still neutral
        (-1.0, "below", "neutral"),
        (1.5, "above", "confirms"),
        (-1.5, "above", "contradicts"),
        (0.5, "within", "confirms"),
        (1.5, "within", "neutral"),
        (2.5, "within", "contradicts"),
        (-2.5, "within", "contradicts"),
    ],
)
def test_classify_reads_the_claims_direction_and_its_neutral_band(value, direction, expected):
    assert classify(value, direction, 0.0, 1.0) == expected


def test_a_metric_confirms_contradicts_or_is_neutral_with_its_numbers_in_the_evidence():
    confirms = status(metric(), frame((D - dt.timedelta(days=1), -2.0)))
    assert (confirms["status"], confirms["score"], confirms["value"]) == ("confirms", 1.0, -2.0)
    assert confirms["evidence"] == (
        "It moved -2.0% to 2026-11-23 (other 7.0). Confirms: below -1% confirms, above 1% contradicts."
    )
    assert confirms["observation_date"] == D - dt.timedelta(days=1)
    assert confirms["origin"] == "demo" and confirms["source_series"] == "fred/X"
    assert status(metric(), frame((D, 2.0)))["status"] == "contradicts"
    assert status(metric(), frame((D, 0.5)))["status"] == "neutral"


def test_a_metric_is_stale_when_too_old_or_when_its_source_failed_today():
    old = status(metric(), frame((D - dt.timedelta(days=11), -2.0)))
    assert old["status"] == "stale" and old["score"] is None and old["value"] == -2.0
    assert old["reason"] == "fred/X latest 2026-11-13, 11 days before 2026-11-24 (10 allowed)"
    assert old["evidence"].startswith(f"Stale ({old['reason']}). It moved -2.0% to 2026-11-13")
    # Today's failure is named with its error and how far the series' data reach.
    page = SeriesLoad(
        "failed", "live", "fred/X at line 1: an HTML page instead of data", D - dt.timedelta(days=3)
    )
    failed = status(metric(), frame((D, -2.0)), loads={"fred/X": page})
    assert failed["status"] == "stale"
    assert failed["reason"] == "fred/X failed: an HTML page instead of data (data to 2026-11-21)"
    # A backfilled date does not know which loads failed back then: today's failure is not its.
    backfilled = status(
        metric(), frame((D, -2.0)), loads={"fred/X": SeriesLoad("failed", "live")}, judge_loads=False
    )
    assert backfilled["status"] == "confirms"


def test_a_metric_has_no_data_without_a_frame_a_column_or_a_row_by_the_as_of_date():
    assert status(metric(), None)["status"] == "no_data"
    assert status(metric(column="missing"), frame((D, -2.0)))["status"] == "no_data"
    nothing_yet = status(metric(), frame((D + dt.timedelta(days=1), -2.0), (D - dt.timedelta(days=3), None)))
    assert nothing_yet["status"] == "no_data"
    assert nothing_yet["evidence"] == "No the metric (mart_x.v) observed by 2026-11-24."
    assert nothing_yet["reason"] == "no value of mart_x.v by 2026-11-24"
    # An absent source is the reason: missing from a snapshot, or never loaded at all.
    gone = {"fred/X": SeriesLoad("missing", "replay", "fred/X at snap/fred/X.json|csv: not in the snapshot")}
    assert status(metric(), None, loads=gone)["reason"] == "fred/X missing: not in the snapshot (no data)"
    assert status(metric(), None, loads={})["reason"] == "fred/X was never loaded"


def test_null_cells_named_by_the_evidence_print_as_na():
    assert "(other n/a)" in status(metric(), frame((D, -2.0), other=None))["evidence"]


def test_a_row_dated_by_the_as_of_date_whose_observation_date_is_later_is_not_read():
    row = status(metric(), frame((D - dt.timedelta(days=2), -2.0), (D, 5.0, D + dt.timedelta(days=1))))
    assert (row["value"], row["status"]) == (-2.0, "confirms")


def test_the_release_lag_keeps_unpublished_observations_out():
    rows = frame((D - dt.timedelta(days=100), -2.0), (D - dt.timedelta(days=20), 3.0))
    lagged = metric(release_lag_days=45, max_age_days=200)
    assert (status(lagged, rows)["value"], status(lagged, rows)["status"]) == (-2.0, "confirms")
    assert status(metric(release_lag_days=10, max_age_days=200), rows)["value"] == 3.0
    assert status(metric(release_lag_days=150, max_age_days=200), rows)["status"] == "no_data"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["confirms", "confirms", "confirms"], "confirms"),
        (["confirms", "neutral", "confirms"], "neutral"),
        (["confirms", "contradicts", "confirms"], "contradicts"),
        (["contradicts", "stale", "no_data"], "contradicts"),  # one part against settles it
        (["confirms", "stale", "confirms"], "stale"),
        (["confirms", "no_data", "stale"], "no_data"),
    ],
)
def test_an_all_of_claim_is_a_logical_and_of_its_parts(parts, expected):
    assert conjunction(parts) == expected


def test_an_all_of_metric_scores_once_and_lists_each_part():
    part = metric().model_dump(exclude={"weight"})
    claim = AllOf(
        id="both",
        label="both parts",
        weight=2.0,
        all_of=[
            {**part, "id": "a"},
            {**part, "id": "b", "column": "other", "direction": "above", "threshold": 8.0},
        ],
    )
    composite, first, second = evaluate_all_of("p", claim, {"mart_x": frame((D, -2.0))}, D, LOADED)
    assert (first["status"], second["status"]) == ("confirms", "neutral")  # other = 7.0 vs 8 ± 1
    assert (composite["status"], composite["score"], composite["weight"]) == ("neutral", 0.0, 2.0)
    assert (first["row_type"], first["part_of"], first["weight"]) == ("part", "both", None)
    assert composite["evidence"] == (
        "All 2 parts must hold: the metric -2.00% (confirms); the metric 7.00% (neutral). So it neutral."
    )


def items(*statuses: str, weights: tuple[float, ...] | None = None) -> list[dict]:
    weights = weights or (1.0,) * len(statuses)
    return [{"status": s, "weight": w} for s, w in zip(statuses, weights, strict=True)]


@pytest.mark.parametrize(
    ("children", "expected", "score"),
    [
        (items("confirms", "confirms", "neutral"), "confirms", 2 / 3),
        (items("contradicts", "neutral", "contradicts"), "contradicts", -2 / 3),
        (items("confirms", "contradicts"), "neutral", 0.0),
        (items("confirms", "neutral", weights=(1.0, 4.0)), "neutral", 0.2),  # weights count
        (items("confirms", "stale"), "confirms", 1.0),  # half the weight fresh is enough
        (items("confirms", "stale", "stale"), "stale", 1.0),  # a third is not
        (items("stale", "no_data"), "stale", None),
        (items("no_data", "no_data"), "no_data", None),
    ],
)
def test_a_pillar_or_verdict_is_the_weighted_mean_of_its_fresh_items(children, expected, score):
    got_status, got_score = aggregate(children, SCORING)
    assert got_status == expected
    assert got_score == pytest.approx(score) if score is not None else got_score is None


TWO_PILLARS = """
title: Two claims hold
scoring: {confirms_at: 0.25, contradicts_at: -0.25, min_fresh_weight: 0.5}
history: {backfill_months: 3}
pillars:
  first:
    title: The first claim
    weight: 1.0
    metrics:
      - {id: a, label: a, mart: mart_x, column: a, unit: "%", window: 1y, baseline: b, direction: below,
         threshold: 0, band: 1, max_age_days: 10, weight: 1, sources: [fred/X], evidence: "a {value}"}
  second:
    title: The second claim
    weight: 1.0
    metrics:
      - {id: b, label: b, mart: mart_x, column: b, unit: "%", window: 1y, baseline: b, direction: above,
         threshold: 0, band: 1, max_age_days: 10, weight: 1, sources: [fred/X], evidence: "b {value}"}
"""


def two_pillars():
    schema = {"mart_x": {"date": "date", "a": "double", "b": "double"}}
    return parse_thesis(TWO_PILLARS, marts=schema, series=frozenset({"fred/X"}))


@pytest.mark.parametrize(
    ("a", "b", "age", "pillars", "verdict"),
    [
        (-2.0, 2.0, 0, ("confirms", "confirms"), "confirms"),
        (2.0, -2.0, 0, ("contradicts", "contradicts"), "contradicts"),
        (-2.0, -2.0, 0, ("confirms", "contradicts"), "neutral"),
        (-2.0, 2.0, 30, ("stale", "stale"), "stale"),
        (None, None, 0, ("no_data", "no_data"), "no_data"),
    ],
)
def test_evaluate_reaches_every_status_for_pillars_and_the_verdict(a, b, age, pillars, verdict):
    thesis = two_pillars()
    day = D - dt.timedelta(days=age)
    mart = pl.DataFrame(
        {"date": [day], "a": [a], "b": [b]}, schema={"date": pl.Date, "a": pl.Float64, "b": pl.Float64}
    )
    summary = evaluate(thesis, {"mart_x": mart}, D, LOADED)
    by_type = summary.partition_by("row_type", as_dict=True)
    assert tuple(by_type[("pillar",)]["status"]) == pillars
    (row,) = by_type[("verdict",)].iter_rows(named=True)
    assert row["status"] == verdict
    assert row["evidence"].startswith(f"Two claims hold? {verdict.upper()}")
    assert set(summary["thesis"]) == {"thesis"}
    assert row["evidence"].endswith(DEMO_NOTE) and row["origin"] == "demo"
    assert not summary["backfilled"].any()


def test_the_verdict_says_nothing_of_demo_data_when_none_was_used():
    thesis = two_pillars()
    mart = pl.DataFrame({"date": [D], "a": [1.5], "b": [1.5]})
    live = evaluate(thesis, {"mart_x": mart}, D, {"fred/X": SeriesLoad("loaded", "live")}, backfilled=True)
    verdict = live.filter(pl.col("row_type") == "verdict").row(0, named=True)
    assert DEMO_NOTE not in verdict["evidence"] and verdict["origin"] == "live"
    assert live["backfilled"].all()


def poisoned_future(marts: dict[str, pl.DataFrame], as_of: dt.date) -> dict[str, pl.DataFrame]:
    """The marts with rows a verdict as of `as_of` must never read: every row after it made
    absurd (its observation dates moved back to `as_of`, so only the row's own date gives it
    away), and one more row per mart dated `as_of` whose observation dates are all later."""
    thesis = load_thesis()
    by_date_column = [c for p in thesis.pillars.values() for m in p.metrics for c in conditions(m)]
    out = {}
    for mart, rows in marts.items():
        numeric = [n for n, t in rows.schema.items() if t.is_numeric() and n != "year"]
        dates = [n for n, t in rows.schema.items() if t == pl.Date and n != "date"]
        after = pl.col("date") > as_of
        future = rows.with_columns(
            *(pl.when(after).then(pl.col(n) * 1000 + 999).otherwise(pl.col(n)).alias(n) for n in numeric),
            *(pl.when(after).then(pl.lit(as_of)).otherwise(pl.col(n)).alias(n) for n in dates),
        )
        # Only the columns read through a later-dated observation get a value in this row: a
        # column read by `date` alone may use a row dated `as_of`, as it should.
        lagged = {c.column for c in by_date_column if c.mart == mart and c.date_column != "date"}
        extra = (
            rows.filter(pl.col("date") <= as_of)
            .tail(1)
            .with_columns(
                pl.lit(as_of).alias("date"),
                *(pl.lit(as_of + dt.timedelta(days=30)).alias(n) for n in dates),
                *(
                    (pl.lit(999.0) if n in lagged else pl.lit(None)).cast(rows.schema[n]).alias(n)
                    for n in numeric
                ),
            )
        )
        out[mart] = pl.concat([future, extra]).sort("date")
    return out


def test_rows_appended_after_the_as_of_date_never_change_its_verdict():
    thesis = load_thesis()
    as_of, later = dt.date(2025, 6, 15), dt.date(2026, 11, 24)
    known = {m: f.filter(pl.col("date") <= as_of) for m, f in all_marts(later).items()}
    poisoned = poisoned_future(all_marts(later), as_of)
    assert_frame_equal(evaluate(thesis, poisoned, as_of, LOADED), evaluate(thesis, known, as_of, LOADED))
    # The poison is visible to a verdict allowed to see it, so the check above can fail.
    values = evaluate(thesis, poisoned, later, LOADED)["value"].drop_nulls()
    assert (values > 900).any()


def test_a_published_release_lag_means_a_year_is_read_only_after_its_data_come_out():
    thesis = load_thesis()
    marts = all_marts(dt.date(2026, 11, 24))
    # The World Bank's 2024 values (dated 2024-01-01) count from mid-2025, not from January 2024.
    early = evaluate(thesis, marts, dt.date(2024, 6, 30), LOADED)
    gdp = early.filter(pl.col("metric") == "us_gdp_share_5y_change").row(0, named=True)
    assert gdp["observation_date"] == dt.date(2022, 1, 1)


def test_a_signal_metric_reads_its_series_rows_point_in_time_with_their_observation_date():
    signal = Signal(series="fred/DTWEXBGS", transform="change", window="1y")
    m = Metric(
        id="s",
        label="dollar 1y",
        signal=signal,
        direction="below",
        threshold=0.0,
        band=1.0,
        max_age_days=10,
        release_lag_days=2,
        weight=1.0,
    )
    days = [D - dt.timedelta(days=5), D - dt.timedelta(days=1)]
    rows = pl.DataFrame(
        {
            "source": "fred",
            "series_id": "DTWEXBGS",
            "date": days,
            "observation_date": days,
            "change_1y_pct": [-3.0, 5.0],
        }
    )
    loads = {"fred/DTWEXBGS": SeriesLoad("loaded", "demo")}
    assert m.frame_key == "signals:fred/DTWEXBGS"
    # The day before is not published yet (a 2-day lag): the value five days before is read.
    row = evaluate_condition("p", m, rows, D, loads)
    assert (row["value"], row["observation_date"], row["status"]) == (-3.0, days[0], "confirms")
    assert row["evidence"].startswith(f"dollar 1y (fred/DTWEXBGS): -3.00% over 1 year to {days[0]}.")
    stale = evaluate_condition("p", m, rows, D + dt.timedelta(days=20), loads)
    assert stale["status"] == "stale" and "fred/DTWEXBGS latest" in stale["reason"]
    missing = evaluate_condition("p", m, None, D, loads)
    assert missing["status"] == "no_data" and "signals.change_1y_pct" in missing["reason"]
