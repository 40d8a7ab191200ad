"""The thesis file: the real one loads and cites the essay; a bad file is refused with an error that
names the key and the problem."""

import re

import pytest
import yaml

from config.theses import (
    THESIS_PATH,
    AllOf,
    ThesisConfigError,
    conditions,
    load_thesis,
    parse_thesis,
)

METRIC = {
    "id": "dxy",
    "label": "DXY 1y",
    "mart": "mart_dollar",
    "column": "dxy_1y_change_pct",
    "date_column": "dxy_date",
    "unit": "%",
    "window": "1 year",
    "baseline": "a year earlier",
    "direction": "below",
    "threshold": 0.0,
    "band": 2.0,
    "max_age_days": 7,
    "weight": 1.0,
    "sources": ["yahoo/DX-Y.NYB"],
    "evidence": "DXY moved {value:+.1f}% to {date} (index {row[dxy_index]:.1f}).",
}


def thesis_text(**metric_changes) -> str:
    """A one-pillar thesis; a change whose value is None removes that key."""
    metric = {k: v for k, v in {**METRIC, **metric_changes}.items() if v is not None}
    doc = {
        "scoring": {"confirms_at": 0.25, "contradicts_at": -0.25, "min_fresh_weight": 0.5},
        "history": {"backfill_months": 36},
        "pillars": {"dollar": {"title": "The dollar weakens", "weight": 1.0, "metrics": [metric]}},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def error_of(text: str) -> str:
    with pytest.raises(ThesisConfigError) as caught:
        parse_thesis(text)
    return str(caught.value)


def test_a_valid_thesis_parses():
    thesis = parse_thesis(thesis_text())
    (metric,) = thesis.pillars["dollar"].metrics
    assert (metric.date_column, metric.release_lag_days, thesis.history.backfill_months) == (
        "dxy_date",
        0,
        36,
    )


WHERE = "pillars.dollar.metrics[0] (dxy)"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"treshold": 1.0}, f"{WHERE}.treshold: unknown key"),
        ({"threshold": "high"}, f"{WHERE}.threshold: Input should be a valid number"),
        ({"max_age_days": 7.5}, f"{WHERE}.max_age_days: Input should be a valid integer"),
        ({"mart": "mart_dolar"}, f"{WHERE}.mart: unknown mart 'mart_dolar' (did you mean 'mart_dollar'?)"),
        ({"column": "dxy_change_pct"}, f"{WHERE}.column: mart_dollar has no column 'dxy_change_pct'"),
        ({"column": "dxy_date"}, f"{WHERE}.column: mart_dollar.dxy_date is date, not a number"),
        ({"date_column": "dxy_index"}, f"{WHERE}.date_column: 'dxy_index' is not an observation-date column"),
        ({"date_column": "cofer_date"}, f"{WHERE}.date_column: mart_dollar has no column 'cofer_date'"),
        ({"direction": "down"}, f"{WHERE}.direction: Input should be 'below', 'above' or 'within'"),
        ({"weight": None}, f"{WHERE}.weight: Field required"),
        ({"weight": 0}, f"{WHERE}.weight: Input should be greater than 0"),
        ({"band": -1}, f"{WHERE}.band: Input should be greater than or equal to 0"),
        (
            {"sources": ["yahoo/DXY"]},
            f"{WHERE}.sources: source 'yahoo/DXY' is not in catalog.yaml nor a dbt seed",
        ),
        (
            {"sources": ["DX-Y.NYB"]},
            f"{WHERE}.sources: source 'DX-Y.NYB' must be written <source>/<series id>",
        ),
        ({"evidence": "moved {valu}"}, f"{WHERE}.evidence: evidence names {{valu}}"),
        (
            {"evidence": "{row[dxy]}"},
            f"{WHERE}.evidence: evidence names row[dxy], not a column of mart_dollar",
        ),
        ({"evidence": "{value"}, f"{WHERE}.evidence: evidence template is not formattable"),
        ({"label": "DXY, 1y"}, f"{WHERE}.label: String should match pattern"),
        ({"release_lag_days": 10}, f"{WHERE}: max_age_days (7) must exceed release_lag_days (10)"),
    ],
)
def test_a_bad_metric_is_refused_naming_the_key_and_the_problem(changes, expected):
    assert expected in error_of(thesis_text(**changes))


