"""The AI inference cost pillar's gate: one row per month, a frontier price that is a positive
running minimum (it never rises), capability scores and bars on a percent scale, a frontier model
that meets its bar on the benchmark that qualified it, plausible decline factors, and a current
month."""

from expectations.suites.spec import (
    Suite,
    SuiteInputs,
    at_least,
    between,
    completeness,
    not_null,
    positive,
    spine_freshness,
    spine_query,
    unique,
)

BARS = ("gpt4_level", "gpt35_level")
PRICES = {f"{bar}_usd_per_mtok": None for bar in BARS}
# Each level is reached on MMLU or on GPQA Diamond (`<bar>_benchmark` says which): the score that
# must clear the bar is the one on that benchmark (a GPQA-qualified model may score below the MMLU
# bar, or have no MMLU at all).
BENCHMARKS = {"mmlu": "MMLU", "gpqa": "GPQA Diamond"}
QUALIFYING = [
    f"case when {bar}_benchmark = '{name}' then {bar}_{column} end as {bar}_qualifying_{column}"
    for bar in BARS
    for column, name in BENCHMARKS.items()
]


def mart_ai_cost(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_ai_cost",
        spine_query(inputs, "mart_ai_cost", None, PRICES, QUALIFYING),
        [
            *completeness(inputs),
            unique("date", "month"),
            not_null("date", "every row has its month"),
            between(
                "days_since_previous",
                "the spine has every calendar month",
                min_value=28,
                max_value=31,
            ),
            *positive(PRICES),
            *(
                between(
                    f"{price}_change_pct",
                    "the frontier is the cheapest price available by each month's end, a running "
                    "minimum: it never rises",
                    max_value=0,
                    evidence=(price,),
                )
                for price in PRICES
            ),
            *(
                between(
                    f"{bar}_{column}",
                    "an MMLU or GPQA Diamond score is a percentage",
                    min_value=0,
                    max_value=100,
                )
                for bar in BARS
                for column in ("mmlu_bar", "mmlu", "gpqa_bar", "gpqa")
            ),
            *(
                at_least(
                    f"{bar}_qualifying_{column}",
                    f"{bar}_{column}_bar",
                    "the frontier model scores at least the bar on the benchmark that qualified it",
                    evidence=(f"{bar}_model", f"{bar}_benchmark"),
                )
                for bar in BARS
                for column in BENCHMARKS
            ),
            *(
                between(
                    f"{bar}_decline_factor_per_year",
                    "a log-linear fit to a running minimum has a slope <= 0, so the yearly decline "
                    "factor exp(-slope) is at least 1",
                    min_value=1,
                )
                for bar in BARS
            ),
            *(
                between(
                    f"{bar}_decline_factor_per_year",
                    "published estimates span 2.6x to 900x a year (Epoch AI): beyond 1000x warns",
                    max_value=1000,
                    severity="warn",
                )
                for bar in BARS
            ),
            spine_freshness(inputs, "mart_ai_cost", None),
        ],
    )
