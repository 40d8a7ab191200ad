"""The thesis files: the real ones load and cite their sources; a bad file is refused with an error
that names the file, the line, the key and the problem; a metric may read a signal."""

import re

import pytest
import yaml

from config.theses import (
    THESES_DIR,
    AllOf,
    ThesisConfigError,
    load_theses,
    load_thesis,
    parse_thesis,
    signal_pairs,
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
        "title": "The dollar's reign ends",
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
    del doc["title"]
    assert "title: Field required" in error_of(yaml.safe_dump(doc))
    doc = yaml.safe_load(thesis_text())
    del doc["scoring"], doc["history"]  # both have the essay's defaults
    thesis = parse_thesis(yaml.safe_dump(doc))
    assert (thesis.scoring.confirms_at, thesis.scoring.min_fresh_weight, thesis.history.backfill_months) == (
        0.25,
        0.5,
        36,
    )
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


@pytest.mark.parametrize("path", sorted(THESES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_threshold_in_a_thesis_file_carries_a_comment_citing_its_source(path):
    lines = path.read_text().splitlines()
    thresholds = [i for i, line in enumerate(lines) if re.match(r"\s+threshold:", line)]
    assert len(thresholds) == len(load_thesis(path).conditions())
    for i in thresholds:
        assert lines[i - 1].strip().startswith("#"), (
            f"line {i + 1}: {lines[i].strip()} has no comment above it"
        )


def test_max_age_suits_each_frequency():
    """Daily series go stale within weeks, monthly within a quarter, slower ones within their
    release lag plus a period: never so loose that a dead series keeps its verdict for years."""
    for thesis in load_theses().values():
        for c in thesis.conditions():
            assert c.max_age_days <= c.release_lag_days + 450, c.id
            daily = c.mart in ("mart_dollar", "mart_equities", "mart_crypto") or c.table != c.mart
            if c.release_lag_days == 0 and daily:
                assert c.max_age_days <= 14, c.id


def test_every_file_of_the_folder_is_a_thesis_named_by_its_file():
    theses = load_theses()
    assert list(theses) == ["american_exceptionalism", "fed_cant_cut"]
    assert theses["american_exceptionalism"].question == "The American-exceptionalism trade is ending?"
    assert {t.id for t in theses.values()} == set(theses)
    # The pairs the dbt asset passes to marts.signal_pairs: each once.
    assert signal_pairs(theses) == [{"series": "fred/DGS2", "against": "fred/DFF"}]


SIGNAL = {
    "id": "dxy",
    "label": "DXY 1y",
    "signal": {"series": "yahoo/DX-Y.NYB", "transform": "change", "window": "1y"},
    "direction": "below",
    "threshold": 0.0,
    "band": 2.0,
    "max_age_days": 7,
    "weight": 1.0,
}


def signal_thesis(**changes) -> str:
    metric = {k: v for k, v in {**SIGNAL, **changes}.items() if v is not None}
    doc = yaml.safe_load(thesis_text())
    doc["pillars"]["dollar"]["metrics"] = [metric]
    return yaml.safe_dump(doc, sort_keys=False)


def test_a_signal_metric_reads_its_column_of_the_signal_table_with_words_derived_from_it():
    (metric,) = parse_thesis(signal_thesis()).pillars["dollar"].metrics
    assert (metric.table, metric.frame_key, metric.column, metric.date_column) == (
        "signals",
        "signals:yahoo/DX-Y.NYB",
        "change_1y_pct",
        "observation_date",
    )
    assert (metric.unit, metric.window, metric.baseline, metric.sources) == (
        "%",
        "1 year",
        "the value 1 year earlier",
        ["yahoo/DX-Y.NYB"],
    )
    assert metric.evidence == "{label} (yahoo/DX-Y.NYB): {value:+.2f}% over 1 year to {date}."
    pair = {"series": "fred/CBBTCUSD", "transform": "beta", "window": 252, "against": "fred/NASDAQCOM"}
    (metric,) = parse_thesis(signal_thesis(signal=pair, unit="")).pillars["dollar"].metrics
    assert (metric.frame_key, metric.column, metric.sources) == (
        "signal_pairs:fred/CBBTCUSD:fred/NASDAQCOM",
        "beta_252",
        ["fred/CBBTCUSD", "fred/NASDAQCOM"],
    )


SIGNAL_WHERE = f"{WHERE}.signal"


@pytest.mark.parametrize(
    ("signal", "extra", "expected"),
    [
        ({"window": "9m"}, {}, f"{SIGNAL_WHERE}: window '9m' of change is not computed: dbt computes ['1w'"),
        ({"window": 200}, {}, f"{SIGNAL_WHERE}: window 200 of change is a calendar window"),
        ({"window": None}, {}, f"{SIGNAL_WHERE}: transform change needs a window"),
        ({"transform": "drawdown"}, {}, f"{SIGNAL_WHERE}: transform drawdown takes no window"),
        ({"transform": "zscore", "window": 36, "unit": "pp"}, {}, "transform zscore takes no unit"),
        ({"transform": "trend"}, {}, f"{SIGNAL_WHERE}.transform: Input should be 'level', 'change'"),
        ({"series": "yahoo/DXY"}, {}, f"{SIGNAL_WHERE}: yahoo/DXY is not in catalog.yaml"),
        (
            {"series": "worldbank/SP.POP.TOTL"},
            {},
            "worldbank/SP.POP.TOTL: signals are computed for fred, yahoo",
        ),
        ({"series": "fred/A191RL1Q225SBEA"}, {}, "fred/A191RL1Q225SBEA is `positive: false` in the catalog"),
        ({"transform": "spread", "window": None}, {}, "transform spread compares two series: name the other"),
        ({"against": "fred/DTWEXBGS"}, {}, "transform change is of one series: `against` is for pair"),
        ({}, {"mart": "mart_dollar", "column": "dxy_1y_change_pct"}, "a signal metric takes no mart, column"),
        ({}, {"evidence": "{row[dxy_index]}"}, "evidence names row[dxy_index], not a column of signals"),
    ],
)
def test_a_bad_signal_is_refused_naming_the_key_and_the_problem(signal, extra, expected):
    changed = {k: v for k, v in {**SIGNAL["signal"], **signal}.items() if v is not None}
    assert expected in error_of(signal_thesis(signal=changed, **extra))


def test_an_error_names_the_file_and_the_line_of_the_offending_key(tmp_path):
    text = thesis_text(treshold=1.0, column="dxy_change_pct")
    path = tmp_path / "dollar_reign.yaml"
    path.write_text(text)
    lines = text.splitlines()
    with pytest.raises(ThesisConfigError) as caught:
        load_thesis(path)
    message = str(caught.value)
    unknown = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("treshold:"))
    column = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("column:"))
    assert f"{path}:{unknown}: {WHERE}.treshold: unknown key" in message
    assert f"{path}:{column}: {WHERE}.column: mart_dollar has no column" in message
    # A model-level problem points at the metric itself (its first line).
    first = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("- id: dxy"))
    assert f":{first}: {WHERE}: max_age_days (7)" in error_of(thesis_text(release_lag_days=10))


def test_a_thesis_is_named_by_its_file_and_never_in_it(tmp_path):
    (tmp_path / "Dollar Reign.yaml").write_text(thesis_text())
    with pytest.raises(ThesisConfigError, match=r"a thesis' file name is its id"):
        load_theses(tmp_path)
    (tmp_path / "Dollar Reign.yaml").unlink()
    (tmp_path / "dollar.yaml").write_text("id: other\n" + thesis_text())
    with pytest.raises(
        ThesisConfigError, match=r"dollar.yaml:1: id: the thesis' id is its file name \(dollar\)"
    ):
        load_theses(tmp_path)
    with pytest.raises(ThesisConfigError, match="holds no thesis"):
        load_theses(tmp_path / "empty")