def test_every_problem_is_reported_at_once():
    message = error_of(thesis_text(threshold="x", direction="up"))
    assert f"{WHERE}.threshold:" in message and f"{WHERE}.direction:" in message


def test_a_bad_part_of_an_all_of_metric_is_named_by_both_ids():
    part = {k: v for k, v in METRIC.items() if k != "weight"}
    doc = yaml.safe_load(thesis_text())
    doc["pillars"]["dollar"]["metrics"] = [
        {
            "id": "both",
            "label": "both",
            "weight": 1.0,
            "all_of": [{**part, "id": "first"}, {**part, "id": "second", "column": "no_such_column"}],
        }
    ]
    message = error_of(yaml.safe_dump(doc))
    assert "pillars.dollar.metrics[0] (both).all_of[1] (second).column: mart_dollar has no column" in message
    doc["pillars"]["dollar"]["metrics"][0]["all_of"][1] = {**part, "id": "first"}
    assert "metric id 'first' in pillar 'dollar' is used twice" in error_of(yaml.safe_dump(doc))


def test_the_file_level_problems_are_named_too():
    assert "is not valid YAML" in error_of("pillars: [unclosed")
    doc = yaml.safe_load(thesis_text())
    del doc["scoring"]
    assert "scoring: Field required" in error_of(yaml.safe_dump(doc))
    doc = yaml.safe_load(thesis_text())
    doc["scoring"]["confirms_at"] = 2
    assert "scoring.confirms_at: Input should be less than or equal to 1" in error_of(yaml.safe_dump(doc))
    doc = yaml.safe_load(thesis_text())
    doc["pillars"]["Dollar"] = doc["pillars"].pop("dollar")
    assert "pillars.Dollar (the name): String should match pattern" in error_of(yaml.safe_dump(doc))


def test_the_thesis_tests_six_pillars_on_the_six_marts():
    thesis = load_thesis()
    assert list(thesis.pillars) == ["dollar", "equities", "crypto", "macro", "value_share", "ai_cost"]
    assert thesis.marts() == {f"mart_{p}" for p in thesis.pillars}
    assert thesis.history.backfill_months >= 36
    (squeeze,) = [m for m in thesis.pillars["macro"].metrics if isinstance(m, AllOf)]
    assert [c.column for c in squeeze.all_of] == [
        "gdp_growth_saar_pct",
        "cpi_yoy_pct",
        "cpi_yoy_6m_change_pp",
    ]


def test_every_threshold_in_the_thesis_file_carries_a_comment_citing_the_essay():
    lines = THESIS_PATH.read_text().splitlines()
    thresholds = [i for i, line in enumerate(lines) if re.match(r"\s+threshold:", line)]
    assert len(thresholds) == sum(
        len(conditions(m)) for p in load_thesis().pillars.values() for m in p.metrics
    )
    for i in thresholds:
        assert lines[i - 1].strip().startswith("#"), (
            f"line {i + 1}: {lines[i].strip()} has no comment above it"
        )


def test_max_age_suits_each_frequency():
    """Daily series go stale within weeks, monthly within a quarter, slower ones within their
    release lag plus a period: never so loose that a dead series keeps its verdict for years."""
    for pillar in load_thesis().pillars.values():
        for metric in pillar.metrics:
            for c in conditions(metric):
                assert c.max_age_days <= c.release_lag_days + 450, c.id
                if c.release_lag_days == 0 and c.mart in ("mart_dollar", "mart_equities", "mart_crypto"):
                    assert c.max_age_days <= 14, c.id
